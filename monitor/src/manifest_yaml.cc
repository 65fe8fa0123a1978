// manifest.yaml: strict reading. Every key is known, every value has the expected type, and
// every problem names the line it is on.
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "dk/monitor/manifest.h"
#include "dk/monitor/size.h"
#include "dk/monitor/uri.h"

namespace dk {
namespace {

class YamlReader {
 public:
  YamlReader(Manifest& m) : m_(m) {}

  int line(const YAML::Node& n) const {
    int l = n.Mark().line;
    return l >= 0 ? l + 1 : 0;
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& why) const {
    throw ManifestError(m_.file, line(n), why);
  }
  [[noreturn]] void fail(int l, const std::string& why) const {
    throw ManifestError(m_.file, l, why);
  }

  static const char* type_name(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "a map";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Scalar:
        return "a scalar";
      case YAML::NodeType::Null:
        return "nothing";
      default:
        return "undefined";
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a scalar, not " + type_name(n));
    return n.Scalar();
  }

  // Checks a map's keys against `allowed` and rejects duplicates (yaml-cpp keeps them).
  void check_map(const YAML::Node& n, const std::string& what,
                 std::initializer_list<std::string_view> allowed) const {
    if (!n.IsMap()) fail(n, what + " must be a map, not " + type_name(n));
    std::set<std::string> seen;
    for (const auto& it : n) {
      if (!it.first.IsScalar()) fail(it.first, "keys of " + what + " must be scalars");
      const std::string& k = it.first.Scalar();
      bool known = allowed.size() == 0;
      for (auto a : allowed) known = known || a == k;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(it.first, "unknown key '" + k + "' in " + what + " (known: " + list + ")");
      }
      if (!seen.insert(k).second) fail(it.first, "duplicate key '" + k + "' in " + what);
    }
  }

  void read(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) fail(0, "empty manifest");
    check_map(root, "the manifest", {"package", "dependencies", "app", "namespace", "limits"});
    std::map<std::string, int> key_line;
    for (const auto& it : root) {
      const std::string& k = it.first.Scalar();
      key_line[k] = line(it.first);
      const YAML::Node& v = it.second;
      if (k == "package")
        read_package(v);
      else if (k == "dependencies")
        read_dependencies(v);
      else if (k == "app")
        read_app(v);
      else if (k == "namespace")
        read_namespace(v);
      else if (k == "limits")
        read_limits(v);
    }
    if (!m_.package && !m_.dependencies.empty())
      fail(key_line["dependencies"], "dependencies without a package identity");
    if (!m_.package && m_.app) fail(key_line["app"], "an app without a package identity");
  }

  void read_package(const YAML::Node& n) {
    check_map(n, "package", {"name", "version", "arch"});
    PackageIdentity id;
    if (!n["name"]) fail(n, "package has no name");
    if (!n["version"]) fail(n, "package has no version");
    id.name = scalar(n["name"], "package.name");
    check_package_name(id.name, m_.file, line(n["name"]));
    std::string v = scalar(n["version"], "package.version");
    try {
      id.version = Version::parse(v);
    } catch (const std::invalid_argument& e) {
      fail(n["version"], e.what());
    }
    if (n["arch"])
      id.arch = check_arch(scalar(n["arch"], "package.arch"), m_.file, line(n["arch"]));
    m_.package = id;
  }

  void read_dependencies(const YAML::Node& n) {
    if (n.IsNull()) return;
    if (!n.IsSequence()) fail(n, "dependencies must be a list, not " + std::string(type_name(n)));
    std::set<std::string> names;
    for (const auto& d : n) {
      check_map(d, "a dependency", {"name", "version"});
      Dependency dep;
      dep.line = line(d);
      if (!d["name"]) fail(d, "dependency has no name");
      dep.name = scalar(d["name"], "dependency name");
      check_package_name(dep.name, m_.file, line(d["name"]));
      if (d["version"]) {
        try {
          dep.constraint = VersionConstraint::parse(scalar(d["version"], "dependency version"));
        } catch (const std::invalid_argument& e) {
          fail(d["version"], e.what());
        }
      }
      if (!names.insert(dep.name).second) fail(d, "dependency '" + dep.name + "' listed twice");
      if (m_.package && dep.name == m_.package->name)
        fail(d, "package '" + dep.name + "' depends on itself");
      m_.dependencies.push_back(std::move(dep));
    }
  }

