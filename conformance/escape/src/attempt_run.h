// One attempt inside its own process: the host under test, a world with the attacker and the
// sibling, the probe afterwards, and the in-process checks. Internal to dk_escape: the
// runner forks, calls attempt_child_main() in the child and decodes the record it writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dk/escape/corpus.h"
#include "dk/escape/observer.h"
#include "dk/escape/runner.h"

namespace dk::escape {

// What the child reports. Every field is observed by the harness, not said by the guest.
struct ChildRecord {
  bool ran = false;  // false: could not run (reason says why)
  int end = 0;       // RunResult::End of the attacker
  int64_t exit_code = 0;
  uint32_t type = 0, detail = 0;
  uint64_t address = 0;
  std::string reason, instruction;
  int sibling_end = 0;
  int64_t sibling_exit = 0;
  std::string sibling_reason;
  // Native runtime: the kernel killed the attacker's child for a system call the seccomp
  // filter forbids (the picoprocess ended; nothing ran). For the raw-syscall families that is
  // a containing end beside the declared FOREIGN_TRAP (docs/escape.md).
  bool filter_killed = false;
  bool probe_ok = false;
  std::string probe_reason;
  std::vector<std::string> breaches;  // escapes seen inside the process
  std::vector<std::string> health;    // harness failures seen inside the process
  std::string output;                 // everything the picoprocesses wrote (clipped)
};

std::string encode(const ChildRecord& r);
bool decode(const std::string& bytes, ChildRecord& r);

// The child's whole life; writes the record to `fd` and never returns.
[[noreturn]] void attempt_child_main(int fd, const Attempt& a, const Canaries& c,
                                     const RunnerOptions& o);

}  // namespace dk::escape
