// The NativeConfig a launcher (`dk run --host native`, `dk conform --host native`) starts
// from: a package's namespace and file union as the monitor prepared them, or, for a bare
// image, the console, named pipes and sockets (as the simulated host's default policy) and
// an optional host folder mapped read-only at file:/.
// Harness-side: throws std::invalid_argument for a bad folder mapping.
#pragma once

#include <string>

#include "dk/monitor/launch.h"
#include "dk/native_host.h"

namespace dk {

NativeConfig native_config_for_package(const PackageLaunch& launch);
// `root` "" maps no folder: file:/ is empty.
NativeConfig native_config_for_image(const std::string& root);

}  // namespace dk
