// run_picoprocess: the life of a picoprocess in one loop, in the manner of QEMU's cpu_loop:
// run the vCPU, switch on why it stopped, act, run again.
#include "dk/run.h"

#include <unicorn/unicorn.h>

#include <memory>

#include "dk/disassembler.h"
#include "dk/elf_image.h"
#include "dk/engine.h"
#include "dk/picoprocess.h"

namespace dk {
namespace {

const char* type_name(uint32_t type) {
  switch (type) {
    case DK_EXCEPTION_MEMFAULT: return "MEMFAULT";
    case DK_EXCEPTION_ILLEGAL: return "ILLEGAL";
    case DK_EXCEPTION_ARITHMETIC: return "ARITHMETIC";
    case DK_EXCEPTION_BREAKPOINT: return "BREAKPOINT";
    case DK_EXCEPTION_FOREIGN_TRAP: return "FOREIGN_TRAP";
    case DK_EXCEPTION_INTERRUPT: return "INTERRUPT";
    default: return "exception";
  }
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Instruction bytes at addr (up to 15) and their disassembly.
std::string disassemble(const AddressSpace& mem, uint64_t addr, std::vector<uint8_t>* bytes) {
  uint8_t code[15];
  size_t n = sizeof code;
  while (n > 0 && !mem.peek(addr, code, n)) --n;
  if (n == 0) return "";
  Disassembler& d = Disassembler::for_this_thread();
  if (bytes) {
    size_t len = d.length(code, n, addr);
    bytes->assign(code, code + (len ? len : 1));
  }
  return d.text(code, n, addr);
}

void record_trap(const Picoprocess& proc, const EngineStop& stop, uint64_t tick,
                 std::vector<TrapRecord>& audit) {
  TrapRecord r;
  r.tick = tick;
  r.rip = stop.address;
  r.detail = stop.detail;
  r.number = stop.number;
  r.disasm = disassemble(const_cast<Picoprocess&>(proc).memory(), stop.address, &r.bytes);
  audit.push_back(std::move(r));
}

}  // namespace

int RunResult::shell_status() const {
  switch (end) {
    case End::Exited: return static_cast<int>(static_cast<uint64_t>(exit_code) & 0xff);
    case End::UnhandledException: return 128 + static_cast<int>(exception_type);
    case End::TickLimit: return 124;  // as timeout(1)
    case End::LoadError: return 127;  // as a shell that cannot run the program
    case End::HostError: return 125;
  }
  return 125;
}

RunResult run_picoprocess(Host& host, const LaunchSpec& spec, const RunOptions& opts,
                          std::vector<TrapRecord>* audit) {
  RunResult res;
  const ElfImage image = ElfImage::parse(spec.image);
  Picoprocess proc(host);
  try {
    proc.boot(image, spec);
  } catch (const BootError& e) {
    res.end = RunResult::End::LoadError;
    res.reason = e.what();
    return res;
  }
  std::unique_ptr<Engine> engine;
  try {
    engine = std::make_unique<Engine>();
  } catch (const EngineError& e) {
    res.end = RunResult::End::HostError;
    res.reason = e.what();
    return res;
  }
  engine->set_max_ticks(opts.max_ticks);
  proc.attach(*engine);

  uint64_t last_rip = 0;
  while (!proc.ending()) {
    EngineStop stop = engine->run();
    last_rip = stop.rip;
    switch (stop.kind) {
      case EngineStop::Kind::Exception:
        if (stop.type == DK_EXCEPTION_FOREIGN_TRAP && audit)
          record_trap(proc, stop, engine->ticks(), *audit);
        // A guest touch of a guard page: the page keeps its other bits from now on.
        // An access straddling into a guard page may report the address of its first byte.
        if (stop.type == DK_EXCEPTION_MEMFAULT && !proc.memory().take_guard(stop.address) &&
            stop.size > 1)
          proc.memory().take_guard(stop.address + stop.size - 1);
        proc.raise(stop.type, stop.detail, stop.address, stop.rip);
        break;
      case EngineStop::Kind::FetchZero:
        proc.fetch_at_zero();
        break;
      case EngineStop::Kind::Requested:
        proc.after_request();
        break;
      case EngineStop::Kind::TickLimit: {
        Picoprocess::Ending e;
        e.end = RunResult::End::TickLimit;
        e.rip = stop.rip;
        e.reason = "tick limit (" + std::to_string(opts.max_ticks) + ") reached";
        proc.end_with(e);
        break;
      }
      case EngineStop::Kind::Error: {
        Picoprocess::Ending e;
        e.end = RunResult::End::HostError;
        e.rip = stop.rip;
        e.reason = stop.reason;
        proc.end_with(e);
        break;
      }
    }
  }

  const Picoprocess::Ending& e = *proc.ending();
  res.end = e.end;
  res.exit_code = e.exit_code;
  res.reason = e.reason;
  res.ticks = engine->ticks();
  res.downcalls = proc.downcalls();
  if (e.end == RunResult::End::UnhandledException) {
    res.exception_type = e.type;
    res.exception_detail = e.detail;
    res.address = e.address;
    res.rip = e.rip;
    // Traps leave rip after the instruction; report the instruction itself.
    const uint64_t at = e.type == DK_EXCEPTION_MEMFAULT ? e.rip : e.address;
    res.instruction = disassemble(proc.memory(), at, nullptr);
    // MEMFAULT: the data address and the instruction at rip; traps: the instruction's address.
    res.reason = std::string("unhandled ") + type_name(e.type) + " at " + hex(e.address) +
                 (e.type == DK_EXCEPTION_MEMFAULT ? " by the instruction at " + hex(e.rip) : "") +
                 (res.instruction.empty() ? "" : ": " + res.instruction) + " (" + e.reason + ")";
  } else {
    res.rip = e.rip ? e.rip : last_rip;
    res.instruction = disassemble(proc.memory(), res.rip, nullptr);
  }
  proc.detach();
  return res;
}

}  // namespace dk
