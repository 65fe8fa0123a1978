// One Unicorn x86-64 vCPU running guest code at CPL 3, with every way out trapped: Dk
// downcalls are served inside the syscall hook (no stop), everything else (faults, foreign
// traps, port I/O, fetches at 0) stops the engine with an EngineStop for the run loop.
// An engine is borrowed: the picoprocess's state lives elsewhere (AddressSpace, contexts).
// Construction throws EngineError; run() reports engine errors as Kind::Error, never throws.
//
// Two kinds of engine (Timing), chosen when it is made, since Unicorn only instruments code
// translated after a hook exists:
//   Ticks:    a block hook counts ticks (one per basic block entered) and stops the engine at
//             a block boundary at the slice end, the tick limit or the interrupt flag: every
//             run is deterministic (the simulated host, recording and replay, and any world
//             under a tick bound: World::start_engine decides).
//   Watchdog: no per-block callback; a tick is 10 ns of the running thread's CPU time (as on
//             the native runtime), brought up to date when a run ends, and a watchdog thread
//             stops the engine (uc_emu_stop) when the slice end or the tick limit is due in
//             wall time or the interrupt flag is set (the native host, opt-in for now:
//             World::start_engine).
// Both scan each translated block once for port I/O (a hook on new translations) and tell
// `int n` from faults by the CPU's own record of the exception (exception_is_int).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "dk/abi.h"
#include "dk/address_space.h"
#include "dk/direct_regs.h"
#include "dk/dispatcher.h"
#include "dk/run_types.h"

struct uc_struct;
struct uc_context;
struct uc_tlb_entry;
struct uc_tb;

namespace dk {

class AddressSpace;

class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the engine's hooks ask of the picoprocess bound to it.
class EngineClient {
 public:
  virtual ~EngineClient() = default;
  // A Dk downcall (rax is a Dk number); returns rax. May call Engine::request_stop().
  // kBlocked (dk/host.h) leaves every register as it was and rip on the syscall, so the
  // same call runs again when the thread next runs.
  virtual dk_status_t on_downcall(const TrapRegs& regs, uint64_t rip) = 0;
  // rdtsc/rdtscp at CPL 3 (CR4.TSD): the virtual cycle counter.
  virtual uint64_t on_rdtsc() = 0;
};

struct EngineStop {
  enum class Kind {
    Exception,  // type/detail/address/rip as for dk_exception_info (rip = context rip)
    FetchZero,  // instruction fetch at address 0 (upcall return or NULL call)
    Requested,  // the client asked (exit, context replaced, thread parked or yielded, ...)
    Quantum,    // the tick set by set_slice_end reached at a block boundary (preemption);
                // Watchdog: its time came (or the engine stopped for no other reason)
    TickLimit,  // max_ticks reached at a block boundary (Watchdog: reached when it stopped)
    Interrupt,  // the interrupt flag (set_interrupt_flag) was seen at a block boundary
                // (Watchdog: when the engine stopped)
    Error,      // an engine error; reason says which
  };
  Kind kind = Kind::Error;
  uint32_t type = 0;
  uint32_t detail = 0;
  uint64_t address = 0;
  uint64_t rip = 0;
  uint64_t number = 0;  // rax of a foreign syscall
  uint32_t size = 0;    // MEMFAULT: bytes of the faulting access
  std::string reason;
};

class Engine {
 public:
  // The host page (GDT + iretq trampoline) sits just above the user range, in the last page
  // of the lower canonical half. It is mapped read-only; guest code can read it (there is no
  // paging, so no user/supervisor bit) and can neither write nor execute it, and no downcall
  // accepts it (it is outside the user range).
  static constexpr uint64_t kHostPage = 0x7ffffffff000ull;
  static constexpr uint16_t kUserCode = 0x23;
  static constexpr uint16_t kUserData = 0x1b;

  enum class Timing { Ticks, Watchdog };
  // Watchdog engines: CPU time per tick (the world clock's rate, and the native runtime's),
  // and how often the watchdog looks at the interrupt flag while the guest runs.
  static constexpr uint64_t kWatchdogNsPerTick = 10;
  static constexpr uint64_t kWatchdogPollNs = 10'000'000;

