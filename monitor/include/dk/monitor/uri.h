// Virtual and physical URIs (ABI.md section 7): parsed, percent-decoded and normalised once,
// so that everything behind the parser compares canonical strings. Host-facing: errors are
// dk_status_t values (-DK_E_INVAL, -DK_E_ACCESS, -DK_E_NAMETOOLONG) with an optional reason
// that quotes only the URI text it was given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dk/abi.h"

namespace dk {

enum class UriScheme {
  File,
  Dir,
  Package,
  Tmpfs,  // paths: "/a/b"
  Pipe,
  PipeServer,  // names
  Tcp,
  TcpServer,
  Udp,
  UdpServer,  // host:port (tcp.client:/udp.client: read as tcp:/udp:)
  Dev,        // console, null, zero
  Self,
};

enum class UriKind { Path, Name, Net, Device, Self };

// Who wrote the URI. A guest may not name tmpfs: or use a bare scheme; a policy may.
enum class UriRole { Guest, Policy };

struct Uri {
  UriScheme scheme = UriScheme::File;
  bool bare = false;  // "tcp.client:" in a policy: every URI of that kind
  std::string path;   // Path: normalised absolute path ("/" for the root); Name: the name;
                      // Device: the device name
  std::string host;   // Net: lower-case host name or [IPv6]
  uint16_t port = 0;  // Net

  UriKind kind() const;
  std::string str() const;  // canonical spelling: "file:/a/b", "tcp:localhost:80", "tcp:"
};

std::string_view scheme_name(UriScheme s);  // "file", "tcp.server", ...
UriKind scheme_kind(UriScheme s);

// Parses and normalises. Schemes and network host names are case-insensitive (stored lower
// case); paths, pipe names and device names are case-sensitive. Percent-escapes are decoded
// exactly once, then "." and ".." are applied; a ".." above the root is refused with
// -DK_E_ACCESS (never clamped). NUL bytes (raw or %00) and malformed escapes give
// -DK_E_INVAL; more than DK_URI_MAX bytes, or a path component over 255 bytes, give
// -DK_E_NAMETOOLONG.
dk_status_t parse_uri(std::string_view text, UriRole role, Uri& out, std::string* reason = nullptr);

// True if `path` (normalised) is `prefix` or lies beneath it, compared by whole components.
bool path_within(std::string_view path, std::string_view prefix);

}  // namespace dk
