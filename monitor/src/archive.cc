#include "dk/monitor/archive.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace dk {
namespace {

constexpr char kMagic[8] = {'D', 'K', 'P', 'K', 'G', '\r', '\n', '\x1a'};
constexpr size_t kHeaderSize = 72;
constexpr size_t kEntryFixed = 32;

void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}
uint64_t get64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

// An archive path: "/a/b", no empty, "." or ".." components, no NUL, at most 4095 bytes.
const char* path_problem(std::string_view p) {
  if (p.empty() || p[0] != '/') return "path is not absolute";
  if (p.size() > 4095) return "path longer than 4095 bytes";
  if (p.find('\0') != std::string_view::npos) return "NUL byte in path";
  if (p.size() == 1) return "path names the root";
  size_t i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view c = p.substr(i, j - i);
    if (c.empty() || c == "." || c == "..") return "path is not normalised";
    if (c.size() > 255) return "path component longer than 255 bytes";
    i = j + 1;
  }
  return nullptr;
}

// Entries are strictly sorted (so unique), and no entry lies beneath another entry, which
// would make one path both a file and a directory. `seen` holds the paths before `cur`.
const char* order_problem(const std::set<std::string>& seen, const std::string& prev,
                          const std::string& cur) {
  if (!seen.empty() && !(prev < cur))
    return prev == cur ? "duplicate path" : "entries out of order";
  for (size_t i = cur.find('/', 1); i != std::string::npos; i = cur.find('/', i + 1))
    if (seen.count(cur.substr(0, i))) return "path is beneath another entry that is a file";
  return nullptr;
}

}  // namespace

uint64_t content_hash(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::string Archive::build(std::string_view manifest_text, bool manifest_is_ini,
                           std::vector<ArchiveInput> files) {
  std::sort(files.begin(), files.end(),
            [](const ArchiveInput& a, const ArchiveInput& b) { return a.path < b.path; });
  std::string table, data;
  std::set<std::string> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    const ArchiveInput& f = files[i];
    if (const char* why = path_problem(f.path))
      throw ArchiveError("cannot pack '" + f.path + "': " + why);
    if (const char* why = order_problem(seen, i ? files[i - 1].path : "", f.path))
      throw ArchiveError("cannot pack '" + f.path + "': " + why);
    seen.insert(f.path);
    put32(table, static_cast<uint32_t>(f.path.size()));
    put32(table, f.mode & 07777);
    put64(table, data.size());
    put64(table, f.contents.size());
    put64(table, content_hash(f.contents));
    table += f.path;
    data += f.contents;
  }
  std::string out(kMagic, sizeof kMagic);
  put32(out, kFormatVersion);
  put32(out, 0);  // flags
  put32(out, manifest_is_ini ? 1 : 0);
  put32(out, static_cast<uint32_t>(files.size()));
  put64(out, manifest_text.size());
  put64(out, table.size());
  put64(out, data.size());
  put64(out, content_hash(manifest_text));
  put64(out, content_hash(table));
  put64(out, content_hash(out));
  out += manifest_text;
  out += table;
  out += data;
  return out;
}

