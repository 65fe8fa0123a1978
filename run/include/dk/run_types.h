// The run's vocabulary: what to launch (LaunchSpec), how to run it (RunOptions), how it ended
// (RunResult) and a foreign trap's audit record. Shared by the emulator, which runs a launch,
// and traces/, which writes one into a trace header and reads it back (dk/trace_launch.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dk/abi.h"

namespace dk {

class RunEvents;  // dk/run_events.h

// Guest code one picoprocess executed, for profiles (RunOptions::profile): each basic block
// entered, keyed by its address | size << 48 (a block translated again with other bounds is
// another block), with its instruction count and how often it was entered. A block cut short
// by an exception counts whole.
struct BlockProfile {
  uint32_t insns = 0;
  uint64_t entries = 0;
};
using BlockProfiles = std::unordered_map<uint64_t, BlockProfile>;
inline uint64_t block_key(uint64_t addr, uint32_t size) { return addr | uint64_t{size} << 48; }
inline uint64_t block_addr(uint64_t key) { return key & ((uint64_t{1} << 48) - 1); }

// Told, as each picoprocess ends, what guest code it executed: its blocks, its name (boot
// info), its image's bytes and the bias the image was loaded at (0 unless position-
// independent).
class ProfileSink {
 public:
  virtual ~ProfileSink() = default;
  virtual void on_blocks(uint32_t pid, std::string_view name, const std::vector<uint8_t>& image,
                         uint64_t bias, const BlockProfiles& blocks) = 0;
};

struct LaunchSpec {
  std::vector<uint8_t> image;     // ELF bytes (checked by ElfImage::parse)
  std::string name;               // package name for boot info (<= 63 bytes kept)
  std::vector<std::string> args;  // argv, args[0] first
  std::vector<std::string> env;   // KEY=VALUE
  uint64_t stack_size = DK_DEFAULT_STACK;
  // URIs opened through the host (DkStreamOpen) for boot info; empty: handle 0.
  std::string stdin_uri = "dev:console";
  std::string stdout_uri = "dev:console";
  std::string stderr_uri = "dev:console";
};

struct RunOptions {
  uint64_t max_ticks = 0;  // 0: no limit; a picoprocess past it ends with reason "tick limit"
  // Preemption: a thread runs at most this many ticks before the next ready thread (in
  // (pid, tid) order) gets the engine. Ticks, never wall-clock time: the interleaving is a
  // function of the program and this number only (except with DK_ENGINE_TIMING=watchdog on a
  // real host with no tick bound, where a tick is 10 ns of CPU time and a watchdog preempts:
  // dk/engine.h, Engine::Timing).
  uint64_t quantum = 10000;
  // 0: no limit; when the ticks of every picoprocess together reach it, every picoprocess
  // still running ends with End::TickLimit (a world that keeps creating children ends too).
  uint64_t max_world_ticks = 0;
  // Told of every scheduling decision, exception, foreign trap, upcall and end (a Recorder or
  // Replayer, which also wraps the host); may stop the run (RunEvents::stop_requested).
  RunEvents* events = nullptr;
  // Set (by a signal handler, say) to interrupt the run: at the next block boundary the
  // first live picoprocess gets an INTERRUPT exception on its current thread (a thread
  // waiting in a call runs the handler and then retries the call), and the world clears the
  // flag. With no handler the picoprocess ends as for any unhandled exception (128 + 6).
  std::atomic<bool>* interrupt = nullptr;
  // Counts every basic block each picoprocess enters (a table lookup per block: a profile
  // run, not a fast one) and hands them over as it ends. Changes no tick or result.
  ProfileSink* profile = nullptr;
};

struct RunResult {
  // Deadlock: every thread of the world waited with no deadline; nothing could ever wake one.
  enum class End { Exited, UnhandledException, LoadError, TickLimit, HostError, Deadlock };
  End end = End::Exited;
  int64_t exit_code = 0;        // DkProcessExit code, or -(128 + type) for an exception
  uint32_t exception_type = 0;  // DK_EXCEPTION_* when the end was an exception
  uint32_t exception_detail = 0;
  uint64_t address = 0;     // faulting address / trap rip
  uint64_t rip = 0;         // where the thread was
  std::string instruction;  // Capstone disassembly at rip ("" if unreadable)
  std::string reason;       // one line, for `dk run`'s stderr
  uint64_t ticks = 0;       // basic blocks executed by this picoprocess
  uint64_t downcalls = 0;
  uint32_t pid = 0;       // within its world
  uint64_t clock_ns = 0;  // the world clock when the picoprocess ended

  // The status `dk run` exits with: exit code mod 256, or 128 + type; 124 tick limit,
  // 125 host error, 126 deadlock, 127 load error.
  int shell_status() const;
};

inline int RunResult::shell_status() const {
  switch (end) {
    case End::Exited:
      return static_cast<int>(static_cast<uint64_t>(exit_code) & 0xff);
    case End::UnhandledException:
      return 128 + static_cast<int>(exception_type);
    case End::TickLimit:
      return 124;  // as timeout(1)
    case End::LoadError:
      return 127;  // as a shell that cannot run the program
    case End::HostError:
      return 125;
    case End::Deadlock:
      return 126;  // it would never have ended
  }
  return 125;
}

// Audit record of a foreign trap (the --audit output comes with the escape issue).
struct TrapRecord {
  uint32_t pid = 1;
  uint64_t tick = 0;
  uint64_t rip = 0;     // address of the trapping instruction
  uint32_t detail = 0;  // DK_TRAP_* | vector << 8
  uint64_t number = 0;  // rax for a foreign syscall
  std::vector<uint8_t> bytes;
  std::string disasm;
};

}  // namespace dk
