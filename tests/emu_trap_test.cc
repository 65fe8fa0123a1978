// The emulator core end to end: one guest image, many cases (tests/guest/emu_guest.c), run
// on a tiny host that routes the memory/thread calls to GuestControl and keeps debug output.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/engine.h"
#include "dk/host.h"
#include "dk/run.h"

namespace dk {
namespace {

class TestHost : public Host {
 public:
  std::string_view name() const override { return "test"; }
  uint64_t cycle_counter(const CallContext& cx) override { return 1000000 + cx.tick * 7; }

  // Memory, exit, segment bases and exception return: the Host defaults, through GuestControl.
  dk_status_t DkDebugOutput(CallContext&, Call& c) override {
    out.emplace_back(c.in_bytes.begin(), c.in_bytes.end());
    return 0;
  }
  dk_status_t DkStreamOpen(CallContext&, Call& c) override {
    opened.emplace_back(c.uri, static_cast<uint32_t>(c.arg(1)));
    c.set_out(5, 0x100 + opened.size());
    return 0;
  }

  std::vector<std::string> out;
  std::vector<std::pair<std::string, uint32_t>> opened;
};

std::vector<uint8_t> image(const char* name) {
  std::ifstream f(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct Regs {
  uint64_t gpr[16];
  uint64_t ret, rflags, fcw, mxcsr;
};
struct Report {
  Regs at_entry;
  dk_exception_info info;
};
enum { RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15 };

uint64_t u64(const std::string& s) {
  uint64_t v = 0;
  EXPECT_EQ(s.size(), 8u);
  std::memcpy(&v, s.data(), std::min<size_t>(8, s.size()));
  return v;
}
Report report(const std::string& s) {
  Report r{};
  EXPECT_EQ(s.size(), sizeof r);
  std::memcpy(&r, s.data(), std::min(sizeof r, s.size()));
  return r;
}

struct GuestRun {
  TestHost host;
  RunResult res;
  std::vector<TrapRecord> audit;
  explicit GuestRun(const std::string& which, const char* img = "emu_guest", uint64_t max_ticks = 0) {
    LaunchSpec spec;
    spec.image = image(img);
    spec.name = "emu";
    spec.args = {"emu_guest", which};
    spec.env = {"A=1"};
    RunOptions opts;
    opts.max_ticks = max_ticks ? max_ticks : 10'000'000;
    res = run_picoprocess(host, spec, opts, &audit);
  }
  // The handler's report (the last output of that size).
  Report last_report() const {
    for (auto it = host.out.rbegin(); it != host.out.rend(); ++it)
      if (it->size() == sizeof(Report)) return report(*it);
    ADD_FAILURE() << "no exception report";
    return {};
  }
};

// ---- exits and entry state ----

TEST(EmuRun, ReturnFromInitializeIsExit) {
  GuestRun r("exit42");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 42);
  EXPECT_EQ(r.res.shell_status(), 42);
  EXPECT_GT(r.res.ticks, 0u);
}

TEST(EmuRun, ProcessExit) {
  GuestRun r("processexit");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 7);
  EXPECT_GE(r.res.downcalls, 1u);
}

TEST(EmuRun, StdHandlesOpenedThroughHost) {
  GuestRun r("exit42");
  ASSERT_EQ(r.host.opened.size(), 3u);
  EXPECT_EQ(r.host.opened[0], (std::pair<std::string, uint32_t>{"dev:console", DK_ACCESS_RDONLY}));
  EXPECT_EQ(r.host.opened[1].second, DK_ACCESS_WRONLY);
  EXPECT_EQ(r.host.opened[2].second, DK_ACCESS_WRONLY);
}

TEST(EmuRun, UpcallEntryState) {
  GuestRun r("entry");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  ASSERT_EQ(r.host.out.size(), 1u);
  Regs e{};
  ASSERT_EQ(r.host.out[0].size(), sizeof e);
  std::memcpy(&e, r.host.out[0].data(), sizeof e);
  EXPECT_EQ(e.gpr[RSP] % 16, 8u);
  EXPECT_EQ(e.ret, 0u);
  EXPECT_NE(e.gpr[RDI], 0u);
  for (int i = 0; i < 16; ++i)
    if (i != RSP && i != RDI) {
      EXPECT_EQ(e.gpr[i], 0u) << "register " << i;
    }
  EXPECT_EQ(e.fcw, 0x037fu);
  EXPECT_EQ(e.mxcsr, 0x1f80u);
  EXPECT_EQ(e.rflags & 0x3000, 0u);  // IOPL 0
  EXPECT_EQ(e.rflags & 0x200, 0x200u);
}

TEST(EmuRun, UnknownCaseExitCode) {
  GuestRun r("no-such-case");
  EXPECT_EQ(r.res.exit_code, 254);
}

// ---- faults delivered to the handler ----

struct FaultCase {
  const char* name;
  uint32_t type;
  uint32_t detail;
};

class EmuFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(EmuFault, DeliveredWithRipAtInstruction) {
  const FaultCase& c = GetParam();
  GuestRun r(c.name);
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 100 + c.type) << r.res.reason;
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.type, c.type);
  EXPECT_EQ(rep.info.detail, c.detail);
  // The handler's entry: rdi = info, 16-aligned, rsp = rdi - 8, [rsp] = 0, other GPRs 0.
  EXPECT_EQ(rep.at_entry.gpr[RDI] % 16, 0u);
  EXPECT_EQ(rep.at_entry.gpr[RSP], rep.at_entry.gpr[RDI] - 8);
  EXPECT_EQ(rep.at_entry.ret, 0u);
  EXPECT_EQ(rep.at_entry.fcw, 0x037fu);
  EXPECT_EQ(rep.at_entry.mxcsr, 0x1f80u);
  for (int i = 0; i < 16; ++i)
    if (i != RSP && i != RDI) {
      EXPECT_EQ(rep.at_entry.gpr[i], 0u) << "register " << i;
    }
  // Below the red zone of the faulting stack.
  EXPECT_LE(rep.at_entry.gpr[RDI] + sizeof(dk_exception_info) + DK_RED_ZONE,
            rep.info.context.rsp);
  if (c.type != DK_EXCEPTION_MEMFAULT) {
    EXPECT_EQ(rep.info.address, rep.info.context.rip);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, EmuFault,
    ::testing::Values(FaultCase{"read_unmapped", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_READ},
                      FaultCase{"write_unmapped", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_WRITE},
                      FaultCase{"exec_unmapped", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC},
                      FaultCase{"null_call", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC},
                      FaultCase{"write_ro", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_WRITE},
                      FaultCase{"exec_nx", DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC},
                      FaultCase{"ud2", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"div0", DK_EXCEPTION_ARITHMETIC, 0},
                      FaultCase{"hlt", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"cli", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"wrmsr", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"movcr", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"lgdt", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"in", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"out_mid", DK_EXCEPTION_ILLEGAL, 0},
                      FaultCase{"outsb", DK_EXCEPTION_ILLEGAL, 0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EmuFaultDetail, MemfaultAddresses) {
  {
    GuestRun r("read_unmapped");
    Report rep = r.last_report();
    EXPECT_EQ(rep.info.address, 0x10000000u);
    EXPECT_EQ(r.res.exit_code, 101);
  }
  {
    GuestRun r("write_unmapped");
    EXPECT_EQ(r.last_report().info.address, 0x10000008u);
  }
  {
    GuestRun r("exec_unmapped");
    Report rep = r.last_report();
    EXPECT_EQ(rep.info.address, 0x10000000u);
    EXPECT_EQ(rep.info.context.rip, 0x10000000u);
  }
  {
    GuestRun r("null_call");
    Report rep = r.last_report();
    EXPECT_EQ(rep.info.address, 0u);
    EXPECT_EQ(rep.info.context.rip, 0u);
  }
  {
    GuestRun r("write_ro");
    ASSERT_GE(r.host.out.size(), 2u);
    EXPECT_EQ(r.last_report().info.address, u64(r.host.out[0]) + 16);
  }
  {
    GuestRun r("exec_nx");
    ASSERT_GE(r.host.out.size(), 2u);
    EXPECT_EQ(r.last_report().info.address, u64(r.host.out[0]));
    EXPECT_EQ(r.last_report().info.context.rip, u64(r.host.out[0]));
  }
}

TEST(EmuFaultDetail, IoInstructionMidBlockRunsWhatCameBefore) {
  GuestRun r("out_mid");
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.context.r12, 2u);  // the two incs before `out`, exactly once
  EXPECT_EQ(rep.info.context.rax & 0xff, 0x42u);
  uint8_t insn[2] = {};
  (void)insn;
  EXPECT_EQ(r.res.exit_code, 100 + DK_EXCEPTION_ILLEGAL);
}

TEST(EmuFaultDetail, DivideErrorKeepsRegisters) {
  GuestRun r("div0");
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.context.rcx, 0u);
  EXPECT_EQ(rep.info.context.rax, 1u);
  // FXSAVE area carries the FPU control word.
  uint16_t fcw;
  std::memcpy(&fcw, rep.info.context.fxsave, 2);
  EXPECT_EQ(fcw, 0x037f);
}

// ---- traps: rip after the instruction ----

struct TrapCase {
  const char* name;
  uint32_t type;
  uint32_t detail;
  uint32_t len;  // instruction length: address = rip - len
};

class EmuTrap : public ::testing::TestWithParam<TrapCase> {};

TEST_P(EmuTrap, DeliveredWithRipAfterInstruction) {
  const TrapCase& c = GetParam();
  GuestRun r(c.name);
  EXPECT_EQ(r.res.exit_code, 100 + c.type) << r.res.reason;
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.type, c.type);
  EXPECT_EQ(rep.info.detail, c.detail);
  EXPECT_EQ(rep.info.address + c.len, rep.info.context.rip);
  if (c.type == DK_EXCEPTION_FOREIGN_TRAP) {
    ASSERT_EQ(r.audit.size(), 1u);
    EXPECT_EQ(r.audit[0].rip, rep.info.address);
    EXPECT_EQ(r.audit[0].detail, c.detail);
    EXPECT_EQ(r.audit[0].bytes.size(), c.len);
    EXPECT_FALSE(r.audit[0].disasm.empty());
  } else {
    EXPECT_TRUE(r.audit.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Traps, EmuTrap,
    ::testing::Values(TrapCase{"int3", DK_EXCEPTION_BREAKPOINT, 0, 1},
                      TrapCase{"int3b", DK_EXCEPTION_BREAKPOINT, 0, 2},
                      TrapCase{"int80", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x80 << 8), 2},
                      TrapCase{"int41", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x41 << 8), 2},
                      TrapCase{"int0d", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x0d << 8), 2},
                      TrapCase{"int00", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT, 2},
                      TrapCase{"int06", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x06 << 8), 2},
                      TrapCase{"sysenter", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSENTER, 2},
                      TrapCase{"foreign_syscall", DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, 2}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EmuTrapDetail, ForeignSyscallContext) {
  GuestRun r("foreign_syscall");
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.context.rax, 60u);
  EXPECT_EQ(rep.info.context.rdi, 0x3333u);
  EXPECT_EQ(rep.info.context.rcx, rep.info.context.rip);  // the return address
  EXPECT_EQ(rep.info.context.r11, rep.info.context.rflags);
  ASSERT_EQ(r.audit.size(), 1u);
  EXPECT_EQ(r.audit[0].number, 60u);
  EXPECT_EQ(r.audit[0].disasm, "syscall");
}

