// fuzz_uri_namespace: parse_uri and Namespace::resolve on arbitrary URI text against a fixed
// policy. Whatever the text, a resolved path stays beneath the mapping that matched: the
// host-relative path never climbs ("..") or restarts ("/"), a write is only granted through
// a writable mapping, and the canonical spelling of a parsed URI parses back to itself.
#pragma once

#include <span>
#include <string>

#include "dk/monitor/namespace.h"
#include "dk/monitor/uri.h"
#include "fuzz_input.h"

namespace dk::fuzz {

inline const Namespace& fuzz_policy() {
  static const Namespace ns = [] {
    Namespace n;
    n.add({{"file:/documents", "file:/host/docs", false, 1},
           {"file:/documents/drafts", "file:/host/drafts", true, 2},
           {"file:/tmp", "tmpfs:", true, 3},
           {"file:/scratch", "tmpfs:/s", true, 4},
           {"file:/lib", "package:/usr/lib", false, 5},
           {"tcp.server:localhost:3000", "tcp.server:localhost:3000", true, 6},
           {"tcp.client:", "tcp.client:", true, 7},
           {"pipe.server:RDP", "pipe.server:RDP_Drawbridge", true, 8},
           {"dev:console", "dev:console", true, 9}});
    return n;
  }();
  return ns;
}

inline bool climbs(const std::string& rel) {
  return rel == ".." || rel.rfind("../", 0) == 0 || rel.find("/../") != std::string::npos ||
         (rel.size() >= 3 && rel.compare(rel.size() - 3, 3, "/..") == 0);
}

inline void check_resolved(const std::string& uri, Access access, const Resolved& r) {
  const std::string where = "resolve('" + uri + "'): ";
  if (!r.rel.empty() && r.rel[0] == '/') finding(where + "rel starts with '/': " + r.rel);
  if (climbs(r.rel)) finding(where + "rel climbs: " + r.rel);
  if (r.rel.find('\0') != std::string::npos) finding(where + "NUL in rel");
  if (access == Access::Write && !r.writable) finding(where + "write granted through read-only");
  switch (r.target) {
    case Resolved::Target::HostFolder:
      if (r.base != "/host/docs" && r.base != "/host/drafts")
        finding(where + "host folder base is not a mapped folder: " + r.base);
      if (r.base == "/host/docs" && access == Access::Write) finding(where + "write to docs");
      break;
    case Resolved::Target::Tmpfs:
      if (r.base != "/" && r.base != "/s") finding(where + "tmpfs base " + r.base);
      break;
    case Resolved::Target::Package:
      if (access == Access::Write) finding(where + "package write granted");
      break;
    default:
      break;
  }
  if (!r.mount.empty() && r.uri.kind() == UriKind::Path) {
    Uri m;
    if (parse_uri(r.mount, UriRole::Policy, m) != 0 || !path_within(r.uri.path, m.path))
      finding(where + "path " + r.uri.path + " is not beneath its mount " + r.mount);
  }
}

inline void fuzz_uri_namespace(std::span<const uint8_t> data) {
  FuzzInput in(data);
  const uint8_t mode = in.u8();
  const Access access = (mode & 1) ? Access::Write : Access::Read;
  const UriRole role = (mode & 2) ? UriRole::Policy : UriRole::Guest;
  const std::string text = in.text(in.left());

  Uri u;
  std::string why;
  const dk_status_t pst = parse_uri(text, role, u, &why);
  if (pst > 0) finding("parse_uri returned a positive status");
  if (pst == 0) {
    const std::string canon = u.str();
    Uri again;
    std::string why2;
    if (parse_uri(canon, role, again, &why2) != 0)
      finding("canonical '" + canon + "' of '" + text + "' does not parse: " + why2);
    if (again.str() != canon)
      finding("canonical '" + canon + "' of '" + text + "' parses to '" + again.str() + "'");
  }
  if (role != UriRole::Guest) return;

  Resolved r;
  const dk_status_t st = fuzz_policy().resolve(text, access, r);
  if (pst != 0 && st == 0) finding("resolve accepted '" + text + "', which parse_uri refuses");
  if (st > 0) finding("resolve returned a positive status");
  if (st == 0) check_resolved(text, access, r);
}

}  // namespace dk::fuzz
