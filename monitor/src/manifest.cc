#include "dk/monitor/manifest.h"

#include <fstream>
#include <sstream>

#include "dk/monitor/uri.h"
#include "dk/monitor/utf8.h"

namespace dk {

ManifestError::ManifestError(std::string file, int line, std::string reason)
    : std::runtime_error(line > 0 ? file + ":" + std::to_string(line) + ": " + reason
                                  : file + ": " + reason),
      file_(std::move(file)),
      line_(line),
      reason_(std::move(reason)) {}

void check_package_name(const std::string& name, const std::string& file, int line) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+';
  };
  if (name.empty()) throw ManifestError(file, line, "empty package name");
  if (name.size() > 64) throw ManifestError(file, line, "package name longer than 64 characters");
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
        (name[0] >= '0' && name[0] <= '9')))
    throw ManifestError(file, line,
                        "bad package name '" + name + "': must start with a letter or digit");
  for (char c : name)
    if (!ok(c))
      throw ManifestError(
          file, line, "bad package name '" + name + "': letters, digits, '.', '_', '-', '+' only");
}

std::string check_arch(const std::string& arch, const std::string& file, int line) {
  std::string l;
  for (char c : arch) l += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  if (l == "x86_64" || l == "x64" || l == "amd64") return "x86_64";
  if (l == "any") return "any";
  throw ManifestError(file, line,
                      "unknown architecture '" + arch + "' (x86_64, x64, amd64 or any)");
}

std::string check_uri(const std::string& text, bool policy, const std::string& file, int line) {
  Uri u;
  std::string why;
  if (parse_uri(text, policy ? UriRole::Policy : UriRole::Guest, u, &why) != 0)
    throw ManifestError(file, line, "bad URI '" + text + "': " + why);
  return u.str();
}

Mapping check_mapping(Manifest& m, const std::string& virt, const std::string& phys, bool writable,
                      int line) {
  Uri v, p;
  std::string why;
  if (parse_uri(virt, UriRole::Policy, v, &why) != 0)
    throw ManifestError(m.file, line, "bad URI '" + virt + "': " + why);
  if (parse_uri(phys, UriRole::Policy, p, &why) != 0)
    throw ManifestError(m.file, line, "bad URI '" + phys + "': " + why);
  std::string where = "mapping " + virt + " -> " + phys;
  switch (v.kind()) {
    case UriKind::Path:
      if (v.scheme == UriScheme::Dir) v.scheme = UriScheme::File;
      if (v.scheme != UriScheme::File)
        throw ManifestError(m.file, line,
                            where + ": the virtual side must be a file: or dir: path");
      if (p.kind() != UriKind::Path)
        throw ManifestError(m.file, line, where + ": a path maps to file:, tmpfs: or package:");
      if (p.scheme == UriScheme::Dir) p.scheme = UriScheme::File;
      if (p.scheme == UriScheme::Package && writable)
        throw ManifestError(m.file, line, where + ": package files cannot be mapped writable");
      if (p.scheme == UriScheme::File && p.path == "/")
        m.warnings.push_back({line, where + ": maps the whole host file system"});
      break;
    case UriKind::Name:
    case UriKind::Net:
      if (p.scheme != v.scheme)
        throw ManifestError(m.file, line, where + ": both sides must be of the same kind");
      if (v.bare != p.bare)
        throw ManifestError(m.file, line,
                            where + ": a bare scheme maps only to the same bare scheme");
      if (!writable)
        m.warnings.push_back(
            {line,
             where +
                 ": streams open for writing; a read-only stream mapping grants nothing useful"});
      break;
    case UriKind::Device:
      if (p.kind() != UriKind::Device)
        throw ManifestError(m.file, line, where + ": a device maps to a device");
      break;
    case UriKind::Self:
      throw ManifestError(m.file, line, where + ": self: is always granted and cannot be mapped");
  }
  Mapping out{v.str(), p.str(), writable, line};
  for (const Mapping& other : m.mappings)
    if (other.virtual_uri == out.virtual_uri)
      throw ManifestError(
          m.file, line,
          "'" + out.virtual_uri + "' is already mapped on line " + std::to_string(other.line));
  return out;
}

void check_utf8(std::string_view text, const std::string& file) {
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') ++line;
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) throw ManifestError(file, line, "not valid UTF-8 (byte " + std::to_string(i) + ")");
    i += n;
  }
}

Manifest parse_manifest(std::string_view text, const std::string& file) {
  auto ends = [&](std::string_view suf) {
    return file.size() >= suf.size() &&
           file.compare(file.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends(".yaml") || ends(".yml")) return parse_manifest_yaml(text, file);
  if (ends(".ini")) return parse_manifest_ini(text, file);
  // No telling extension: an INI file's first meaningful line is a [Section].
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t i = line.find_first_not_of(" \t\r");
    if (i == std::string::npos || line[i] == ';' || line[i] == '#') continue;
    if (line[i] == '[' && line.find(']') != std::string::npos &&
        line.find(':') == std::string::npos)
      return parse_manifest_ini(text, file);
    break;
  }
  return parse_manifest_yaml(text, file);
}

Manifest load_manifest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ManifestError(path.string(), 0, "cannot read the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > (1u << 20)) throw ManifestError(path.string(), 0, "manifest larger than 1 MiB");
  return parse_manifest(text, path.string());
}

}  // namespace dk
