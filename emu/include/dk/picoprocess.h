// A picoprocess: its address space, handle table and threads (contexts as data), independent
// of any engine (an engine is borrowed while one of its threads runs). Boots an image
// (segments, initial stack, boot page, std handles), serves the GuestControl side of
// downcalls, and delivers upcalls and exceptions per ABI.md section 5. The world it lives in
// schedules its threads and owns the clock; the picoprocess reaches it only through
// PicoprocessWorld (dk/picoprocess_world.h). Boot failures throw BootError; everything after
// boot reports through Ending values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/address_space.h"
#include "dk/dispatcher.h"
#include "dk/elf_image.h"
#include "dk/engine.h"
#include "dk/handle_table.h"
#include "dk/host.h"
#include "dk/picoprocess_world.h"
#include "dk/run.h"

namespace dk {

class BootError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Picoprocess final : public EngineClient, public GuestControl {
 public:
  // Where the initial stack ends (stack_high); the stack grows down from here.
  static constexpr uint64_t kStackTop = 0x7ffffffde000ull;
  // PIE images are placed so their lowest page lands here.
  static constexpr uint64_t kPieBase = 0x555555554000ull;

  enum class Upcall { Initialize, ThreadStart, Exception };
  struct Frame {
    Upcall kind;
    uint64_t entry_rsp;  // rsp at the upcall's first instruction
    uint32_t type;       // exception type, detail and address, for an exception frame
    uint32_t detail;
    uint64_t address;
    uint64_t rip = 0;  // where the thread was when it took the exception, for reports
  };

  // One guest thread, as data. The scheduler (World) reads and sets `state`.
  struct Thread {
    enum class State {
      Ready,   // runs when picked
      Parked,  // a downcall returned kBlocked; rip is on its syscall
      Exited,
    };
    uint32_t id = 1;
    State state = State::Ready;
    std::shared_ptr<ThreadObject> object;
    dk_context ctx{};  // valid while the thread is off the engine
    std::vector<Frame> frames;
    uint32_t depth = 0;                 // exception handlers entered and not yet returned
    std::optional<dk_context> pending;  // set by DkExceptionReturn

    // Blocking (the retry protocol of dk/host.h).
    uint64_t deadline = kNoDeadline;  // world clock; wakes the parked thread
    uint64_t parked_version = 0;      // world version when it parked
    uint64_t parked_exits = 0;        // world exit count when it parked
    uint64_t parks = 0;               // times it parked (tells a stale queue entry)
    WakeOn wake_on = WakeOn::Change;  // what else wakes the parked call
    bool woken = false;               // parked, and made runnable: it retries when picked
    uint64_t call_rip = 0;            // the syscall that is parked or being retried
    uint32_t call_index = 0;          // its Dk call index, for reports
    bool retrying = false;            // the next downcall at call_rip is the retry
    bool wake_pending = false;        // a DkThreadResume not yet taken
  };

  // Runs on `host` in `world`; both outlive it.
  Picoprocess(PicoprocessWorld& world, Host& host, uint32_t pid);
  ~Picoprocess() override;

  // `parent_end`, if any, goes into the handle table and into boot info's `parent`. With
  // `shared` (one entry per segment of `image`, kept by the caller for every picoprocess of
  // the image), segments without WRITE are committed on shared pages (AddressSpace::
  // commit_shared): made at the first boot, the same host pages for every later one.
  using SharedSegments = std::vector<std::shared_ptr<AddressSpace::Backing>>;
  void boot(const ElfImage& image, const LaunchSpec& spec,
            std::shared_ptr<HostObject> parent_end = nullptr,
            SharedSegments* shared = nullptr);  // throws BootError

  // Borrow / give back an engine: memory is mapped into it, the current thread's context
  // loaded; detach saves it.
  void attach(Engine& engine);
  void detach();
  bool attached() const { return engine_ != nullptr; }
  // Runs again on the engine it stayed attached to while off the vCPU.
  void resume_on_engine() { stop_wanted_ = false; }
  // Makes `t` the current thread (saving and loading contexts when attached) and drops
  // threads that have exited.
  void switch_to(Thread& t);

