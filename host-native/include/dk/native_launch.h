// The NativeConfig of a bare image, for tests that build a NativeHost by hand: the default
// namespace (dk/monitor/policy.h) with an optional host folder mapped read-only at file:/.
// Launchers build hosts through the factory (dk/host_factory.h) instead.
// Harness-side: throws std::invalid_argument for a bad folder mapping.
#pragma once

#include <string>

#include "dk/native_host.h"

namespace dk {

// `root` "" maps no folder: file:/ is empty.
NativeConfig native_config_for_image(const std::string& root);

}  // namespace dk
