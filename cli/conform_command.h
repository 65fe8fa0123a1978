// dk conform: the conformance suite against one or more hosts, with reports.
#pragma once

namespace CLI {
class App;
}

namespace dk::cli {

void add_conform_command(CLI::App& app);

}  // namespace dk::cli
