// The read-only file view a picoprocess gets from its package closure: every package's files
// under one tree. The app wins over its dependencies, an earlier dependency over a later one;
// every shadowed file is listed as a conflict. Host-facing lookups return dk_status_t.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dk/abi.h"
#include "dk/monitor/package_store.h"

namespace dk {

struct UnionEntry {
  std::string path;    // "/bin/hello"
  size_t package = 0;  // index into the closure
  const PackageFile* file = nullptr;
};

struct UnionConflict {
  std::string path;    // the shadowed path
  std::string winner;  // "app 1.0.0"
  std::string loser;   // "libos-posix 1.0.0"
  std::string why;     // "both have the file", "a file where the other has a folder"
};

class PackageUnion {
 public:
  explicit PackageUnion(Closure closure);

  const Closure& closure() const { return closure_; }
  // `path` as in a normalised URI ("/bin/hello") or Resolved::rel ("bin/hello").
  const UnionEntry* find(std::string_view path) const;
  bool is_dir(std::string_view path) const;
  // Names directly inside a folder of the union, sorted; -DK_E_NOENT or -DK_E_NOTDIR.
  dk_status_t list(std::string_view dir, std::vector<std::string>& names) const;
  // Whole contents of a file: 0, -DK_E_NOENT, -DK_E_ISDIR.
  dk_status_t read(std::string_view path, std::string& out) const;
  // The host file behind an entry of a folder package (nothing for archives).
  std::optional<std::filesystem::path> host_file(std::string_view path) const;
  const std::map<std::string, UnionEntry>& files() const { return files_; }
  const std::vector<UnionConflict>& conflicts() const { return conflicts_; }

 private:
  static std::string key(std::string_view path);
  Closure closure_;
  std::map<std::string, UnionEntry> files_;
  std::set<std::string> dirs_;  // every folder that holds something, "/" included
  std::vector<UnionConflict> conflicts_;
};

}  // namespace dk
