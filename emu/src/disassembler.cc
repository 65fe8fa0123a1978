// Capstone wrappers: instruction text for reports and the port-I/O scan of a block.
#include "dk/disassembler.h"

#include <capstone/capstone.h>

#include <stdexcept>

namespace dk {

Disassembler::Disassembler() {
  csh h = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) throw std::runtime_error("cs_open failed");
  handle_ = h;
  insn_ = cs_malloc(h);
}

Disassembler::~Disassembler() {
  csh h = handle_;
  if (insn_) cs_free(static_cast<cs_insn*>(insn_), 1);
  cs_close(&h);
}

Disassembler& Disassembler::for_this_thread() {
  thread_local Disassembler d;
  return d;
}

std::string Disassembler::text(const uint8_t* code, size_t len, uint64_t addr) {
  auto* insn = static_cast<cs_insn*>(insn_);
  const uint8_t* p = code;
  uint64_t a = addr;
  if (!cs_disasm_iter(handle_, &p, &len, &a, insn)) return "";
  std::string s = insn->mnemonic;
  if (insn->op_str[0] != '\0') {
    s += ' ';
    s += insn->op_str;
  }
  return s;
}

size_t Disassembler::length(const uint8_t* code, size_t len, uint64_t addr) {
  auto* insn = static_cast<cs_insn*>(insn_);
  const uint8_t* p = code;
  uint64_t a = addr;
  if (!cs_disasm_iter(handle_, &p, &len, &a, insn)) return 0;
  return insn->size;
}

size_t Disassembler::count(const uint8_t* code, size_t len, uint64_t addr) {
  auto* insn = static_cast<cs_insn*>(insn_);
  const uint8_t* p = code;
  uint64_t a = addr;
  size_t n = 0;
  while (len > 0 && cs_disasm_iter(handle_, &p, &len, &a, insn)) ++n;
  return n;
}

Disassembler::BlockScan Disassembler::scan_block(const uint8_t* code, size_t len, uint64_t addr,
                                                 size_t last) {
  BlockScan out;
  auto* insn = static_cast<cs_insn*>(insn_);
  const uint8_t* p = code;
  uint64_t a = addr;
  while (len > 0 && static_cast<size_t>(p - code) <= last &&
         cs_disasm_iter(handle_, &p, &len, &a, insn)) {
    switch (insn->id) {
      case X86_INS_IN:
      case X86_INS_OUT:
      case X86_INS_INSB:
      case X86_INS_INSW:
      case X86_INS_INSD:
      case X86_INS_OUTSB:
      case X86_INS_OUTSW:
      case X86_INS_OUTSD:
        out.io_at = insn->address;
        return out;
      default:
        break;
    }
  }
  return out;
}

}  // namespace dk