// ---- no handler, handler returning, depth ----

TEST(EmuUnhandled, NoNoteEndsPicoprocess) {
  GuestRun r("ud2", "emu_guest_nonote");
  EXPECT_EQ(r.res.end, RunResult::End::UnhandledException);
  EXPECT_EQ(r.res.exception_type, DK_EXCEPTION_ILLEGAL);
  EXPECT_EQ(r.res.exit_code, -(128 + 2));
  EXPECT_EQ(r.res.shell_status(), 130);
  EXPECT_EQ(r.res.instruction, "ud2");
  EXPECT_EQ(r.res.address, r.res.rip);
}

TEST(EmuUnhandled, NoNoteMemfaultReport) {
  GuestRun r("read_unmapped", "emu_guest_nonote");
  EXPECT_EQ(r.res.end, RunResult::End::UnhandledException);
  EXPECT_EQ(r.res.exception_type, DK_EXCEPTION_MEMFAULT);
  EXPECT_EQ(r.res.exception_detail, DK_MEMFAULT_READ);
  EXPECT_EQ(r.res.address, 0x10000000u);
  EXPECT_NE(r.res.instruction.find("mov"), std::string::npos) << r.res.instruction;
  EXPECT_NE(r.res.reason.find("MEMFAULT"), std::string::npos) << r.res.reason;
}

