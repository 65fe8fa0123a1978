#include "dk/monitor/uri.h"

#include <array>
#include <vector>

namespace dk {
namespace {

struct SchemeInfo {
  std::string_view name;
  UriScheme scheme;
  bool policy_only;
};

// tcp.client and udp.client are the policy spellings of tcp and udp.
constexpr std::array<SchemeInfo, 14> kSchemes = {{
    {"file", UriScheme::File, false},
    {"dir", UriScheme::Dir, false},
    {"package", UriScheme::Package, false},
    {"tmpfs", UriScheme::Tmpfs, true},
    {"pipe", UriScheme::Pipe, false},
    {"pipe.server", UriScheme::PipeServer, false},
    {"tcp", UriScheme::Tcp, false},
    {"tcp.server", UriScheme::TcpServer, false},
    {"tcp.client", UriScheme::Tcp, true},
    {"udp", UriScheme::Udp, false},
    {"udp.server", UriScheme::UdpServer, false},
    {"udp.client", UriScheme::Udp, true},
    {"dev", UriScheme::Dev, false},
    {"self", UriScheme::Self, false},
}};

dk_status_t fail(std::string* reason, dk_status_t code, std::string why) {
  if (reason) *reason = std::move(why);
  return code;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

dk_status_t percent_decode(std::string_view in, std::string& out, std::string* reason) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= in.size()) return fail(reason, -DK_E_INVAL, "truncated percent-escape");
    int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return fail(reason, -DK_E_INVAL, "malformed percent-escape");
    char d = static_cast<char>(hi * 16 + lo);
    if (d == '\0') return fail(reason, -DK_E_INVAL, "NUL byte (%00) in URI");
    out += d;
    i += 2;
  }
  return 0;
}

dk_status_t normalise_path(std::string_view decoded, std::string& out, std::string* reason) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= decoded.size()) {
    size_t j = decoded.find('/', i);
    if (j == std::string_view::npos) j = decoded.size();
    std::string_view comp = decoded.substr(i, j - i);
    i = j + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (parts.empty()) return fail(reason, -DK_E_ACCESS, "'..' climbs above the root");
      parts.pop_back();
      continue;
    }
    if (comp.size() > 255)
      return fail(reason, -DK_E_NAMETOOLONG, "path component longer than 255 bytes");
    parts.push_back(comp);
  }
  out.clear();
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  if (out.empty()) out = "/";
  return 0;
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

dk_status_t parse_net(std::string_view rest, Uri& out, std::string* reason) {
  if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
  if (rest.empty()) return fail(reason, -DK_E_INVAL, "missing host:port");
  size_t colon;
  std::string host;
  if (rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail(reason, -DK_E_INVAL, "unclosed '[' in host");
    std::string_view v6 = rest.substr(1, close - 1);
    if (v6.empty() || v6.size() > 45) return fail(reason, -DK_E_INVAL, "bad IPv6 address");
    for (char c : v6)
      if (!(hex(c) >= 0 || c == ':' || c == '.'))
        return fail(reason, -DK_E_INVAL, "bad IPv6 address");
    host = "[";
    for (char c : v6) host += static_cast<char>((c >= 'A' && c <= 'F') ? c - 'A' + 'a' : c);
    host += "]";
    colon = close + 1;
    if (colon >= rest.size() || rest[colon] != ':')
      return fail(reason, -DK_E_INVAL, "missing ':port'");
  } else {
    colon = rest.rfind(':');
    if (colon == std::string_view::npos) return fail(reason, -DK_E_INVAL, "missing ':port'");
    std::string_view h = rest.substr(0, colon);
    if (h.empty() || h.size() > 253) return fail(reason, -DK_E_INVAL, "bad host name");
    for (char c : h) {
      char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (!host_char(l)) return fail(reason, -DK_E_INVAL, "bad character in host name");
      host += l;
    }
  }
  std::string_view port = rest.substr(colon + 1);
  if (port.empty() || port.size() > 5) return fail(reason, -DK_E_INVAL, "bad port");
  uint32_t p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return fail(reason, -DK_E_INVAL, "bad port");
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535) return fail(reason, -DK_E_INVAL, "port out of range");
  out.host = std::move(host);
  out.port = static_cast<uint16_t>(p);
  return 0;
}

}  // namespace

std::string_view scheme_name(UriScheme s) {
  switch (s) {
    case UriScheme::File:
      return "file";
    case UriScheme::Dir:
      return "dir";
    case UriScheme::Package:
      return "package";
    case UriScheme::Tmpfs:
      return "tmpfs";
    case UriScheme::Pipe:
      return "pipe";
    case UriScheme::PipeServer:
      return "pipe.server";
    case UriScheme::Tcp:
      return "tcp";
    case UriScheme::TcpServer:
      return "tcp.server";
    case UriScheme::Udp:
      return "udp";
    case UriScheme::UdpServer:
      return "udp.server";
    case UriScheme::Dev:
      return "dev";
    case UriScheme::Self:
      return "self";
  }
  return "?";
}

