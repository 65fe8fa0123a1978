// A picoprocess: its address space, handle table and thread contexts, independent of any
// engine (an engine is borrowed while the picoprocess runs). Boots an image (segments,
// initial stack, boot page, std handles), serves the GuestControl side of downcalls, and
// delivers upcalls and exceptions per ABI.md section 5. Boot failures throw BootError;
// everything after boot reports through Ending values.
#pragma once

#include <cstdint>
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
#include "dk/run.h"

namespace dk {

class BootError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Picoprocess final : public GuestControl, public EngineClient {
 public:
  // Where the initial stack ends (stack_high); the stack grows down from here.
  static constexpr uint64_t kStackTop = 0x7ffffffde000ull;
  // PIE images are placed so their lowest page lands here.
  static constexpr uint64_t kPieBase = 0x555555554000ull;

  Picoprocess(Host& host, uint32_t pid = 1);
  ~Picoprocess() override;

  void boot(const ElfImage& image, const LaunchSpec& spec);  // throws BootError
  // Borrow / give back an engine: memory is mapped into it, the thread's context loaded.
  void attach(Engine& engine);
  void detach();

  AddressSpace& memory() { return mem_; }
  HandleTable& handles() { return handles_; }
  const dk_boot_info& boot_info() const { return boot_; }
  uint64_t boot_info_addr() const { return boot_addr_; }
  uint64_t image_bias() const { return bias_; }
  uint64_t downcalls() const { return downcalls_; }
  uint64_t ticks() const;

  // GuestControl.
  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override;
  dk_status_t vm_free(uint64_t addr, uint64_t size) override;
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override;
  uint64_t committed_bytes() const override { return mem_.committed_bytes(); }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override;
  dk_status_t exception_return(const dk_context& ctx) override;
  void thread_exit() override;
  void process_exit(int64_t code) override;

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
  void end_with(Ending e);

  // The run loop's actions. Each leaves the thread ready to run again, or sets ending().
  // An exception at the engine's current state (rip = the context's rip).
  void raise(uint32_t type, uint32_t detail, uint64_t address, uint64_t rip);
  // An instruction fetch at 0: an upcall returning, or a call through NULL.
  void fetch_at_zero();
  // After a requested stop: apply what the downcall asked (exit, new context).
  void after_request();

 private:
  enum class Upcall { Initialize, ThreadStart, Exception };
  struct Frame {
    Upcall kind;
    uint64_t entry_rsp;  // rsp at the upcall's first instruction
    uint32_t type;       // exception type, detail and address, for an exception frame
    uint32_t detail;
    uint64_t address;
    uint64_t rip = 0;    // where the thread was when it took the exception, for reports
  };
  struct Thread {
    uint32_t id = 1;
    dk_context ctx{};  // valid while the thread is off the engine
    std::vector<Frame> frames;
    uint32_t depth = 0;  // exception handlers entered and not yet returned
    std::optional<dk_context> pending;  // set by DkExceptionReturn
  };

  void enter_upcall(Thread& t, uint64_t rip, uint64_t rsp, uint64_t rdi, Upcall kind,
                    uint32_t type);
  dk_handle_t open_std(const std::string& uri, uint32_t access);

  Host& host_;
  Dispatcher dispatcher_;
  AddressSpace mem_;
  HandleTable handles_;
  CallContext cx_;
  Call call_;  // scratch, reused by every downcall
  std::vector<Thread> threads_;
  size_t current_ = 0;
  Engine* engine_ = nullptr;

  dk_boot_info boot_{};
  uint64_t boot_addr_ = 0;
  uint64_t bias_ = 0;
  std::optional<dk_image_note> note_;
  uint64_t downcalls_ = 0;
  uint64_t saved_ticks_ = 0;
  std::optional<Ending> ending_;
  bool exit_requested_ = false;
};

}  // namespace dk
