// The package search path and dependency resolution: from an app package to the transitive
// closure of its dependencies, one version per name (the highest that satisfies every
// constraint on it). Harness-side: resolution failures throw PackageError naming the chain
// of packages that led there.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dk/monitor/package.h"

namespace dk {

// The closure in union priority order: [0] is the app, then its dependencies breadth-first
// in declaration order (direct dependencies before theirs; an earlier one before a later).
struct ClosureNode {
  std::shared_ptr<const Package> package;
  std::string chain;               // "app 1.0.0 -> a 1.2.0": how it was reached
  std::vector<size_t> depends_on;  // indices into Closure::nodes, in declaration order
};

struct Closure {
  std::vector<ClosureNode> nodes;
  const ClosureNode& root() const { return nodes.front(); }
};

class PackageStore {
 public:
  // Each entry is a folder of packages (subfolders with a manifest, and .dkpkg files) or a
  // package itself. Entries that do not exist are skipped.
  explicit PackageStore(std::vector<std::filesystem::path> search_path);

  // examples/ (from the working directory) and ~/.local/share/dk/packages, after the
  // entries of $DK_PKG_PATH (colon-separated) when it is set.
  static std::vector<std::filesystem::path> default_search_path();

  // The search path for a command about `target` (a package folder or archive): the
  // --pkg-path entries (each may hold ':'-separated folders) when given, else the default
  // path; in both cases the target's own parent folder first, so sibling packages resolve.
  static std::vector<std::filesystem::path> search_path_for(
      const std::filesystem::path& target, const std::vector<std::string>& entries);

  // Every usable package in the search path; a name+version seen twice keeps the first.
  const std::vector<std::shared_ptr<const Package>>& available() const { return available_; }
  // Versions of one name, highest first.
  std::vector<std::shared_ptr<const Package>> versions(const std::string& name) const;
  // Packages in the search path that could not be read, and shadowed duplicates.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Throws PackageError: missing dependency, conflicting constraints, cycle, wrong arch.
  Closure resolve(std::shared_ptr<const Package> root) const;

 private:
  std::vector<std::filesystem::path> search_path_;
  std::vector<std::shared_ptr<const Package>> available_;
  std::map<std::string, std::vector<std::shared_ptr<const Package>>> by_name_;
  std::vector<std::string> warnings_;
};

}  // namespace dk
