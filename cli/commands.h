// The dk command's verbs: each file adds one subcommand to the CLI11 app.
#pragma once

namespace CLI {
class App;
}

namespace dk::cli {

// Thrown by a verb to end dk with `status` once its output is written.
struct Exit {
  int status;
};
// The status dk ends with when the verb returns: a verb that ends normally sets it instead of
// throwing Exit (the first exception of a process costs its unwinder's start-up and the page
// faults of reading the unwind tables; docs/performance.md).
int& exit_status();

void add_run_command(CLI::App& app);
// `dk profile` (run_command.cc): a run with exact counters.
void add_profile_command(CLI::App& app);
// `dk perf log|compare` (perf_command.cc): the performance history.
void add_perf_command(CLI::App& app);
void add_manifest_command(CLI::App& app);
void add_pkg_command(CLI::App& app);
// `dk record` and `dk replay` (record_command.cc).
void add_record_commands(CLI::App& app);
// `dk escape` (escape_command.cc).
void add_escape_command(CLI::App& app);
// `dk report merge` (report_command.cc): the shards' reports joined.
void add_report_command(CLI::App& app);
// `dk bench` (bench_command.cc).
void add_bench_command(CLI::App& app);

}  // namespace dk::cli
