// The C++ Host interface: what serves a picoprocess's downcalls once the dispatcher has
// checked and copied their arguments. A Host never touches the CPU emulator. Calls that
// change memory or threads go through GuestControl, which the picoprocess model implements.
// Errors are values here (dk_status_t), never exceptions.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dk/abi.h"
#include "dk/call.h"
#include "dk/guest_memory.h"
#include "dk/handle_table.h"

namespace dk {

// Blocking. A host call that cannot complete yet calls cx.ctl.block(deadline) and returns
// kBlocked, which never reaches the guest. The emulator parks the calling thread with its
// rip still on the `syscall`, and executes the same call again when (a) any other downcall
// of the world has completed since the thread parked (the world changed), (b) the world
// clock reached the deadline, or (c) DkThreadResume woke the thread. On the retry the host
// finds the original deadline in cx.ctl.wait_deadline() and a pending wake-up through
// cx.ctl.take_interrupt(), so timeouts and interruption need no state in the host. When
// every thread of the world is parked, the clock jumps to the earliest deadline; with no
// deadline at all, the world is deadlocked and its picoprocesses end with a report.
//
// Wait queues narrow (a): a host that knows what a blocked call waits for says so with
// cx.ctl.wake_on() before returning kBlocked, and names each parked call a change lets go
// on with cx.ctl.wake(pid, tid) during the call that made the change. A call whose host
// says nothing retries on every change, as above.
inline constexpr dk_status_t kBlocked = std::numeric_limits<dk_status_t>::min() + 1;
inline constexpr uint64_t kNoDeadline = ~0ull;

// What makes a parked call retry besides its deadline and DkThreadResume (see kBlocked).
enum class WakeOn : uint8_t {
  Change = 0,  // any completed downcall or exit in the world: the host cannot see the wait
  Exit = 1,    // wake(), or any thread or picoprocess of the world ending (waits on a thread,
               // a process, or a stream end whose peer's handles close when its owner ends)
  Wake = 2,    // wake() only (semaphores, events, delays)
};

// Objects the emulator creates and hosts read to answer waits (DkObjectsWaitAny,
// DkProcessExitCodeQuery). Handles to them live in handle tables like any host object.
struct ThreadObject : HostObject {
  ThreadObject() : HostObject(ObjectKind::Thread) {}
  uint32_t pid = 0, tid = 0;
  bool exited = false;
};

struct ProcessObject : HostObject {
  ProcessObject() : HostObject(ObjectKind::Process) {}
  uint32_t pid = 0;
  bool exited = false;
  int64_t exit_code = 0;
};

// What a new picoprocess is made from (DkProcessCreate). The host resolves the URI to image
// bytes; the emulator loads, boots and schedules it in the same world.
struct ChildSpec {
  std::vector<uint8_t> image;
  std::string name;                       // package name for boot info
  std::vector<std::string> args;          // argv
  std::shared_ptr<HostObject> parent_end; // stream object the child sees as boot info `parent`
};

// Memory and thread control over the calling picoprocess (calls 1-8, 17-18, 24-25, 42-43).
// Methods past the first group have defaults so that simple controls (tests, tools) need
// only the memory part.
class GuestControl {
 public:
  virtual ~GuestControl() = default;
  // Virtual memory, with the semantics of calls 1-3. *addr 0 lets the picoprocess pick
  // (deterministically); returns 0 or -DK_E_*.
  virtual dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) = 0;
  virtual dk_status_t vm_free(uint64_t addr, uint64_t size) = 0;
  virtual dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) = 0;
  virtual uint64_t committed_bytes() const = 0;
  // Quotas: threads not yet exited; a tick budget (0: none) past which the picoprocess ends.
  virtual size_t live_threads() const { return 1; }
  virtual void set_tick_limit(uint64_t /*ticks*/) {}
  // Registers of the calling thread.
  virtual dk_status_t set_segment(uint32_t reg, uint64_t base) = 0;
  virtual dk_status_t exception_return(const dk_context& ctx) = 0;  // replaces the context
  // Ending: the calling thread, or the whole picoprocess.
  virtual void thread_exit() = 0;
  virtual void process_exit(int64_t code) = 0;

  // Threads (calls 4, 7, 8). thread_create needs the image's LibOsThreadStart (NOTSUP
  // without the Dk note); the new thread enters it with rdi = arg, rsp = (stack_top & ~15) - 8.
  virtual dk_status_t thread_create(uint64_t /*arg*/, uint64_t /*stack_top*/,
                                    std::shared_ptr<ThreadObject>& /*out*/) {
    return -DK_E_NOTSUP;
  }
  virtual void yield() {}
  // Wakes `t` out of a delay or wait, or leaves one pending wake-up (ABI.md #8).
  virtual dk_status_t thread_resume(ThreadObject& /*t*/) { return -DK_E_NOTSUP; }

  // Blocking (see kBlocked): park the calling thread until the world changes or `deadline`
  // (world clock, ns; kNoDeadline for none). wait_deadline() is the deadline of the blocked
  // call now being retried, or kNoDeadline for a fresh call; take_interrupt() consumes a
  // pending DkThreadResume wake-up.
  virtual void block(uint64_t /*deadline_ns*/) {}
  virtual uint64_t wait_deadline() const { return kNoDeadline; }
  virtual bool take_interrupt() { return false; }
  // Wait queues (see kBlocked): what wakes the call now blocking (WakeOn::Change unless
  // told), and a parked call of (pid, tid) that a change made by this call lets go on.
  virtual void wake_on(WakeOn /*on*/) {}
  virtual void wake(uint32_t /*pid*/, uint32_t /*tid*/) {}

  // Processes (call 17): a child picoprocess in the same world.
  virtual dk_status_t process_create(ChildSpec /*spec*/, std::shared_ptr<ProcessObject>& /*out*/) {
    return -DK_E_NOTSUP;
  }
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
  uint64_t now_ns = 0;  // the world clock: virtual ns since the world started (ticks x 10 ns
                        // of every picoprocess, plus jumps while every thread slept)
};

