// The options `dk run` and `dk record` share, and the run itself: `dk record ... TARGET` is
// `dk run --trace FILE ... TARGET`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dk/host.h"
#include "dk/monitor/launch.h"
#include "dk/run_types.h"

namespace CLI {
class App;
}

namespace dk::cli {

struct RunArgs {
  std::string target;
  std::vector<std::string> guest_args;
  uint64_t seed = 0;
  std::string host = "sim";
  bool host_given = false;
  // emu (the emulator) or native (the native runtime: the image on the CPU under seccomp).
  std::string runtime = "emu";
  bool json = false;
  uint64_t max_ticks = 0;
  uint64_t quantum = 0;  // set from RunOptions by add_run_options
  std::string debug_log;
  std::vector<std::string> pkg_path;
  std::string policy;
  std::string root;
  // Recording (docs/formats.md): the trace file, a memory checksum every N downcalls, and
  // input bytes kept as hashes only.
  std::string trace;
  uint64_t checksum_every = 0;
  bool hash_inputs = false;
  // Audit log (JSON lines): foreign traps, refused downcalls, quota hits.
  std::string audit;
  std::string verb = "run";  // for the trace header's command line
  // dk run --copies N: N copies in one world (copies.cc); 0: one run as usual.
  uint64_t copies = 0;
  // dk profile: the functions to list (0: all); the history file to append the figures to,
  // and the commit and machine they are recorded under (default: HEAD, the host name).
  uint64_t top = 20;
  std::string history, commit, machine;
};

// Adds every option of `dk run` but --trace to `cmd`; `record` adds the recording options
// (--checksum, --hash-inputs) too.
void add_run_options(CLI::App* cmd, RunArgs& a, bool record);
// A package's launch as `dk run` starts it, and as `dk pkg check` checks it: the monitor's
// prepare_launch (closure, namespace, app.exe read through it), then the app's image must
// parse as a loadable ELF. Throws (PackageError, ManifestError, ArchiveError) with the reason.
PackageLaunch checked_package_launch(const std::string& target,
                                     const std::vector<std::string>& pkg_path,
                                     const Manifest* policy);
// The words after the first `--` of a `dk run` or `dk record` command line. main() holds
// them back from CLI11, which hands them to the parent command (and refuses them) once ARGS
// took a word before the `--` (`dk run T x -- y`); the run appends them to ARGS, the first of
// them being TARGET when none came before (`dk run -- T x`).
std::vector<std::string>& args_after_dashes();
// dk run --copies: a.copies copies of `spec` in one world on `host`, a progress line while they
// start, then a summary (or with a.json a JSON object: started, idle, exited, other,
// kib_per_picoprocess, starts_per_second, seconds); throws Exit with dk's status (0 when every
// copy exited 0 or was idle, 1 otherwise).
[[noreturn]] void run_copies(const RunArgs& a, const LaunchSpec& spec, Host& host, RunOptions opts);
// Runs, and sets dk's status (exit_status(), commands.h); throws Exit for bad input.
void run_target(const RunArgs& a);

}  // namespace dk::cli
