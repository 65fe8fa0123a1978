// Capstone disassembly for reports and audit records, and the block scan the engine uses to
// find port I/O instructions. Capstone handles are not thread-safe: use one Disassembler per
// host thread (for_this_thread()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dk {

class Disassembler {
 public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  static Disassembler& for_this_thread();

  // "mnemonic operands" of the first instruction in `code`, "" if it does not decode.
  std::string text(const uint8_t* code, size_t len, uint64_t addr);
  // Length of the first instruction, 0 if it does not decode.
  size_t length(const uint8_t* code, size_t len, uint64_t addr);

  // Instructions in [addr, addr+len), decoded one after another until one does not.
  size_t count(const uint8_t* code, size_t len, uint64_t addr);

  struct BlockScan {
    uint64_t io_at = 0;  // address of the first in/out/ins/outs, 0 if none
  };
  // Decodes [addr, addr+len) and reports the first port I/O instruction. Decoding stops
  // after the instruction holding byte offset `last` (the last byte that could be such an
  // opcode): no instruction starting after it can be one.
  BlockScan scan_block(const uint8_t* code, size_t len, uint64_t addr, size_t last = ~size_t{0});

 private:
  size_t handle_ = 0;  // csh
  void* insn_ = nullptr;  // cs_insn*, reused
};

}  // namespace dk
