// A child's memory as the supervisor sees it: the checks come from the supervisor's own
// record of the child's regions (an AddressSpace that only keeps books: the child's pages
// never live here), the bytes move with process_vm_readv/writev. The kernel checks every
// copy again, so a child that changed its mappings behind the supervisor's back (through a
// tampered shim) gets FAULT, and the supervisor never touches anything but that child.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "dk/address_space.h"
#include "dk/guest_memory.h"

namespace dk::rt {

// Mappings the supervisor decided but the child has not made yet.
class PendingMaps {
 public:
  virtual ~PendingMaps() = default;
  // Before [addr, addr+len) is read or written: have the child make any pending mapping
  // that touches it. False when the child could not (it is then ending).
  virtual bool settle(uint64_t addr, uint64_t len) = 0;
};

class RemoteMemory final : public GuestMemory {
 public:
  explicit RemoteMemory(AddressSpace& books) : books_(books) {}
  void set_pid(pid_t pid) { pid_ = io_pid_ = pid; }
  void set_pending(PendingMaps* p) { pending_ = p; }

  bool check(uint64_t addr, uint64_t len, uint32_t access) const override;
  bool read(uint64_t addr, void* dst, uint64_t len) const override;
  bool write(uint64_t addr, const void* src, uint64_t len) override;
  dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const override;

  // Reads whatever the child has mapped readable, whatever the books say (instruction bytes
  // for reports and trap classification).
  bool peek(uint64_t addr, void* dst, uint64_t len) const;

 private:
  bool copy_in(uint64_t addr, void* dst, uint64_t len) const;
  bool copy_out(uint64_t addr, const void* src, uint64_t len) const;
  // The first thread may have left (DkThreadExit) while others go on: the kernel then has
  // no memory behind its id. Finds a thread that still has, from /proc/PID/task.
  bool next_thread() const;
  bool settled(uint64_t addr, uint64_t len) const {
    return !pending_ || pending_->settle(addr, len);
  }
  AddressSpace& books_;
  pid_t pid_ = -1;
  mutable pid_t io_pid_ = -1;  // the thread whose id the copies name
  PendingMaps* pending_ = nullptr;
};

}  // namespace dk::rt
