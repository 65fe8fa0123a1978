// Running the corpus: each attempt in its own child process (forked) with a wall-clock
// limit, beside a sibling picoprocess, followed by a probe of the harness in the same child;
// the parent checks the canaries and decides the verdict. A crash or hang of the host costs
// only that attempt's row.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dk/escape/corpus.h"
#include "dk/host.h"

namespace dk::escape {

// Contained: the observer saw nothing get out and the attacker ended as declared.
// Deviation: nothing got out, but the attacker ended otherwise than the ABI says (a wrong
// status or exception: a conformance bug of the host or emulator, not an escape).
// Escaped: a canary, the policy oracle, the sibling or the harness's memory saw the attacker
// reach something it must not. HostFailure: the harness crashed, hung or stopped serving.
enum class Verdict { Contained, Deviation, Escaped, HostFailure };
// "contained", "deviation", "escaped", "host failure"
std::string_view verdict_name(Verdict v);

struct AttemptResult {
  const Attempt* attempt = nullptr;
  Verdict verdict = Verdict::HostFailure;
  std::string outcome;  // what the attacker did: "exception FOREIGN_TRAP ..." / "exit 0"
  std::string reason;   // empty when contained; else every breach, '; '-separated
  double seconds = 0;
};

struct RunnerOptions {
  std::string host = "sim";  // "sim" or "native"
  // "emu" (the emulator) or "native" (the native runtime, docs/native-runtime.md: the guest
  // on the CPU under a seccomp supervisor; native host only).
  std::string runtime = "emu";
  unsigned jobs = 1;
  double timeout_s = 20;          // per attempt, wall clock
  uint64_t max_ticks = 20000000;  // per picoprocess
  std::string images_dir;         // "": dk::conformance::default_images_dir()
  std::string work_dir;           // "": a fresh folder under $TMPDIR, removed afterwards
  // Tests: wraps the host under test inside the attempt's process (a deliberately broken
  // host). Called once per host instance; returns the host to use.
  std::function<std::unique_ptr<Host>(std::unique_ptr<Host> inner, const AttemptContext& cx)>
      decorate;
  // After each attempt (done, total, result), from the runner's thread.
  std::function<void(size_t, size_t, const AttemptResult&)> on_result;
};

// Checks the options (host name, images folder). Returns "" or the problem.
std::string check_options(const RunnerOptions& options);

std::vector<AttemptResult> run_attempts(const std::vector<Attempt>& attempts,
                                        const RunnerOptions& options);

}  // namespace dk::escape
