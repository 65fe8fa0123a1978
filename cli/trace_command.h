// dk trace: read .dktrace files. `show` prints records strace-like (or JSON lines), `diff`
// names the first difference between two traces, `export --chrome` writes Chrome trace JSON.
#pragma once

namespace CLI {
class App;
}

namespace dk::cli {

void add_trace_command(CLI::App& app);

}  // namespace dk::cli
