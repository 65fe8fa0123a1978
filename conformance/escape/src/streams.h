// Generated instruction streams: raw x86-64 code placed in a minimal image (one R+X PT_LOAD,
// no Dk note, so an exception ends the picoprocess), with a data area for strings at a fixed
// address. Internal to dk_escape.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace dk::escape {

inline constexpr uint64_t kStreamBase = 0x400000;
inline constexpr uint64_t kStreamCodeOff = 0x100;  // after the ELF and program headers
inline constexpr uint64_t kStreamDataOff = 0x800;  // strings
inline constexpr uint64_t kStreamSize = 0x2000;

enum Reg : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

class Stream {
 public:
  Stream();
  Stream& bytes(std::initializer_list<uint8_t> b);
  Stream& mov(Reg r, uint64_t imm);  // mov r64, imm64
  // The address the next instruction will have.
  uint64_t here() const { return kStreamBase + kStreamCodeOff + code_.size(); }
  // Adds NUL-terminated bytes to the data area; returns their address.
  uint64_t data(std::string_view s);
  // A table of 64- or 32-bit pointers in the data area.
  uint64_t pointers(const std::vector<uint64_t>& p, bool wide);
  // DkProcessExit(code); ud2.
  Stream& exit(int64_t code);
  std::vector<uint8_t> image() const;

 private:
  std::vector<uint8_t> code_, data_;
};

}  // namespace dk::escape