Archive Archive::open(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw ArchiveError(path.string() + ": cannot read the archive: " + ec.message());
  if (size > kMaxSize) throw ArchiveError(path.string() + ": archive larger than 4 GiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ArchiveError(path.string() + ": cannot open the archive");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string());
}

Archive Archive::parse(std::string bytes, std::string name) {
  auto fail = [&](const std::string& where, const std::string& why) -> ArchiveError {
    return ArchiveError(name + ": " + where + ": " + why);
  };
  std::string_view b = bytes;
  if (b.size() < kHeaderSize) {
    if (b.size() >= 8 && std::memcmp(b.data(), kMagic, 8) != 0)
      throw fail("header", "not a .dkpkg archive (bad magic)");
    throw fail("header",
               "truncated (" + std::to_string(b.size()) + " bytes, the header alone is 72)");
  }
  if (std::memcmp(b.data(), kMagic, 8) != 0)
    throw fail("header", "not a .dkpkg archive (bad magic)");
  if (get64(b, 64) != content_hash(b.substr(0, 64))) throw fail("header", "checksum mismatch");
  uint32_t version = get32(b, 8);
  if (version != kFormatVersion)
    throw fail("header", "format version " + std::to_string(version) + " is not supported (1 is)");
  if (get32(b, 12) != 0) throw fail("header", "unknown flags");
  uint32_t kind = get32(b, 16);
  if (kind > 1) throw fail("header", "unknown manifest kind " + std::to_string(kind));
  uint32_t count = get32(b, 20);
  uint64_t msize = get64(b, 24), tsize = get64(b, 32), dsize = get64(b, 40);
  if (msize > kMaxSize || tsize > kMaxSize || dsize > kMaxSize)
    throw fail("header", "part sizes out of range");
  uint64_t want = kHeaderSize + msize + tsize + dsize;
  if (b.size() < want)
    throw fail("header", "truncated (" + std::to_string(b.size()) + " bytes, the header says " +
                             std::to_string(want) + ")");
  if (b.size() > want)
    throw fail("header", std::to_string(b.size() - want) + " trailing bytes after the data");
  if (uint64_t{count} * kEntryFixed > tsize)
    throw fail("file table", "too small for " + std::to_string(count) + " entries");

  Archive a;
  a.name_ = std::move(name);
  a.manifest_is_ini_ = kind == 1;
  a.manifest_off_ = kHeaderSize;
  a.manifest_size_ = msize;
  a.data_off_ = kHeaderSize + msize + tsize;
  std::string_view manifest = b.substr(kHeaderSize, msize);
  if (get64(b, 48) != content_hash(manifest)) throw fail("manifest", "checksum mismatch");
  std::string_view table = b.substr(kHeaderSize + msize, tsize);
  if (get64(b, 56) != content_hash(table)) throw fail("file table", "checksum mismatch");
  std::string_view data = b.substr(a.data_off_, dsize);

  size_t at = 0;
  uint64_t next_offset = 0;
  std::set<std::string> seen;
  for (uint32_t i = 0; i < count; ++i) {
    std::string where = "entry " + std::to_string(i);
    if (table.size() - at < kEntryFixed) throw fail(where, "runs past the file table");
    ArchiveEntry e;
    uint32_t plen = get32(table, at);
    e.mode = get32(table, at + 4);
    e.offset = get64(table, at + 8);
    e.size = get64(table, at + 16);
    e.hash = get64(table, at + 24);
    at += kEntryFixed;
    if (plen > table.size() - at) throw fail(where, "path runs past the file table");
    e.path.assign(table.substr(at, plen));
    at += plen;
    if (const char* why = path_problem(e.path)) throw fail(where, why);
    where += " (" + e.path + ")";
    if (e.mode > 07777) throw fail(where, "bad mode");
    if (const char* why =
            order_problem(seen, a.entries_.empty() ? "" : a.entries_.back().path, e.path))
      throw fail(where, why);
    seen.insert(e.path);
    if (e.offset != next_offset) throw fail(where, "contents do not follow the previous entry's");
    if (e.size > dsize - e.offset) throw fail(where, "contents run past the data");
    next_offset = e.offset + e.size;
    if (content_hash(data.substr(e.offset, e.size)) != e.hash)
      throw fail(where, "content checksum mismatch");
    a.entries_.push_back(std::move(e));
  }
  if (at != table.size())
    throw fail("file table",
               std::to_string(table.size() - at) + " bytes left after the last entry");
  if (next_offset != dsize)
    throw fail("data", std::to_string(dsize - next_offset) + " bytes belong to no entry");
  a.bytes_ = std::move(bytes);
  return a;
}

std::string_view Archive::manifest_text() const {
  return std::string_view(bytes_).substr(manifest_off_, manifest_size_);
}

const ArchiveEntry* Archive::find(std::string_view path) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const ArchiveEntry& e, std::string_view p) { return e.path < p; });
  return it != entries_.end() && it->path == path ? &*it : nullptr;
}

std::string_view Archive::contents(const ArchiveEntry& e) const {
  return std::string_view(bytes_).substr(data_off_ + e.offset, e.size);
}

}  // namespace dk
