// The .dkpkg archive: one file holding a package's manifest and files, each checksummed
// (format in docs/monitor.md). Harness-side: problems throw ArchiveError naming the archive,
// the part (header, manifest, file table, an entry) and the reason. A reader verifies
// everything when it opens an archive, so a corrupt archive is never half-used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dk {

class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ArchiveEntry {
  std::string path;  // "/bin/hello": absolute, normalised, sorted, unique
  uint32_t mode = 0644;
  uint64_t offset = 0;  // within the data part
  uint64_t size = 0;
  uint64_t hash = 0;  // XXH3-64 of the contents
};

// Input to the writer: one file of the package.
struct ArchiveInput {
  std::string path;  // as ArchiveEntry::path
  uint32_t mode = 0644;
  std::string contents;
};

class Archive {
 public:
  static constexpr uint32_t kFormatVersion = 1;
  static constexpr uint64_t kMaxSize = uint64_t{1} << 32;  // 4 GiB

  // Reads and verifies an archive file.
  static Archive open(const std::filesystem::path& path);
  // Verifies bytes already in memory; `name` is used in messages.
  static Archive parse(std::string bytes, std::string name);
  // Builds archive bytes. Entries are sorted here; throws ArchiveError on a bad or
  // duplicate path.
  static std::string build(std::string_view manifest_text, bool manifest_is_ini,
                           std::vector<ArchiveInput> files);

  const std::string& name() const { return name_; }
  std::string_view manifest_text() const;
  bool manifest_is_ini() const { return manifest_is_ini_; }
  const std::vector<ArchiveEntry>& entries() const { return entries_; }
  const ArchiveEntry* find(std::string_view path) const;
  std::string_view contents(const ArchiveEntry& e) const;

 private:
  std::string name_;
  std::string bytes_;
  bool manifest_is_ini_ = false;
  uint64_t manifest_off_ = 0, manifest_size_ = 0, data_off_ = 0;
  std::vector<ArchiveEntry> entries_;
};

// XXH3-64, the checksum used by archives and union hashes.
uint64_t content_hash(std::string_view bytes);

}  // namespace dk