  // With count_blocks (a Ticks engine), every block entered is also counted in the table
  // set_block_counts() gives (a profile run); other engines have no such work on any block.
  explicit Engine(Timing timing = Timing::Ticks, bool count_blocks = false);  // throws EngineError
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uc_struct* uc() { return uc_; }
  // Shared regions left mapped by picoprocesses that used this engine before
  // (AddressSpace::attach): every address space attached to the engine is given this list.
  AddressSpace::Residents& residents() { return residents_; }
  Timing timing() const { return timing_; }
  // Binds the picoprocess whose memory is attached and whose calls the hooks serve.
  // Engines are borrowed: one engine serves the picoprocesses of a world in turn.
  void bind(AddressSpace* as, EngineClient* client);

  // Runs from the current rip until something stops it.
  EngineStop run();
  // Asks the engine to stop after the current hook returns.
  void request_stop();

  // Registers (the calling thread's, while it is on this engine).
  void read_context(dk_context& ctx);
  void write_context(const dk_context& ctx);  // caller sanitizes rflags/mxcsr
  uint64_t reg(int uc_reg);
  void set_reg(int uc_reg, uint64_t v);
  // FPU/SSE state to the reset values of an upcall: FCW 0x037f, MXCSR 0x1f80, rest zero.
  void reset_fpu();

  // Code in [addr, addr+len) may have changed: drop translations and scan results.
  void invalidate_code(uint64_t addr, uint64_t len);

  // Ticks of the bound picoprocess (Ticks: basic blocks entered; Watchdog: 10 ns of CPU time
  // each, counted when a run ends); the engine counts, the picoprocess keeps the count while
  // it holds no engine.
  uint64_t ticks() const { return ticks_; }
  void set_ticks(uint64_t t) { ticks_ = t; }
  // Stops with TickLimit when ticks() reaches t (0: no limit), and with Quantum when it
  // reaches the end of the running thread's time slice (~0: none). The block hook tests one
  // precomputed bound, so preemption costs one compare per block; the watchdog is armed
  // with the same bound, in time.
  void set_max_ticks(uint64_t t) {
    max_ticks_ = t;
    update_stop_at();
  }
  void set_slice_end(uint64_t t) {
    slice_end_ = t;
    update_stop_at();
  }

  // A flag another party may set at any time (a signal handler: it is only loaded); the
  // engine stops with Interrupt at the next block boundary once it is true (Watchdog: within
  // the watchdog's polling period, kWatchdogPollNs). nullptr: none.
  void set_interrupt_flag(const std::atomic<bool>* flag) { interrupt_ = flag ? flag : &kNoInterrupt; }

  // Offset of the CPU's old_exception field in a saved uc_context (found at start-up).
  static size_t old_exception_offset();
  // Offset of the CPU's exception_is_int field (1 after `int n`, 0 after a fault), likewise.
  static size_t exception_is_int_offset();
  // Blocks translated since the engine was made (the hook on new translations counts them).
  uint64_t translations() const { return translations_; }
  // How often run() emptied the translation buffer before it could fill (engine.cc).
  uint64_t translation_flushes() const { return tb_flushes_; }
  // The estimated use of the translation buffer at which run() empties it, for every engine
  // of the process: half the buffer (the default, and the most; 0 restores it). Lower only
  // to exercise the flush (tests).
  static void set_translation_flush_at(uint64_t bytes);

  // With a table, an engine made with count_blocks counts every block entered in it
  // (RunOptions::profile), its instructions counted once when first seen; nullptr: none.
  void set_block_counts(BlockProfiles* blocks) { blocks_ = blocks; }

  // True when the syscall hook reads and writes registers in place (dk/direct_regs.h)
  // rather than through Unicorn's register API. DK_ENGINE_REGISTERS=api in the environment
  // keeps every engine made afterwards on the API (a diagnostic and a comparison baseline).
  bool direct_registers() const { return direct_.ok(); }

 private:
  class Watchdog;

