// A guest with nothing in it, for tests that call a host directly with no guest pointers:
// NoMemory has no readable or writable byte (only empty ranges check), NoControl refuses
// every allocation and accepts every other GuestControl request without doing anything.
#pragma once

#include <string>

#include "dk/guest_memory.h"
#include "dk/host.h"

namespace dk::null_guest {

class NoMemory : public GuestMemory {
 public:
  bool check(uint64_t, uint64_t len, uint32_t) const override { return len == 0; }
  bool read(uint64_t, void*, uint64_t len) const override { return len == 0; }
  bool write(uint64_t, const void*, uint64_t len) override { return len == 0; }
  dk_status_t read_cstr(uint64_t, uint64_t, std::string&) const override { return -DK_E_FAULT; }
};

class NoControl : public GuestControl {
 public:
  dk_status_t vm_allocate(uint64_t&, uint64_t, uint32_t, uint32_t) override { return -DK_E_NOMEM; }
  dk_status_t vm_free(uint64_t, uint64_t) override { return 0; }
  dk_status_t vm_protect(uint64_t, uint64_t, uint32_t) override { return 0; }
  uint64_t committed_bytes() const override { return 0; }
  dk_status_t set_segment(uint32_t, uint64_t) override { return 0; }
  dk_status_t exception_return(const dk_context&) override { return 0; }
  void thread_exit() override {}
  void process_exit(int64_t) override {}
};

}  // namespace dk::null_guest
