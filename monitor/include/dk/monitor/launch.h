// Everything the monitor decides before a picoprocess starts from a package: the resolved
// closure and its file union, the namespace (the package's own mappings plus an optional
// administrator policy), the limits, and the app's image, arguments and bindings. `dk run
// PKG` and both hosts start from this one object. Harness-side: throws ManifestError,
// PackageError or ArchiveError with the reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dk/monitor/namespace.h"
#include "dk/monitor/package_union.h"

namespace dk {

struct PackageLaunch {
  std::shared_ptr<const Package> package;
  std::shared_ptr<const PackageUnion> files;  // shared: read-only, one per closure
  Namespace ns;
  Limits limits;               // the manifest's limits over default_limits()
  AppSpec app;                 // args[0] is the package name when the manifest gives none
  std::string exe_uri;         // canonical virtual URI of the image
  std::vector<uint8_t> image;  // the exe's bytes, read through the namespace
};

// `location`: a package folder or .dkpkg. `policy`: an extra manifest whose namespace is
// added (an administrator's policy, as the seed's sample policy); its mappings may not
// repeat the package's. Refuses a package without an app.
PackageLaunch prepare_launch(const std::filesystem::path& location,
                             const std::vector<std::filesystem::path>& search_path,
                             const Manifest* policy = nullptr);

}  // namespace dk
