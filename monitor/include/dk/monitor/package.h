// One package: a folder with manifest.yaml (or manifest.ini) and its files, or a .dkpkg
// archive of the same. Harness-side: opening throws PackageError, ManifestError or
// ArchiveError with the reason; a Package that exists is valid and its files are read-only.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dk/monitor/archive.h"
#include "dk/monitor/manifest.h"

namespace dk {

class PackageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PackageFile {
  std::string path;  // "/bin/hello"
  uint64_t size = 0;
  bool executable = false;
};

class Package {
 public:
  // A folder holding manifest.yaml or manifest.ini (not both), or a .dkpkg file.
  static std::shared_ptr<const Package> open(const std::filesystem::path& location);

  const Manifest& manifest() const { return manifest_; }
  const PackageIdentity& id() const { return *manifest_.package; }
  std::string label() const { return id().name + " " + id().version.str(); }
  const std::filesystem::path& location() const { return location_; }
  bool is_archive() const { return archive_ != nullptr; }
  // The package's files, sorted by path; the manifest itself is not one of them.
  const std::vector<PackageFile>& files() const { return files_; }
  const PackageFile* find(std::string_view path) const;
  // Contents of one file (throws PackageError if it is not in the package).
  std::string read(std::string_view path) const;
  // The host file behind `path` for a folder package; nothing for an archive.
  std::optional<std::filesystem::path> host_file(std::string_view path) const;
  // The manifest text as stored (for packing).
  const std::string& manifest_text() const { return manifest_text_; }
  // Things skipped while listing (symlinks, special files).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Manifest manifest_;
  std::string manifest_text_;
  std::filesystem::path location_;
  std::shared_ptr<const Archive> archive_;
  std::vector<PackageFile> files_;
  std::vector<std::string> warnings_;
};

// Writes `pkg` as a .dkpkg archive at `out` (through a temporary file and a rename).
void pack_package(const Package& pkg, const std::filesystem::path& out);
// Writes an archive's manifest and files into the new folder `dir` (which must not exist).
void unpack_archive(const Archive& a, const std::filesystem::path& dir);

}  // namespace dk
