// fuzz_archive: Archive::parse (.dkpkg) on arbitrary bytes. Only ArchiveError may escape.
// An archive it accepts must hand out only verified contents, and rebuilding it from what
// it hands out must give an archive that reads back the same.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dk/monitor/archive.h"
#include "fuzz_input.h"

namespace dk::fuzz {

inline void fuzz_archive(std::span<const uint8_t> data) {
  Archive a;
  try {
    a = Archive::parse(std::string(data.begin(), data.end()), "fuzz.dkpkg");
  } catch (const ArchiveError&) {
    return;
  }
  std::vector<ArchiveInput> files;
  for (const ArchiveEntry& e : a.entries()) {
    const std::string_view c = a.contents(e);
    if (c.size() != e.size) finding("entry " + e.path + ": contents size differs from its size");
    if (content_hash(c) != e.hash) finding("entry " + e.path + ": contents fail their hash");
    if (a.find(e.path) != &e) finding("find('" + e.path + "') is not the entry");
    if (e.path.empty() || e.path[0] != '/' || e.path.find("/../") != std::string::npos ||
        e.path.find("//") != std::string::npos)
      finding("entry path not absolute and normalised: " + e.path);
    files.push_back({e.path, e.mode, std::string(c)});
  }
  std::string rebuilt;
  try {
    rebuilt = Archive::build(a.manifest_text(), a.manifest_is_ini(), files);
  } catch (const ArchiveError& e) {
    finding(std::string("an accepted archive does not rebuild: ") + e.what());
  }
  Archive b;
  try {
    b = Archive::parse(rebuilt, "rebuilt.dkpkg");
  } catch (const ArchiveError& e) {
    finding(std::string("a rebuilt archive does not parse: ") + e.what());
  }
  if (b.manifest_text() != a.manifest_text() || b.manifest_is_ini() != a.manifest_is_ini() ||
      b.entries().size() != a.entries().size())
    finding("a rebuilt archive differs in its manifest or entry count");
  for (size_t i = 0; i < a.entries().size(); ++i) {
    const ArchiveEntry& x = a.entries()[i];
    const ArchiveEntry& y = b.entries()[i];
    if (x.path != y.path || x.mode != y.mode || x.size != y.size || x.hash != y.hash)
      finding("a rebuilt archive differs at entry " + x.path);
  }
}

}  // namespace dk::fuzz