UriKind scheme_kind(UriScheme s) {
  switch (s) {
    case UriScheme::File:
    case UriScheme::Dir:
    case UriScheme::Package:
    case UriScheme::Tmpfs:
      return UriKind::Path;
    case UriScheme::Pipe:
    case UriScheme::PipeServer:
      return UriKind::Name;
    case UriScheme::Tcp:
    case UriScheme::TcpServer:
    case UriScheme::Udp:
    case UriScheme::UdpServer:
      return UriKind::Net;
    case UriScheme::Dev:
      return UriKind::Device;
    case UriScheme::Self:
      return UriKind::Self;
  }
  return UriKind::Self;
}

UriKind Uri::kind() const {
  return scheme_kind(scheme);
}

std::string Uri::str() const {
  std::string s(scheme_name(scheme));
  s += ':';
  if (bare) return s;
  switch (kind()) {
    case UriKind::Path:
    case UriKind::Name:
    case UriKind::Device:
      // Parsing decodes %XX once; a literal '%' goes back out as %25 so that the canonical
      // spelling parses to itself and is never decoded a second time.
      for (char c : path) {
        if (c == '%') s += "%25";
        else s += c;
      }
      break;
    case UriKind::Net:
      s += host + ":" + std::to_string(port);
      break;
    case UriKind::Self:
      break;
  }
  return s;
}

bool path_within(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

dk_status_t parse_uri(std::string_view text, UriRole role, Uri& out, std::string* reason) {
  if (text.size() > DK_URI_MAX)
    return fail(reason, -DK_E_NAMETOOLONG, "URI longer than 4095 bytes");
  if (text.find('\0') != std::string_view::npos)
    return fail(reason, -DK_E_INVAL, "NUL byte in URI");
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail(reason, -DK_E_INVAL, "missing scheme");
  std::string scheme;
  for (char c : text.substr(0, colon)) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (!((l >= 'a' && l <= 'z') || l == '.')) return fail(reason, -DK_E_INVAL, "bad scheme");
    scheme += l;
  }
  const SchemeInfo* info = nullptr;
  for (const auto& s : kSchemes)
    if (s.name == scheme) info = &s;
  if (!info) return fail(reason, -DK_E_INVAL, "unknown scheme '" + scheme + "'");
  if (info->policy_only && role == UriRole::Guest)
    return fail(reason, -DK_E_INVAL, "scheme '" + scheme + "' is for policies only");

  Uri u;
  u.scheme = info->scheme;
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) {
    if (u.scheme == UriScheme::Self) {
      out = u;
      return 0;
    }
    if (role == UriRole::Policy && u.scheme == UriScheme::Tmpfs) {
      u.path = "/";
      out = u;
      return 0;
    }
    if (role == UriRole::Policy && (u.kind() == UriKind::Net || u.kind() == UriKind::Name)) {
      u.bare = true;
      out = u;
      return 0;
    }
    return fail(reason, -DK_E_INVAL, "nothing after '" + scheme + ":'");
  }

  switch (u.kind()) {
    case UriKind::Self:
      return fail(reason, -DK_E_INVAL, "self: takes nothing after the scheme");
    case UriKind::Path: {
      if (rest.substr(0, 2) == "//") {
        if (rest.size() == 2 || rest[2] != '/')
          return fail(reason, -DK_E_INVAL,
                      "a " + scheme + ": URI takes no host; write " + scheme + ":/path");
        rest.remove_prefix(2);
      }
      if (rest[0] != '/') return fail(reason, -DK_E_INVAL, "path must be absolute");
      std::string decoded;
      if (dk_status_t st = percent_decode(rest, decoded, reason); st != 0) return st;
      if (dk_status_t st = normalise_path(decoded, u.path, reason); st != 0) return st;
      break;
    }
    case UriKind::Name:
    case UriKind::Device: {
      if (rest.substr(0, 3) == "///")
        rest.remove_prefix(3);
      else if (rest[0] == '/')
        return fail(reason, -DK_E_INVAL, "write " + scheme + ":NAME or " + scheme + ":///NAME");
      std::string decoded;
      if (dk_status_t st = percent_decode(rest, decoded, reason); st != 0) return st;
      if (decoded.empty()) return fail(reason, -DK_E_INVAL, "empty name");
      if (decoded.size() > 255)
        return fail(reason, -DK_E_NAMETOOLONG, "name longer than 255 bytes");
      if (decoded.find('/') != std::string::npos) return fail(reason, -DK_E_INVAL, "'/' in a name");
      if (u.kind() == UriKind::Device && decoded != "console" && decoded != "null" &&
          decoded != "zero")
        return fail(reason, -DK_E_INVAL, "unknown device '" + decoded + "'");
      u.path = std::move(decoded);
      break;
    }
    case UriKind::Net:
      if (dk_status_t st = parse_net(rest, u, reason); st != 0) return st;
      break;
  }
  out = std::move(u);
  return 0;
}

}  // namespace dk