  uint32_t pid() const { return cx_.pid; }
  Host& host() { return host_; }
  // The host's clock (Host::clock_ns), the one block() deadlines are measured in.
  uint64_t host_clock_ns();
  AddressSpace& memory() { return mem_; }
  HandleTable& handles() { return handles_; }
  const dk_boot_info& boot_info() const { return boot_; }
  uint64_t boot_info_addr() const { return boot_addr_; }
  uint64_t image_bias() const { return bias_; }
  uint64_t downcalls() const { return downcalls_; }
  uint64_t ticks() const;
  const std::shared_ptr<ProcessObject>& object() const { return object_; }
  Thread& current() { return *current_; }
  const std::vector<std::unique_ptr<Thread>>& threads() const { return threads_; }
  // Threads not yet exited.
  size_t live_threads() const override;
  // The last downcall asked for the rest of the quantum to go to others (DkThreadYield);
  // reading clears it.
  bool take_yield() {
    const bool y = yield_;
    yield_ = false;
    return y;
  }

  // GuestControl.
  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override;
  dk_status_t vm_free(uint64_t addr, uint64_t size) override;
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override;
  // What the memory quota charges: private pages only (an image's shared read-only pages
  // are not this picoprocess's to pay for).
  uint64_t committed_bytes() const override {
    return mem_.committed_bytes() - mem_.shared_bytes();
  }
  void set_tick_limit(uint64_t ticks) override;
  uint64_t tick_limit() const { return tick_limit_; }  // the host's quota; 0: none
  // The dev: URIs the picoprocess's std handles were opened from ("" for none): a child
  // gets its own handles on the same devices.
  const std::string& std_uri(int which) const { return std_uris_[which]; }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override;
  dk_status_t exception_return(const dk_context& ctx) override;
  void thread_exit() override;
  void process_exit(int64_t code) override;
  dk_status_t thread_create(uint64_t arg, uint64_t stack_top,
                            std::shared_ptr<ThreadObject>& out) override;
  void yield() override;
  dk_status_t thread_resume(ThreadObject& t) override;
  void block(uint64_t deadline_ns) override { block_deadline_ = deadline_ns; }
  uint64_t wait_deadline() const override {
    return current_->retrying ? current_->deadline : kNoDeadline;
  }
  bool take_interrupt() override;
  void wake_on(WakeOn on) override { block_wake_on_ = on; }
  void wake(uint32_t pid, uint32_t tid) override { world_.wake(pid, tid); }
  dk_status_t process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) override;

  // EngineClient.
  dk_status_t on_downcall(const TrapRegs& regs, uint64_t rip) override;
  uint64_t on_rdtsc() override;

  // How the picoprocess ended, once it has.
  struct Ending {
    RunResult::End end = RunResult::End::Exited;
    int64_t exit_code = 0;
    uint32_t type = 0, detail = 0;
    uint64_t address = 0, rip = 0;
    std::string reason;
  };
  const std::optional<Ending>& ending() const { return ending_; }
  // Ends the picoprocess (every thread) unless it has already ended.
  void end_with(Ending e);

  // The run loop's actions. Each leaves the current thread ready to run again, parked,
  // exited, or sets ending().
  // An exception at the engine's current state (rip = the context's rip).
  void raise(uint32_t type, uint32_t detail, uint64_t address, uint64_t rip);
  // An instruction fetch at 0: an upcall returning, or a call through NULL.
  void fetch_at_zero();
  // After a requested stop: apply what the downcall asked (new context).
  void after_request();

 private:
  void enter_upcall(Thread& t, uint64_t rip, uint64_t rsp, uint64_t rdi, Upcall kind,
                    uint32_t type);
  dk_handle_t open_std(const std::string& uri, uint32_t access);
  Thread& new_thread();
  void park(Thread& t, uint64_t rip);
  void exit_thread(Thread& t);

  PicoprocessWorld& world_;
  Host& host_;
  Dispatcher dispatcher_;
  AddressSpace mem_;
  HandleTable handles_;
  CallContext cx_;
  Call call_;                                     // scratch, reused by every downcall
  std::vector<std::unique_ptr<Thread>> threads_;  // in tid order
  Thread* current_ = nullptr;
  uint32_t next_tid_ = 1;
  Engine* engine_ = nullptr;
  std::shared_ptr<ProcessObject> object_;

  dk_boot_info boot_{};
  uint64_t boot_addr_ = 0;
  uint64_t bias_ = 0;
  std::optional<dk_image_note> note_;
  uint64_t downcalls_ = 0;
  uint64_t saved_ticks_ = 0;
  std::optional<Ending> ending_;
  // Set by a downcall that needs the run loop (exit, new context, parked, yield): the
  // engine stops after the syscall hook returns.
  bool stop_wanted_ = false;
  bool yield_ = false;
  uint64_t block_deadline_ = kNoDeadline;  // from block() during the current downcall
  WakeOn block_wake_on_ = WakeOn::Change;  // from wake_on() during the current downcall
  uint64_t tick_limit_ = 0;
  std::string std_uris_[3];
};

}  // namespace dk