TEST(EmuUnhandled, HandlerReturningEndsPicoprocess) {
  GuestRun r("handler_returns");
  EXPECT_EQ(r.res.end, RunResult::End::UnhandledException) << r.res.reason;
  EXPECT_EQ(r.res.exception_type, DK_EXCEPTION_BREAKPOINT);
  EXPECT_EQ(r.res.exit_code, -(128 + 4));
}

TEST(EmuUnhandled, DepthLimit) {
  GuestRun r("depth");
  EXPECT_EQ(r.res.end, RunResult::End::UnhandledException) << r.res.reason;
  EXPECT_EQ(r.res.exception_type, DK_EXCEPTION_ILLEGAL);
  EXPECT_EQ(r.res.exit_code, -(128 + 2));
  // Four handlers entered: the first fault plus three nested ones.
  size_t reports = 0;
  for (auto& o : r.host.out) reports += o.size() == sizeof(Report);
  EXPECT_EQ(reports, DK_EXCEPTION_DEPTH_MAX);
}

// ---- resuming ----

TEST(EmuResume, ExceptionReturnRestoresContextAndSanitizesFlags) {
  GuestRun r("exception_return");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 0);
  ASSERT_GE(r.host.out.size(), 2u);
  uint64_t fl = u64(r.host.out.back());
  EXPECT_EQ(fl & 0x100, 0u);   // TF dropped
  EXPECT_EQ(fl & 0x3000, 0u);  // IOPL 0
  EXPECT_EQ(fl & 0x200, 0x200u);
}

