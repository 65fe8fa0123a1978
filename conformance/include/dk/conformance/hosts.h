// The hosts `dk conform` can test: "sim" (the simulated host, the reference), "plugin:PATH"
// (a shared library implementing dk/host_plugin.h) and "native" (the native host).
#pragma once

#include <string>

#include "dk/conformance/case_run.h"

namespace dk::conformance {

// Parses a --host value. Returns false with `error` set for an unknown or unavailable host.
bool make_host_target(const std::string& spec, HostTarget& out, std::string& error);

}  // namespace dk::conformance
