// Content hashes of the host folders a namespace maps, for a run's inputs (DESIGN.md,
// "Determinism": a run is a function of, among others, the contents of mapped host
// folders). The same contents give the same hash on any machine: names, file contents and
// symlink targets count; times, owners and permission bits do not. Harness-side; a folder
// that cannot be read hashes as "unreadable" rather than throwing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dk/monitor/namespace.h"

namespace dk {

struct FolderHash {
  std::string virtual_uri;  // "file:/documents"
  bool writable = false;
  uint64_t files = 0;  // regular files beneath it
  std::string hash;    // "xxh3:" and 16 hex digits, or "unreadable"
};

// Walks `folder` in byte order of names, without following symlinks.
FolderHash hash_folder(const std::filesystem::path& folder);
// (virtual path, host folder) for each namespace mapping of a file:/dir: virtual URI onto a
// host folder (file: physical URI), in mapping order: what the simulated host mounts.
std::vector<std::pair<std::string, std::string>> mapped_host_folders(const Namespace& ns);
// One entry per namespace mapping onto a host folder (file: physical URIs), in mapping order.
std::vector<FolderHash> hash_mapped_folders(const Namespace& ns);
// The list as a JSON array of {virtual, writable, files, hash} (for `dk run --json`).
std::string mapped_folders_json(const Namespace& ns);

}  // namespace dk