TEST(EmuResume, TrapsResumeAfterInstruction) {
  GuestRun r("resume_trap");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 52);
  EXPECT_EQ(r.audit.size(), 1u);
}

TEST(EmuResume, GuardPage) {
  GuestRun r("guard");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 11);  // one fault, and the write took effect
  ASSERT_GE(r.host.out.size(), 4u);
  EXPECT_EQ(static_cast<int64_t>(u64(r.host.out[0])), -DK_E_FAULT);  // straddling into guard
  EXPECT_EQ(static_cast<int64_t>(u64(r.host.out[1])), -DK_E_FAULT);  // inside guard
  uint64_t base = u64(r.host.out[2]);
  Report rep = report(r.host.out[3]);
  EXPECT_EQ(rep.info.type, DK_EXCEPTION_MEMFAULT);
  EXPECT_EQ(rep.info.detail, DK_MEMFAULT_WRITE);
  EXPECT_EQ(rep.info.address, base + 4100);
}

TEST(EmuResume, GuardPageStraddled) {
  GuestRun r("guard_straddle");
  EXPECT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 11);
}

// ---- time, segments ----

TEST(EmuTime, RdtscFromVirtualClock) {
  GuestRun r("rdtsc");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  ASSERT_EQ(r.host.out.size(), 2u);
  uint64_t a = u64(r.host.out[0]), b = u64(r.host.out[1]);
  EXPECT_EQ((a - 1000000) % 7, 0u);
  EXPECT_GT(b, a);
  EXPECT_EQ((b - 1000000) % 7, 0u);
  // Deterministic: the same run gives the same values.
  GuestRun again("rdtsc");
  EXPECT_EQ(again.host.out, r.host.out);
}

TEST(EmuSegments, FsBase) {
  GuestRun r("fs");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  ASSERT_EQ(r.host.out.size(), 3u);
  EXPECT_EQ(u64(r.host.out[0]), 0u);
  EXPECT_EQ(u64(r.host.out[1]), 0x1234567890abcdefull);
  EXPECT_EQ(static_cast<int64_t>(u64(r.host.out[2])), -DK_E_INVAL);
}

