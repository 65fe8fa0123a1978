// The seed's INI manifest and policy form: [Package], [Identity], [Dependency.*],
// [Windows.Application], [Namespace], [Namespace.Writable], plus [Limits] as a Dk extension.
// Section names and keys are case-insensitive; ';' at the start of a line, or after a
// space or tab, starts a comment.
#include <map>
#include <set>
#include <sstream>

#include "dk/monitor/manifest.h"
#include "dk/monitor/size.h"

namespace dk {
namespace {

std::string lower(std::string_view s) {
  std::string l;
  for (char c : s) l += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return l;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view strip_comment(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == ';' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) return s.substr(0, i);
  return s;
}

struct Entry {
  std::string key;  // as written
  std::string value;
  int line;
};

struct Section {
  std::string name;  // as written
  int line = 0;
  std::vector<Entry> entries;
  std::vector<std::string> raw;  // for data sections
};

class IniReader {
 public:
  explicit IniReader(Manifest& m) : m_(m) {}

  [[noreturn]] void fail(int line, const std::string& why) const {
    throw ManifestError(m_.file, line, why);
  }

  void read(std::string_view text) {
    std::vector<Section> sections;
    std::set<std::string> seen;
    int lineno = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view raw = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++lineno;
      if (raw.find('\0') != std::string_view::npos) fail(lineno, "NUL byte in the file");
      std::string_view line = trim(strip_comment(trim(raw)));
      if (line.empty()) continue;
      if (line.front() == '[') {
        if (line.back() != ']') fail(lineno, "section header must end with ']'");
        std::string name(trim(line.substr(1, line.size() - 2)));
        if (name.empty()) fail(lineno, "empty section name");
        if (!seen.insert(lower(name)).second) fail(lineno, "section [" + name + "] appears twice");
        sections.push_back({name, lineno, {}, {}});
        continue;
      }
      if (sections.empty()) fail(lineno, "text before the first [section]");
      Section& s = sections.back();
      s.raw.emplace_back(line);
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        if (is_known(lower(s.name))) fail(lineno, "expected key=value in [" + s.name + "]");
        continue;
      }
      std::string key(trim(line.substr(0, eq)));
      if (key.empty() && is_known(lower(s.name))) fail(lineno, "empty key in [" + s.name + "]");
      s.entries.push_back({key, std::string(trim(line.substr(eq + 1))), lineno});
    }
    if (sections.empty()) fail(0, "empty manifest: no [section]");

    for (Section& s : sections) {
      std::string l = lower(s.name);
      if (l == "package")
        read_package(s);
      else if (l == "identity")
        read_identity(s);
      else if (l.rfind("dependency.", 0) == 0)
        read_dependency(s);
      else if (l == "windows.application")
        read_application(s);
      else if (l == "namespace" || l == "namespace.writable")
        read_namespace(s, l == "namespace.writable");
      else if (l == "limits")
        read_limits(s);
      else {
        m_.data.push_back({s.name, s.raw, s.line});
        m_.warnings.push_back(
            {s.line, "section [" + s.name + "] is not used by the harness; kept as package data"});
      }
    }
    if (!m_.package) {
      for (const Section& s : sections) {
        std::string l = lower(s.name);
        if (l.rfind("dependency.", 0) == 0 || l == "windows.application")
          fail(s.line, "[" + s.name + "] without an [Identity] section");
      }
    }
    for (size_t i = 0; i < m_.dependencies.size(); ++i) {
      for (size_t j = 0; j < i; ++j)
        if (m_.dependencies[j].name == m_.dependencies[i].name)
          fail(m_.dependencies[i].line,
               "dependency '" + m_.dependencies[i].name + "' listed twice");
      if (m_.package && m_.dependencies[i].name == m_.package->name)
        fail(m_.dependencies[i].line, "package '" + m_.package->name + "' depends on itself");
    }
  }

 private:
  static bool is_known(const std::string& l) {
    return l == "package" || l == "identity" || l.rfind("dependency.", 0) == 0 ||
           l == "windows.application" || l == "namespace" || l == "namespace.writable" ||
           l == "limits";
  }

