// What a host and the dispatcher may do with a picoprocess's memory: checked reads and writes
// of guest addresses. The emulator's AddressSpace implements it; nothing else touches guest
// memory. All checks are whole-range: a failure copies nothing.
#pragma once

#include <cstdint>
#include <string>

#include "dk/abi.h"

namespace dk {

class GuestMemory {
 public:
  virtual ~GuestMemory() = default;
  // True when every byte of [addr, addr+len) is inside the user range, mapped and allowed
  // `access` (DK_PROT_READ and/or DK_PROT_WRITE). Guard pages and overflow fail. len 0 is true.
  virtual bool check(uint64_t addr, uint64_t len, uint32_t access) const = 0;
  // Copy in / out. False (and nothing copied) exactly when check() would fail.
  virtual bool read(uint64_t addr, void* dst, uint64_t len) const = 0;
  virtual bool write(uint64_t addr, const void* src, uint64_t len) = 0;
  // A NUL-terminated string of at most `max` bytes before the NUL. Returns 0, -DK_E_FAULT
  // (unreadable before the NUL) or -DK_E_NAMETOOLONG (no NUL within max+1 bytes).
  virtual dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const = 0;
};

}  // namespace dk
