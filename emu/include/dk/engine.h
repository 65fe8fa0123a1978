// One Unicorn x86-64 vCPU running guest code at CPL 3, with every way out trapped: Dk
// downcalls are served inside the syscall hook (no stop), everything else (faults, foreign
// traps, port I/O, fetches at 0) stops the engine with an EngineStop for the run loop.
// An engine is borrowed: the picoprocess's state lives elsewhere (AddressSpace, contexts).
// Construction throws EngineError; run() reports engine errors as Kind::Error, never throws.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "dk/abi.h"
#include "dk/direct_regs.h"
#include "dk/dispatcher.h"

struct uc_struct;
struct uc_context;
struct uc_tlb_entry;

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
    Quantum,    // the tick set by set_slice_end reached at a block boundary (preemption)
    TickLimit,  // max_ticks reached at a block boundary
    Interrupt,  // the interrupt flag (set_interrupt_flag) was seen at a block boundary
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

  Engine();  // throws EngineError
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uc_struct* uc() { return uc_; }
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

  // Ticks (basic blocks entered) of the bound picoprocess; the engine counts, the
  // picoprocess keeps the count while it holds no engine.
  uint64_t ticks() const { return ticks_; }
  void set_ticks(uint64_t t) { ticks_ = t; }
  // Stops with TickLimit when ticks() reaches t (0: no limit), and with Quantum when it
  // reaches the end of the running thread's time slice (~0: none). The block hook tests one
  // precomputed bound, so preemption costs one compare per block.
  void set_max_ticks(uint64_t t) {
    max_ticks_ = t;
    update_stop_at();
  }
  void set_slice_end(uint64_t t) {
    slice_end_ = t;
    update_stop_at();
  }

  // A flag another party may set at any time (a signal handler: it is only loaded); the
  // engine stops with Interrupt at the next block boundary once it is true. nullptr: none.
  void set_interrupt_flag(const std::atomic<bool>* flag) { interrupt_ = flag ? flag : &kNoInterrupt; }

  // Offset of the CPU's old_exception field in a saved uc_context (found at start-up).
  static size_t old_exception_offset();

  // True when the syscall hook reads and writes registers in place (dk/direct_regs.h)
  // rather than through Unicorn's register API. DK_ENGINE_REGISTERS=api in the environment
  // keeps every engine made afterwards on the API (a diagnostic and a comparison baseline).
  bool direct_registers() const { return direct_.ok(); }

 private:
  struct ScanEntry {
    uint64_t addr = ~0ull;
    uint32_t size = 0;
    uint32_t generation = 0;  // valid only in the generation it was made in
    uint64_t io_at = 0;
  };
  static constexpr size_t kScanSlots = 4096;
  static size_t scan_slot(uint64_t addr) { return (addr ^ (addr >> 12)) & (kScanSlots - 1); }

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
  [[gnu::noinline]] uint64_t scan_block(uint64_t addr, uint32_t size);
  bool peek(uint64_t addr, void* dst, uint64_t len);
  EngineStop step_to_io(uint64_t block, uint64_t io);

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
  uint64_t step_block_ = ~0ull;

  uint64_t ticks_ = 0;
  uint64_t max_ticks_ = 0;
  uint64_t slice_end_ = ~0ull;
  uint64_t stop_at_ = ~0ull;  // min(max_ticks_ or never, slice_end_)
  static inline const std::atomic<bool> kNoInterrupt{false};
  const std::atomic<bool>* interrupt_ = &kNoInterrupt;
  uint64_t block_start_ = 0, block_end_ = 0;
  std::array<ScanEntry, kScanSlots> scan_{};
  uint32_t scan_generation_ = 1;  // bumped on bind: another picoprocess's code
};

// rflags as DkExceptionReturn allows them: arithmetic flags, DF and AC from the guest; IF set,
// IOPL 0, TF clear.
uint64_t sanitize_rflags(uint64_t guest);

}  // namespace dk