TEST(EmuLimits, TickLimit) {
  GuestRun r("exit42", "emu_guest", 3);
  EXPECT_EQ(r.res.end, RunResult::End::TickLimit);
  EXPECT_EQ(r.res.ticks, 3u);
}

// Unicorn keeps the arithmetic flags lazily; a fault's context must hold them as the last
// instruction before the fault left them, not as the translator last stored them.
TEST(EmuFaultDetail, FlagsAtTheFaultingInstruction) {
  GuestRun r("flags_fault");
  EXPECT_EQ(r.res.exit_code, 100 + DK_EXCEPTION_MEMFAULT) << r.res.reason;
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.detail, DK_MEMFAULT_WRITE);
  EXPECT_EQ(rep.info.address, 0x10000008u);
  constexpr uint64_t kCf = 0x1, kZf = 0x40, kSf = 0x80;
  EXPECT_EQ(rep.info.context.rflags & (kCf | kZf | kSf), kCf | kSf);
}

// A block holding port I/O is stepped up to it; a refused access on the way is that
// access's MEMFAULT, at its own instruction.
TEST(EmuFaultDetail, FaultBeforePortIoInOneBlock) {
  GuestRun r("fault_before_out");
  EXPECT_EQ(r.res.exit_code, 100 + DK_EXCEPTION_MEMFAULT) << r.res.reason;
  Report rep = r.last_report();
  EXPECT_EQ(rep.info.type, DK_EXCEPTION_MEMFAULT);
  EXPECT_EQ(rep.info.detail, DK_MEMFAULT_WRITE);
  EXPECT_EQ(rep.info.address, 0x10000008u);
}

// ---- registers in place (dk/direct_regs.h) ----

TEST(EngineRegisters, FoundInPlaceOnThisUnicorn) {
  Engine direct;
  EXPECT_TRUE(direct.direct_registers());
  setenv("DK_ENGINE_REGISTERS", "api", 1);
  Engine api;
  unsetenv("DK_ENGINE_REGISTERS");
  EXPECT_FALSE(api.direct_registers());
}

// Every case of the emulator guest runs the same with registers in place and through the
// API: the same end, exit code, ticks and downcalls, the same output (which holds each
// exception handler's whole dk_context) and the same audit records.
TEST(EngineRegisters, InPlaceAndApiRunsAreIdentical) {
  const char* cases[] = {"exit42", "processexit", "entry", "read_unmapped", "write_unmapped", "flags_fault",
                         "exec_unmapped", "null_call", "write_ro", "exec_nx", "guard",
                         "guard_straddle", "ud2", "div0", "int3", "int3b", "int80", "int41",
                         "int0d", "int00", "int06", "sysenter", "foreign_syscall", "hlt", "cli",
                         "wrmsr", "movcr", "lgdt", "in", "out_mid", "outsb", "rdtsc",
                         "exception_return", "resume_trap", "depth", "handler_returns", "fs",
                         "vm", "null_calls"};
  uint64_t downcalls = 0;
  for (const char* c : cases) {
    SCOPED_TRACE(c);
    GuestRun direct(c);
    setenv("DK_ENGINE_REGISTERS", "api", 1);
    GuestRun api(c);
    unsetenv("DK_ENGINE_REGISTERS");
    EXPECT_EQ(direct.res.end, api.res.end);
    EXPECT_EQ(direct.res.exit_code, api.res.exit_code);
    EXPECT_EQ(direct.res.ticks, api.res.ticks);
    EXPECT_EQ(direct.res.downcalls, api.res.downcalls);
    downcalls += direct.res.downcalls;
    EXPECT_EQ(direct.host.out, api.host.out);
    ASSERT_EQ(direct.audit.size(), api.audit.size());
    for (size_t i = 0; i < direct.audit.size(); ++i) {
      EXPECT_EQ(direct.audit[i].rip, api.audit[i].rip);
      EXPECT_EQ(direct.audit[i].number, api.audit[i].number);
      EXPECT_EQ(direct.audit[i].detail, api.audit[i].detail);
    }
  }
  EXPECT_GT(downcalls, 100u);
}

}  // namespace
}  // namespace dk