class Host {
 public:
  virtual ~Host() = default;
  virtual std::string_view name() const = 0;  // goes into dk_system_info.host_name

  // Serve one checked call. The default routes to the per-call methods below; decorators
  // (HostDecorator: Recorder, Auditor; and the Replayer) override this one method.
  virtual dk_status_t serve(CallContext& cx, Call& call);

  // Value of rdtsc for a picoprocess that has executed `tick` ticks.
  virtual uint64_t cycle_counter(const CallContext& cx) = 0;
  // The clock that block() deadlines are measured in, in ns. The simulated host answers the
  // world clock (virtual, cx.now_ns); a real host answers CLOCK_MONOTONIC. The emulator
  // compares parked threads' deadlines against it.
  virtual uint64_t clock_ns(const CallContext& cx) { return cx.now_ns; }
  // Every thread of the world is parked; the earliest deadline is `deadline` (host clock,
  // kNoDeadline for none). A real host waits here, in the kernel, for I/O or the deadline,
  // and returns true: parked threads then retry. The default returns false: nothing outside
  // the world can happen, so the emulator jumps the virtual clock to the deadline, or reports
  // a deadlock when there is none.
  virtual bool idle(uint64_t /*deadline*/) { return false; }
  // True (the default) when nothing but the program and the seed decides the host's answers:
  // the emulator then counts ticks, one per basic block entered, for preemption and the
  // clock, so every run is the same. A real host answers false: the emulator runs its guests
  // on engines without a per-block callback, preempted by a watchdog, with ticks counted as
  // CPU time (dk/engine.h, Engine::Timing), unless the run is recorded or replayed.
  virtual bool deterministic() const { return true; }
  // The launcher opened boot-info handle `h` as the picoprocess's stdin (0), stdout (1) or
  // stderr (2) through DkStreamOpen; a host may route console output by it.
  virtual void bind_std_handle(CallContext& /*cx*/, int /*which*/, dk_handle_t /*h*/) {}

  // One method per call. The calls the table marks DK_CALL_CONTROL (memory, exit, segment
  // base, exception return) default to GuestControl, which carries them out on the
  // picoprocess; a host overrides one only to do more (charge a quota, say). Every other
  // call defaults to -DK_E_NOTSUP.
#define DK_X_METHOD(idx, name, kinds, names) virtual dk_status_t name(CallContext& cx, Call& call);
  DK_CALL_LIST(DK_X_METHOD)
#undef DK_X_METHOD
};

// A Host that serves through another one, the base of every decorator: forwarding is
// written once here, and a decorator overrides only what it changes (usually serve()).
class HostDecorator : public Host {
 public:
  explicit HostDecorator(Host& inner) : inner_(inner) {}

  std::string_view name() const override { return inner_.name(); }
  dk_status_t serve(CallContext& cx, Call& call) override { return inner_.serve(cx, call); }
  uint64_t cycle_counter(const CallContext& cx) override { return inner_.cycle_counter(cx); }
  uint64_t clock_ns(const CallContext& cx) override { return inner_.clock_ns(cx); }
  bool idle(uint64_t deadline) override { return inner_.idle(deadline); }
  bool deterministic() const override { return inner_.deterministic(); }
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override {
    inner_.bind_std_handle(cx, which, h);
  }

 protected:
  Host& inner() const { return inner_; }

 private:
  Host& inner_;
};

}  // namespace dk
