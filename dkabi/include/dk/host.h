// The C++ Host interface: what serves a picoprocess's downcalls once the dispatcher has
// checked and copied their arguments. A Host never touches the CPU emulator. Calls that
// change memory or threads go through GuestControl, which the picoprocess model implements.
// Errors are values here (dk_status_t), never exceptions.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "dk/abi.h"
#include "dk/call.h"
#include "dk/guest_memory.h"
#include "dk/handle_table.h"

namespace dk {

// Memory and thread control over the calling picoprocess (calls 1-8, 18, 24-25, 42-43).
class GuestControl {
 public:
  virtual ~GuestControl() = default;
  // Virtual memory, with the semantics of calls 1-3. *addr 0 lets the picoprocess pick
  // (deterministically); returns 0 or -DK_E_*.
  virtual dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) = 0;
  virtual dk_status_t vm_free(uint64_t addr, uint64_t size) = 0;
  virtual dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) = 0;
  virtual uint64_t committed_bytes() const = 0;
  // Registers of the calling thread.
  virtual dk_status_t set_segment(uint32_t reg, uint64_t base) = 0;
  virtual dk_status_t exception_return(const dk_context& ctx) = 0;  // replaces the context
  // Ending: the calling thread, or the whole picoprocess.
  virtual void thread_exit() = 0;
  virtual void process_exit(int64_t code) = 0;
};

// Everything a host learns about the caller of one downcall.
struct CallContext {
  GuestMemory& mem;
  GuestControl& ctl;
  HandleTable& handles;
  uint32_t pid = 0;     // picoprocess id within the world
  uint32_t thread = 0;  // calling thread id within the picoprocess
  uint64_t tick = 0;    // ticks the picoprocess has executed (basic blocks)
  uint64_t rip = 0;     // address of the trapping instruction
};

class Host {
 public:
  virtual ~Host() = default;
  virtual std::string_view name() const = 0;  // goes into dk_system_info.host_name

  // Serve one checked call. The default routes to the per-call methods below; decorators
  // (Recorder, Replayer, Auditor) override this one method.
  virtual dk_status_t serve(CallContext& cx, Call& call);

  // Value of rdtsc for a picoprocess that has executed `tick` ticks.
  virtual uint64_t cycle_counter(const CallContext& cx) = 0;
  // The launcher opened boot-info handle `h` as the picoprocess's stdin (0), stdout (1) or
  // stderr (2) through DkStreamOpen; a host may route console output by it.
  virtual void bind_std_handle(CallContext& /*cx*/, int /*which*/, dk_handle_t /*h*/) {}

#define DK_X_METHOD(idx, name, kinds, names) virtual dk_status_t name(CallContext& cx, Call& call);
  DK_CALL_LIST(DK_X_METHOD)
#undef DK_X_METHOD
};

}  // namespace dk
