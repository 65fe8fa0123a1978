// dk: the command line of the Dk harness. Each verb lives in its own *_command.cc.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "conform_command.h"
#include "trace_command.h"

int main(int argc, char** argv) {
  CLI::App app{"dk: run, record, replay and test Drawbridge-style picoprocesses"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dk 0.1.0 (Dk ABI 1.0)");
  dk::cli::add_run_command(app);
  dk::cli::add_trace_command(app);
  dk::cli::add_conform_command(app);
#ifdef DK_HAVE_MONITOR_CLI
  dk::cli::add_manifest_command(app);
  dk::cli::add_pkg_command(app);
#endif
#ifdef DK_HAVE_RECORD_CLI
  dk::cli::add_record_commands(app);
#endif
#ifdef DK_HAVE_ESCAPE_CLI
  dk::cli::add_escape_command(app);
#endif
#ifdef DK_HAVE_BENCH_CLI
  dk::cli::add_bench_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // One clear line, not CLI11's full help text.
      fprintf(stderr, "dk: %s (see dk --help)\n", e.what());
      return 2;
    }
    return app.exit(e);
  } catch (const dk::cli::Exit& e) {
    return e.status;
  }
  return 0;
}
