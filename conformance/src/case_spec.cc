// Loading case declarations from YAML. A file gives defaults (image, prefix, clause, calls,
// exit, hosts, optional, timeout) that each case may override.
#include "dk/conformance/case_spec.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "dk/calls.h"

namespace dk::conformance {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw SuiteError(where + ": " + what);
}

std::vector<std::string> strings(const YAML::Node& n, const std::string& where) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  if (!n.IsSequence()) fail(where, "expected a list");
  for (const auto& e : n) out.push_back(e.as<std::string>());
  return out;
}

bool known_call(const std::string& name) {
  for (const auto& d : all_calls())
    if (d.name == name) return true;
  return false;
}

CaseSpec::Match parse_match(const std::string& s, const std::string& where) {
  if (s == "contains") return CaseSpec::Match::Contains;
  if (s == "exact") return CaseSpec::Match::Exact;
  fail(where, "output_match must be contains or exact, not '" + s + "'");
}

// Applies the keys a file level and a case level share.
void apply(CaseSpec& c, const YAML::Node& n, const std::string& where) {
  if (n["image"]) c.image = n["image"].as<std::string>();
  if (n["clause"]) c.clause = n["clause"].as<std::string>();
  if (n["calls"]) c.calls = strings(n["calls"], where + ": calls");
  if (n["exit"]) c.exit_code = n["exit"].as<int64_t>();
  if (n["output"]) {
    c.output = n["output"].as<std::string>();
    if (c.output_match == CaseSpec::Match::None) c.output_match = CaseSpec::Match::Contains;
  }
  if (n["output_match"]) c.output_match = parse_match(n["output_match"].as<std::string>(), where);
  if (n["output_excludes"]) c.output_excludes = strings(n["output_excludes"], where);
  if (n["hosts"]) {
    c.hosts = strings(n["hosts"], where + ": hosts");
    if (std::find(c.hosts.begin(), c.hosts.end(), "all") != c.hosts.end()) c.hosts.clear();
    for (const auto& h : c.hosts)
      if (h != "sim" && h != "plugin" && h != "native" && h != "native-runtime")
        fail(where, "unknown host kind '" + h + "' (sim, plugin, native, native-runtime, all)");
  }
  if (n["optional"]) c.optional = n["optional"].as<bool>();
  if (n["not_on_native_runtime"]) c.not_on_native_runtime = n["not_on_native_runtime"].as<std::string>();
  if (n["timeout"]) c.timeout_s = n["timeout"].as<double>();
  if (n["input"]) c.input = n["input"].as<std::string>();
}

const std::set<std::string> kKeys = {
    "id",    "arg",      "image",           "clause",  "calls", "exit",   "output", "output_match",
    "hosts", "optional", "output_excludes", "timeout", "input", "prefix", "cases",
    "not_on_native_runtime"};

void check_keys(const YAML::Node& n, const std::string& where) {
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (!kKeys.count(k)) fail(where, "unknown key '" + k + "'");
  }
}

}  // namespace

bool CaseSpec::applies_to(const std::string& host_kind) const {
  if (host_kind == "native-runtime" && !not_on_native_runtime.empty()) return false;
  return hosts.empty() || std::find(hosts.begin(), hosts.end(), host_kind) != hosts.end();
}

std::string CaseSpec::why_not(const std::string& host_kind) const {
  if (applies_to(host_kind)) return "";
  if (host_kind == "native-runtime" && !not_on_native_runtime.empty())
    return "not on the native runtime: " + not_on_native_runtime;
  std::string list;
  for (const auto& h : hosts) list += (list.empty() ? "" : ", ") + h;
  return "applies to " + list + " only";
}

std::vector<CaseSpec> load_case_file(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail(base, e.what());
  }
  if (!root.IsMap()) fail(base, "expected a mapping with 'cases'");
  std::vector<CaseSpec> out;
  try {
    check_keys(root, base);
    CaseSpec defaults;
    defaults.file = base;
    apply(defaults, root, base);
    const std::string prefix = root["prefix"] ? root["prefix"].as<std::string>() : "";
    const YAML::Node cases = root["cases"];
    if (!cases || !cases.IsSequence()) fail(base, "'cases' must be a list");
    for (const auto& n : cases) {
      const std::string where = base + ":" + std::to_string(n.Mark().line + 1);
      if (!n.IsMap()) fail(where, "a case must be a mapping");
      check_keys(n, where);
      if (n["cases"] || n["prefix"]) fail(where, "'cases' and 'prefix' belong to the file");
      CaseSpec c = defaults;
      apply(c, n, where);
      if (n["arg"]) c.arg = n["arg"].as<std::string>();
      if (n["id"])
        c.id = n["id"].as<std::string>();
      else if (!c.arg.empty())
        c.id = prefix.empty() ? c.arg : prefix + "." + c.arg;
      if (c.id.empty()) fail(where, "a case needs an id or an arg");
      if (c.image.empty()) fail(where, c.id + ": no image");
      if (c.clause.empty()) fail(where, c.id + ": no ABI.md clause");
      for (const auto& call : c.calls)
        if (!known_call(call)) fail(where, c.id + ": '" + call + "' is not a Dk call");
      out.push_back(std::move(c));
    }
  } catch (const YAML::Exception& e) {
    fail(base, e.what());
  }
  return out;
}

std::vector<CaseSpec> load_suite(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw SuiteError(dir + ": no such suite folder");
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<CaseSpec> all;
  std::set<std::string> ids;
  for (const auto& f : files) {
    for (auto& c : load_case_file(f)) {
      if (!ids.insert(c.id).second) throw SuiteError(c.file + ": case id '" + c.id + "' repeated");
      all.push_back(std::move(c));
    }
  }
  if (all.empty()) throw SuiteError(dir + ": no cases");
  return all;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

}  // namespace dk::conformance
