// fuzz_instructions: random byte streams run as guest code under the emulator, on a
// simulated host, with a tick limit, beside a sibling picoprocess in the same world on the
// same host. Whatever the bytes do, the run must come back with an end other than HostError,
// the sibling beside it must finish its work (exit 42), the harness's own memory must be
// intact, and a sibling picoprocess run afterwards in the same process must behave exactly as
// it did before.
#pragma once

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dk/elf_image.h"
#include "dk/run.h"
#include "dk/host_factory.h"
#include "dk/world.h"
#include "fuzz_input.h"
#include "tiny_elf.h"

namespace dk::fuzz {

inline constexpr uint64_t kInstructionTickLimit = 100000;

struct SiblingRun {
  RunResult result;
  std::string log;
};

inline SiblingRun run_sibling() {
  SiblingRun s;
  HostLaunch launch;
  launch.seed = 7;
  launch.debug_log = &s.log;
  LaunchedHost built = make_host(launch);
  Host& host = *built.host;
  LaunchSpec spec;
  spec.image = tiny_hello();
  spec.name = "sibling";
  spec.args = {"sibling"};
  RunOptions opts;
  opts.max_ticks = 1000;
  s.result = run_picoprocess(host, spec, opts);
  return s;
}

// A block of harness heap with a known pattern; guest code must never reach it.
inline const std::vector<uint8_t>& harness_canary() {
  static const std::vector<uint8_t> canary = [] {
    std::vector<uint8_t> c(1 << 16);
    for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(i * 131 + 7);
    return c;
  }();
  return canary;
}

inline void check_sibling(const SiblingRun& s, const SiblingRun& want) {
  const RunResult& r = s.result;
  if (r.end != RunResult::End::Exited || r.exit_code != 42 || s.log != "sibling ok\n")
    finding("the sibling picoprocess misbehaved: end " + std::to_string(static_cast<int>(r.end)) +
            " code " + std::to_string(r.exit_code) + " reason '" + r.reason + "' output '" +
            s.log + "'");
  if (r.ticks != want.result.ticks || r.downcalls != want.result.downcalls)
    finding("the sibling picoprocess ran differently: " + std::to_string(r.ticks) + " ticks, " +
            std::to_string(r.downcalls) + " downcalls (first run: " +
            std::to_string(want.result.ticks) + ", " + std::to_string(want.result.downcalls) + ")");
}

inline void fuzz_instructions(std::span<const uint8_t> data) {
  if (data.empty()) return;
  static const SiblingRun baseline = run_sibling();
  const std::vector<uint8_t>& canary = harness_canary();
  const std::vector<uint8_t> canary_copy(canary);

  std::string log;
  HostLaunch launch;
  launch.seed = 1;
  launch.debug_log = &log;
  LaunchedHost built = make_host(launch);
  Host& host = *built.host;
  LaunchSpec spec;
  spec.image = tiny_elf(data);
  spec.name = "fuzz";
  spec.args = {"fuzz"};
  LaunchSpec sibling;
  sibling.image = tiny_hello();
  sibling.name = "sibling";
  sibling.args = {"sibling"};
  RunOptions opts;
  opts.max_ticks = kInstructionTickLimit;
  opts.max_world_ticks = 4 * kInstructionTickLimit;
  std::vector<TrapRecord> audit;
  RunResult r, beside;
  try {
    World world(host, opts, &audit);
    const uint32_t fuzz_pid = world.add(spec);
    const uint32_t sibling_pid = world.add(sibling);
    world.run();
    r = world.result(fuzz_pid);
    beside = world.result(sibling_pid);
  } catch (const ElfError& e) {
    finding(std::string("a well-formed tiny image was refused: ") + e.what());
  }
  if (beside.end != RunResult::End::Exited || beside.exit_code != 42)
    finding("the sibling beside the fuzzed code did not finish: end " +
            std::to_string(static_cast<int>(beside.end)) + " code " +
            std::to_string(beside.exit_code) + " reason '" + beside.reason + "'");
  if (r.end == RunResult::End::HostError)
    finding("host error: " + r.reason + " (rip " + hex(r.rip) + " '" +
            r.instruction + "')");
  if (r.end == RunResult::End::LoadError) finding("load error for a well-formed image: " + r.reason);
  if (r.ticks > kInstructionTickLimit + 1000)
    finding("ran " + std::to_string(r.ticks) + " ticks past a limit of " +
            std::to_string(kInstructionTickLimit));
  if (canary != canary_copy) finding("harness memory changed while guest code ran");
  check_sibling(run_sibling(), baseline);
}

}  // namespace dk::fuzz
