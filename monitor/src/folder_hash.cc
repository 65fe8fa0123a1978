#include "dk/monitor/folder_hash.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "dk/json.h"
#include "dk/monitor/archive.h"

namespace dk {
namespace {

// Appends one line per entry beneath the open directory `fd` ("d rel", "f rel size hash",
// "l rel target") to `listing`; false when something could not be read.
bool walk(int fd, const std::string& rel, std::string& listing, uint64_t& files, int depth) {
  if (depth > 256) return false;
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return false;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  bool ok = true;
  for (const std::string& n : names) {
    const std::string path = rel + "/" + n;
    struct stat st;
    if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      ok = false;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      listing += "d " + path + "\n";
      int sub = openat(dirfd(d), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      ok = sub >= 0 && walk(sub, path, listing, files, depth + 1) && ok;
    } else if (S_ISREG(st.st_mode)) {
      int f = openat(dirfd(d), n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (f < 0) {
        ok = false;
        continue;
      }
      std::string bytes;
      char buf[65536];
      ssize_t k;
      while ((k = ::read(f, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<size_t>(k));
      ::close(f);
      if (k < 0) ok = false;
      char h[17];
      std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(content_hash(bytes)));
      listing += "f " + path + " " + std::to_string(bytes.size()) + " " + h + "\n";
      ++files;
    } else if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t k = readlinkat(dirfd(d), n.c_str(), target, sizeof target);
      listing +=
          "l " + path + " " + (k >= 0 ? std::string(target, static_cast<size_t>(k)) : "") + "\n";
    }
  }
  closedir(d);
  return ok;
}

}  // namespace

FolderHash hash_folder(const std::filesystem::path& folder) {
  FolderHash out;
  std::string listing;
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !walk(fd, "", listing, out.files, 0)) {
    out.hash = "unreadable";
    return out;
  }
  char h[24];
  std::snprintf(h, sizeof h, "xxh3:%016llx",
                static_cast<unsigned long long>(content_hash(listing)));
  out.hash = h;
  return out;
}

std::vector<std::pair<std::string, std::string>> mapped_host_folders(const Namespace& ns) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Mapping& m : ns.mappings()) {
    Uri v, p;
    if (parse_uri(m.virtual_uri, UriRole::Policy, v) != 0 ||
        (v.scheme != UriScheme::File && v.scheme != UriScheme::Dir))
      continue;
    if (parse_uri(m.physical_uri, UriRole::Policy, p) != 0 || p.scheme != UriScheme::File) continue;
    out.emplace_back(v.path, p.path);
  }
  return out;
}

std::vector<FolderHash> hash_mapped_folders(const Namespace& ns) {
  std::vector<FolderHash> out;
  for (const Mapping& m : ns.mappings()) {
    Uri u;
    if (parse_uri(m.physical_uri, UriRole::Policy, u) != 0 || u.scheme != UriScheme::File) continue;
    FolderHash h = hash_folder(u.path);
    h.virtual_uri = m.virtual_uri;
    h.writable = m.writable;
    out.push_back(std::move(h));
  }
  return out;
}

std::string mapped_folders_json(const Namespace& ns) {
  JsonWriter j;
  j.begin_array();
  for (const FolderHash& h : hash_mapped_folders(ns))
    j.begin_object()
        .key("virtual")
        .value(h.virtual_uri)
        .key("writable")
        .value(h.writable)
        .key("files")
        .value(h.files)
        .key("hash")
        .value(h.hash)
        .end_object();
  j.end_array();
  return j.str();
}

}  // namespace dk