  // Keys of a section, checked against `allowed` (lower case), duplicates refused.
  std::map<std::string, const Entry*> keys(const Section& s,
                                           std::initializer_list<std::string_view> allowed) {
    std::map<std::string, const Entry*> out;
    for (const Entry& e : s.entries) {
      std::string k = lower(e.key);
      bool known = false;
      for (auto a : allowed) known = known || lower(a) == k;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(e.line, "unknown key '" + e.key + "' in [" + s.name + "] (known: " + list + ")");
      }
      if (!out.emplace(k, &e).second)
        fail(e.line, "duplicate key '" + e.key + "' in [" + s.name + "]");
    }
    return out;
  }

  uint64_t number(const Entry& e, uint64_t max) {
    uint64_t v = 0;
    try {
      v = parse_count(e.value);
    } catch (const std::invalid_argument& ex) {
      fail(e.line, e.key + ": " + ex.what());
    }
    if (v > max) fail(e.line, e.key + ": " + e.value + " is too large");
    return v;
  }

  // MajorVersion/MinorVersion/BuildNumber -> a Version with as many parts as were written.
  Version version_of(const Section& s, std::map<std::string, const Entry*>& k, bool required) {
    Version v;
    v.parts = 0;
    if (!k.count("majorversion")) {
      if (required) fail(s.line, "[" + s.name + "] has no MajorVersion");
      return v;
    }
    v.major = static_cast<uint32_t>(number(*k["majorversion"], 999999999));
    v.parts = 1;
    if (k.count("minorversion")) {
      v.minor = static_cast<uint32_t>(number(*k["minorversion"], 999999999));
      v.parts = 2;
    }
    if (k.count("buildnumber")) {
      if (v.parts < 2) fail(k["buildnumber"]->line, "BuildNumber without MinorVersion");
      v.patch = static_cast<uint32_t>(number(*k["buildnumber"], 999999999));
      v.parts = 3;
    }
    return v;
  }

  void read_package(const Section& s) {
    auto k = keys(s, {"ManifestVersion", "PackageRevision"});
    if (k.count("manifestversion")) {
      m_.manifest_version = static_cast<int>(number(*k["manifestversion"], 1000));
      if (m_.manifest_version != 1)
        fail(k["manifestversion"]->line,
             "ManifestVersion " + k["manifestversion"]->value + " is not supported (1 is)");
    }
    if (k.count("packagerevision"))
      m_.package_revision = static_cast<int>(number(*k["packagerevision"], 1u << 30));
  }

  void read_identity(const Section& s) {
    auto k = keys(s, {"Name", "MajorVersion", "MinorVersion", "BuildNumber", "Architecture"});
    PackageIdentity id;
    if (!k.count("name")) fail(s.line, "[Identity] has no Name");
    id.name = k["name"]->value;
    check_package_name(id.name, m_.file, k["name"]->line);
    id.version = version_of(s, k, true);
    if (k.count("architecture"))
      id.arch = check_arch(k["architecture"]->value, m_.file, k["architecture"]->line);
    m_.package = id;
  }

  void read_dependency(const Section& s) {
    auto k = keys(s, {"Name", "MajorVersion", "MinorVersion", "BuildNumber", "Version"});
    Dependency d;
    d.line = s.line;
    if (!k.count("name")) fail(s.line, "[" + s.name + "] has no Name");
    d.name = k["name"]->value;
    check_package_name(d.name, m_.file, k["name"]->line);
    Version v = version_of(s, k, false);
    if (k.count("version")) {
      if (v.parts) fail(k["version"]->line, "Version= and MajorVersion= together");
      try {
        d.constraint = VersionConstraint::parse(k["version"]->value);
      } catch (const std::invalid_argument& e) {
        fail(k["version"]->line, e.what());
      }
    } else if (v.parts) {
      d.constraint = VersionConstraint::at_least(v);
    }
    m_.dependencies.push_back(std::move(d));
  }

  void read_application(const Section& s) {
    auto k = keys(s, {"Exe"});
    if (!k.count("exe")) fail(s.line, "[" + s.name + "] has no Exe");
    AppSpec app;
    app.exe = check_uri(k["exe"]->value, false, m_.file, k["exe"]->line);
    if (app.exe.rfind("package:", 0) != 0 && app.exe.rfind("file:", 0) != 0)
      fail(k["exe"]->line, "Exe must be a package: or file: URI");
    m_.app = std::move(app);
  }

  void read_namespace(const Section& s, bool writable) {
    for (const Entry& e : s.entries) {
      if (e.key.empty()) fail(e.line, "empty virtual URI");
      m_.mappings.push_back(check_mapping(m_, e.key, e.value, writable, e.line));
    }
  }

  void read_limits(const Section& s) {
    auto k = keys(s, {"Memory", "Threads", "Handles", "Streams", "Cpu_Ticks", "Output_Bytes"});
    auto get = [&](const char* key, bool size) {
      if (!k.count(key)) return;
      const Entry& e = *k[key];
      const uint32_t bit = limit_bit(key);
      try {
        *limit_field(m_.limits, bit) = size ? parse_size(e.value) : parse_count(e.value);
      } catch (const std::invalid_argument& ex) {
        fail(e.line, e.key + ": " + ex.what());
      }
      m_.limits_given |= bit;
    };
    get("memory", true);
    get("threads", false);
    get("handles", false);
    get("streams", false);
    get("cpu_ticks", false);
    get("output_bytes", true);
  }

  Manifest& m_;
};

}  // namespace

Manifest parse_manifest_ini(std::string_view text, const std::string& file) {
  Manifest m;
  m.file = file;
  m.format = ManifestFormat::Ini;
  check_utf8(text, file);
  IniReader(m).read(text);
  return m;
}

}  // namespace dk