  static void hook_syscall(uc_struct* uc, void* self);
  void syscall_direct();
  static void hook_intr(uc_struct* uc, uint32_t vector, void* self);
  static bool hook_invalid(uc_struct* uc, void* self);
  static bool hook_mem_fault(uc_struct* uc, int type, uint64_t addr, int size, int64_t value,
                             void* self);
  static bool hook_tlb_fill(uc_struct* uc, uint64_t page, int type, uc_tlb_entry* e, void* self);
  EngineStop refused_access();
  int emu_start(uint64_t begin, uint64_t until);  // a uc_err
  dk_status_t host_call(const TrapRegs& regs, uint64_t rip);
  static void hook_block(uc_struct* uc, uint64_t addr, uint32_t size, void* self);
  static void hook_block_counted(uc_struct* uc, uint64_t addr, uint32_t size, void* self);
  static void hook_translated(uc_struct* uc, uc_tb* cur, uc_tb* prev, void* self);
  // The stop the block hook makes at a boundary (slice end, tick limit, interrupt).
  void boundary_stop(uint64_t addr);
  bool at_boundary() const;

  void set_up();
  void release();
  void update_stop_at() {
    const uint64_t limit = max_ticks_ ? max_ticks_ : ~0ull;
    stop_at_ = limit < slice_end_ ? limit : slice_end_;
  }
  void enter_user_mode();
  void clear_old_exception();
  void stop_exception(uint32_t type, uint32_t detail, uint64_t address, uint64_t rip);
  bool is_software_int(uint64_t rip, uint32_t vector);
  bool exception_was_int();
  uint64_t scan_block(uint64_t addr, uint32_t size);
  void count_block(uint64_t addr, uint32_t size);
  bool peek(uint64_t addr, void* dst, uint64_t len);
  EngineStop step_to_io(uint64_t block, uint64_t io);

  Timing timing_;
  uc_struct* uc_ = nullptr;
  DirectRegs direct_;
  uc_context* scratch_ = nullptr;  // for the old_exception reset
  uc_context* precise_ctx_ = nullptr;  // registers around refused_access's re-run

  // A page physical memory never holds (above the 48-bit guest range): a refused page is
  // backed by it while its access runs once more to name the exact address.
  static constexpr uint64_t kScratchPhys = 0xf00000000000ull;
  bool host_page_exec_ = true;  // the start-up probe runs code there
  bool guest_running_ = false;  // in emu_start and not in a downcall: protections apply
  bool granted_ = false;        // a page was granted for Unicorn's upkeep: flush the TLB
  struct Refused {
    bool valid = false;
    uint64_t page = 0;
    uint32_t need = 0;  // UC_PROT_READ, _WRITE or _EXEC
  } refused_;
  struct Precise {
    bool active = false;
    uint64_t page = 0;
    uint32_t need = 0;
    uint32_t blocks = 0;
    bool hit = false;
    uint64_t offset = 0;
    uint32_t size = 0;
  } precise_;
  uint8_t* host_page_ = nullptr;
  AddressSpace* as_ = nullptr;
  EngineClient* client_ = nullptr;

  // Set by hooks, consumed by run().
  bool stopped_ = false;
  EngineStop stop_;
  bool io_pending_ = false;
  uint64_t io_block_ = 0, io_at_ = 0;
  bool stepping_ = false;      // step_to_io's run: its translation ends before the I/O
  uint64_t drop_tb_ = ~0ull;   // a translation holding port I/O: dropped before it can run
  uint64_t translations_ = 0;
  AddressSpace::Residents residents_;  // released after uc_close (release())
  uint64_t tb_estimate_ = 0;  // bytes of the translation buffer in use, over-estimated
  uint64_t tb_flushes_ = 0;
  bool probe_is_int_ = false;  // start-up: the interrupt hook saves the context in scratch_

  uint64_t ticks_ = 0;
  BlockProfiles* blocks_ = nullptr;  // set_block_counts
  bool count_blocks_ = false;        // hook_block_counted is the block hook
  uint64_t max_ticks_ = 0;
  uint64_t slice_end_ = ~0ull;
  uint64_t stop_at_ = ~0ull;  // min(max_ticks_ or never, slice_end_)
  static inline const std::atomic<bool> kNoInterrupt{false};
  const std::atomic<bool>* interrupt_ = &kNoInterrupt;
  std::unique_ptr<Watchdog> watchdog_;  // Watchdog engines only
};

// rflags as DkExceptionReturn allows them: arithmetic flags, DF and AC from the guest; IF set,
// IOPL 0, TF clear.
uint64_t sanitize_rflags(uint64_t guest);

}  // namespace dk
