// Direct access to a Unicorn x86-64 vCPU's general registers, rip and rflags, for the
// syscall hook. Each call into Unicorn's register API costs 10-35 ns (an indirect call into a
// large switch), and a downcall needs eight register transfers: through the API they were
// two thirds of what the engine adds to a bare hook. This reads and writes the vCPU's
// register words in place instead.
//
// Unicorn does not publish where those words are, so they are found and checked, never
// assumed. Once per process the register API writes distinct tagged values into rax..r15
// and rip, and the engine's own structure is searched, only through pointers that
// /proc/self/maps says are readable, for the one block holding all of them. Each engine then
// checks every register both ways (written in place and read through the API, and the
// reverse), and rflags against the API's, before it is used. If anything does not match,
// ok() stays false and the engine keeps using the API: slower, never wrong.
#pragma once

#include <cstdint>
#include <cstring>

struct uc_struct;

namespace dk {

class DirectRegs {
 public:
  enum Reg {
    kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
    kRip, kCount
  };

  // Finds and checks the register words of `uc`'s vCPU (which must be initialised: any
  // register or memory call has done it). The registers' values are kept. False: not usable
  // on this engine, and ok() stays false.
  bool attach(uc_struct* uc);
  bool ok() const { return env_ != nullptr; }

  uint64_t get(Reg r) const {
    uint64_t v;
    std::memcpy(&v, env_ + off_[r], 8);
    return v;
  }
  void set(Reg r, uint64_t v) { std::memcpy(env_ + off_[r], &v, 8); }
  // rflags as the API's EFLAGS read gives it: the lazily kept arithmetic flags computed.
  uint64_t rflags() const;

 private:
  uint8_t* env_ = nullptr;
  uint32_t off_[kCount] = {};
  uint32_t eflags_off_ = 0;
  uint64_t (*read_eflags_)(void*) = nullptr;
};

}  // namespace dk