  void read_app(const YAML::Node& n) {
    check_map(n, "app", {"exe", "args", "env", "stdin", "stdout", "stderr", "stack"});
    AppSpec app;
    if (!n["exe"]) fail(n, "app has no exe");
    {
      std::string exe = scalar(n["exe"], "app.exe");
      app.exe = check_uri(exe, false, m_.file, line(n["exe"]));
      if (app.exe.rfind("package:", 0) != 0 && app.exe.rfind("file:", 0) != 0)
        fail(n["exe"], "app.exe must be a package: or file: URI");
    }
    if (const auto& a = n["args"]) {
      if (!a.IsSequence()) fail(a, "app.args must be a list, not " + std::string(type_name(a)));
      for (const auto& s : a) app.args.push_back(scalar(s, "an argument"));
    }
    if (const auto& e = n["env"]) {
      check_map(e, "app.env", {});
      for (const auto& it : e) {
        const std::string& k = it.first.Scalar();
        if (k.empty() || k.find('=') != std::string::npos)
          fail(it.first, "bad environment variable name '" + k + "'");
        app.env.emplace_back(k, scalar(it.second, "app.env." + k));
      }
    }
    auto stdio = [&](const char* key, std::string& out) {
      if (const auto& s = n[key]) {
        out = check_uri(scalar(s, std::string("app.") + key), false, m_.file, line(s));
        if (out.rfind("self:", 0) == 0 || out.rfind("dir:", 0) == 0)
          fail(s, std::string("app.") + key + " cannot be " + out);
      }
    };
    stdio("stdin", app.stdin_uri);
    stdio("stdout", app.stdout_uri);
    stdio("stderr", app.stderr_uri);
    if (const auto& s = n["stack"]) {
      try {
        app.stack = parse_size(scalar(s, "app.stack"));
      } catch (const std::invalid_argument& e) {
        fail(s, e.what());
      }
      if (app.stack < 4096 || app.stack % 4096 != 0)
        fail(s, "app.stack must be a multiple of 4KiB");
    }
    m_.app = std::move(app);
  }

  void read_namespace(const YAML::Node& n) {
    if (n.IsNull()) return;
    check_map(n, "namespace", {"readonly", "writable"});
    for (const auto& it : n) {
      bool writable = it.first.Scalar() == "writable";
      const YAML::Node& map = it.second;
      if (map.IsNull()) continue;
      check_map(map, "namespace." + it.first.Scalar(), {});
      for (const auto& kv : map) {
        std::string v = kv.first.Scalar();
        std::string p = scalar(kv.second, "the physical side of " + v);
        m_.mappings.push_back(check_mapping(m_, v, p, writable, line(kv.first)));
      }
    }
  }

  void read_limits(const YAML::Node& n) {
    check_map(n, "limits",
              {"memory", "threads", "handles", "streams", "cpu_ticks", "output_bytes"});
    for (const auto& it : n) {
      const std::string& k = it.first.Scalar();
      std::string v = scalar(it.second, "limits." + k);
      bool is_size = k == "memory" || k == "output_bytes";
      uint64_t x = 0;
      try {
        x = is_size ? parse_size(v) : parse_count(v);
      } catch (const std::invalid_argument& e) {
        fail(it.second, "limits." + k + ": " + e.what());
      }
      const uint32_t bit = limit_bit(k);
      *limit_field(m_.limits, bit) = x;
      m_.limits_given |= bit;
    }
  }

 private:
  Manifest& m_;
};

}  // namespace

Manifest parse_manifest_yaml(std::string_view text, const std::string& file) {
  Manifest m;
  m.file = file;
  m.format = ManifestFormat::Yaml;
  check_utf8(text, file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ManifestError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax: " + e.msg);
  }
  try {
    YamlReader(m).read(root);
  } catch (const YAML::Exception& e) {
    throw ManifestError(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
  return m;
}

}  // namespace dk
