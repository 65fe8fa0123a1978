// Running a picoprocess: the emulator's front door for the CLI, tests and benchmarks. The
// launch description, the options and the result are the run's vocabulary (dk/run_types.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dk/host.h"
#include "dk/run_types.h"

namespace dk {

// The Unicorn library's version, "2.1.1": traces name it, a replay on another may diverge.
std::string unicorn_version();
// What `cpuid` answers guest code on this build (leaves 0, 1, 7, 0x80000000, 0x80000001,
// each as eax ebx ecx edx), for trace headers. Empty if the CPU model cannot be queried.
std::vector<uint8_t> cpuid_answers();

// Loads and runs one picoprocess to its end on `host`, in a world of its own (with any
// children it creates; the world runs until they all end). Returns the first picoprocess's
// result. Throws ElfError for a bad image. dk/world.h has the many-picoprocess API.
RunResult run_picoprocess(Host& host, const LaunchSpec& spec, const RunOptions& opts = {},
                          std::vector<TrapRecord>* audit = nullptr);

}  // namespace dk
