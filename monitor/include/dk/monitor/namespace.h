// The namespace policy of one picoprocess: which virtual URIs it may open, and what each one
// names on the host side. Deny by default. Both hosts reach it through the Policy interface
// (dk/monitor/policy.h: NamespacePolicy) for every open, attribute query, rename, delete,
// connect, listen and process image, so the checks live here once.
// Host-facing: resolve() returns dk_status_t; building a Namespace from a manifest throws
// std::invalid_argument (the manifest parsers have already refused anything that would).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dk/abi.h"
#include "dk/monitor/manifest.h"
#include "dk/monitor/uri.h"

namespace dk {

// Read: open for reading, stat, list. Write: open for writing, create, truncate, rename,
// delete; also connect, listen and pipe opens (a stream carries data both ways).
enum class Access { Read, Write };

struct Resolved {
  enum class Target {
    HostFolder,  // a file beneath a mapped host folder: open `rel` beneath `base`
    Tmpfs,       // the picoprocess's private in-memory tree: `rel` beneath `base`
    Package,     // the package union (read-only): `rel` is the union path without '/'
    Device,      // `physical` is dev:console, dev:null or dev:zero
    Pipe,        // `physical` is pipe:NAME or pipe.server:NAME
    Network,     // `physical` is tcp:/tcp.server:/udp:/udp.server:HOST:PORT
    Self,        // the caller's own image
  };
  Target target = Target::Package;
  Uri uri;                // the normalised virtual URI
  std::string mount;      // the virtual mapping that matched ("" for implicit grants)
  std::string base;       // Target root: host folder path, or the tmpfs path ("/" = its root)
  std::string rel;        // path beneath `base`, no leading '/', "" for `base` itself
  std::string physical;   // canonical physical URI; host side only, never shown to the guest
  bool writable = false;  // the mapping grants Write
  std::string reason;     // on refusal: why, naming virtual URIs only
};

class Namespace {
 public:
  Namespace() = default;
  // The manifest's mappings plus the implicit grants: package:, self:, dev:null, dev:zero,
  // and the dev: URIs the app binds to stdin/stdout/stderr.
  static Namespace for_manifest(const Manifest& m);

  // Adds one mapping (canonical URIs, as the manifest parsers produce; raw spellings are
  // parsed too). Throws std::invalid_argument on a bad or duplicate mapping.
  void add(const Mapping& m);
  void add(const std::vector<Mapping>& ms) {
    for (const auto& m : ms) add(m);
  }

  // 0, -DK_E_ACCESS (not granted, or a write through a read-only mapping, or '..' above
  // the root), -DK_E_INVAL (malformed), -DK_E_NAMETOOLONG. `out.reason` says why.
  dk_status_t resolve(std::string_view virtual_uri, Access access, Resolved& out) const;
  // The same for a URI already parsed as the guest wrote it (UriRole::Guest).
  dk_status_t resolve(const Uri& uri, Access access, Resolved& out) const;

  // Names of mapping points directly beneath a virtual directory (for listing "/" when
  // "/documents" is mapped): {"documents"}.
  std::vector<std::string> mounts_beneath(std::string_view virtual_dir) const;

  const std::vector<Mapping>& mappings() const { return mappings_; }

 private:
  struct Rule {
    Uri virt;
    Uri phys;
    bool writable;
  };
  std::vector<Rule> rules_;
  std::vector<Mapping> mappings_;
};

}  // namespace dk
