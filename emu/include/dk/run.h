// Running a picoprocess: the launch description, the options, and the result of a run.
// This is the emulator's front door for the CLI, tests and benchmarks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/host.h"

namespace dk {

struct LaunchSpec {
  std::vector<uint8_t> image;          // ELF bytes (checked by ElfImage::parse)
  std::string name;                    // package name for boot info (<= 63 bytes kept)
  std::vector<std::string> args;       // argv, args[0] first
  std::vector<std::string> env;        // KEY=VALUE
  uint64_t stack_size = DK_DEFAULT_STACK;
  // URIs opened through the host (DkStreamOpen) for boot info; empty: handle 0.
  std::string stdin_uri = "dev:console";
  std::string stdout_uri = "dev:console";
  std::string stderr_uri = "dev:console";
};

struct RunOptions {
  uint64_t max_ticks = 0;  // 0: no limit; a picoprocess past it ends with reason "tick limit"
};

struct RunResult {
  enum class End { Exited, UnhandledException, LoadError, TickLimit, HostError };
  End end = End::Exited;
  int64_t exit_code = 0;       // DkProcessExit code, or -(128 + type) for an exception
  uint32_t exception_type = 0; // DK_EXCEPTION_* when the end was an exception
  uint32_t exception_detail = 0;
  uint64_t address = 0;        // faulting address / trap rip
  uint64_t rip = 0;            // where the thread was
  std::string instruction;     // Capstone disassembly at rip ("" if unreadable)
  std::string reason;          // one line, for `dk run`'s stderr
  uint64_t ticks = 0;          // basic blocks executed
  uint64_t downcalls = 0;

  // The status `dk run` exits with: exit code mod 256, or 128 + type.
  int shell_status() const;
};

// Audit record of a foreign trap (the --audit output comes with the escape issue).
struct TrapRecord {
  uint64_t tick = 0;
  uint64_t rip = 0;          // address of the trapping instruction
  uint32_t detail = 0;       // DK_TRAP_* | vector << 8
  uint64_t number = 0;       // rax for a foreign syscall
  std::vector<uint8_t> bytes;
  std::string disasm;
};

// Loads and runs one picoprocess to its end on `host`. Throws ElfError for a bad image.
RunResult run_picoprocess(Host& host, const LaunchSpec& spec, const RunOptions& opts = {},
                          std::vector<TrapRecord>* audit = nullptr);

}  // namespace dk
