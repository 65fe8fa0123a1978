#include <yaml-cpp/yaml.h>

#include "dk/json.h"
#include "dk/monitor/manifest.h"
#include "dk/monitor/size.h"
#include "dk/monitor/utf8.h"

namespace dk {
namespace {

// A URI of a manifest is stored in its canonical spelling, which writes '%' as %25 but keeps
// other decoded bytes as they are; a byte that is not part of UTF-8 text (it came from a %XX
// escape) goes back out as its escape, so the YAML is text and reads back as the same bytes.
// Never longer than what the manifest said: that byte was written as %XX there too.
std::string uri_text(const std::string& uri) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(uri.size());
  for (size_t i = 0; i < uri.size();) {
    const size_t n = utf8_sequence_length(uri, i);
    if (n == 0) {
      const auto b = static_cast<unsigned char>(uri[i++]);
      s += '%';
      s += kHex[b >> 4];
      s += kHex[b & 15];
    } else {
      s.append(uri, i, n);
      i += n;
    }
  }
  return s;
}

}  // namespace

std::string manifest_to_yaml(const Manifest& m) {
  YAML::Emitter out;
  out.SetIndent(2);
  auto q = [&](const std::string& s) { out << YAML::DoubleQuoted << s; };
  auto u = [&](const std::string& s) { q(uri_text(s)); };
  out << YAML::BeginMap;
  if (m.package) {
    out << YAML::Key << "package" << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value;
    q(m.package->name);
    out << YAML::Key << "version" << YAML::Value;
    q(m.package->version.str());
    out << YAML::Key << "arch" << YAML::Value << m.package->arch << YAML::EndMap;
  }
  if (!m.dependencies.empty()) {
    out << YAML::Key << "dependencies" << YAML::Value << YAML::BeginSeq;
    for (const Dependency& d : m.dependencies) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value;
      q(d.name);
      out << YAML::Key << "version" << YAML::Value;
      q(d.constraint.str());
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (m.app) {
    const AppSpec& a = *m.app;
    out << YAML::Key << "app" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "exe" << YAML::Value;
    u(a.exe);
    if (!a.args.empty()) {
      out << YAML::Key << "args" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& s : a.args) q(s);
      out << YAML::EndSeq;
    }
    if (!a.env.empty()) {
      out << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : a.env) {
        out << YAML::Key;
        q(k);
        out << YAML::Value;
        q(v);
      }
      out << YAML::EndMap;
    }
    out << YAML::Key << "stdin" << YAML::Value;
    u(a.stdin_uri);
    out << YAML::Key << "stdout" << YAML::Value;
    u(a.stdout_uri);
    out << YAML::Key << "stderr" << YAML::Value;
    u(a.stderr_uri);
    out << YAML::Key << "stack" << YAML::Value << format_size(a.stack);
    out << YAML::EndMap;
  }
  if (!m.mappings.empty()) {
    out << YAML::Key << "namespace" << YAML::Value << YAML::BeginMap;
    for (bool w : {false, true}) {
      bool any = false;
      for (const Mapping& mp : m.mappings) any = any || mp.writable == w;
      if (!any) continue;
      out << YAML::Key << (w ? "writable" : "readonly") << YAML::Value << YAML::BeginMap;
      for (const Mapping& mp : m.mappings) {
        if (mp.writable != w) continue;
        out << YAML::Key;
        u(mp.virtual_uri);
        out << YAML::Value;
        u(mp.physical_uri);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  // Only the limits the manifest gives: an absent key means the default, 0 means none.
  const uint32_t given = m.limits_given | nonzero_limits(m.limits);
  if (given) {
    const Limits& l = m.limits;
    out << YAML::Key << "limits" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (given & kLimitMemory) out << YAML::Key << "memory" << YAML::Value << format_size(l.memory);
    if (given & kLimitThreads) out << YAML::Key << "threads" << YAML::Value << l.threads;
    if (given & kLimitHandles) out << YAML::Key << "handles" << YAML::Value << l.handles;
    if (given & kLimitStreams) out << YAML::Key << "streams" << YAML::Value << l.streams;
    if (given & kLimitCpuTicks) out << YAML::Key << "cpu_ticks" << YAML::Value << l.cpu_ticks;
    if (given & kLimitOutputBytes)
      out << YAML::Key << "output_bytes" << YAML::Value << format_size(l.output_bytes);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;

  std::string text = "# Converted from " + m.file + "\n";
  if (m.package && m.format == ManifestFormat::Ini && m.package_revision)
    text += "# PackageRevision=" + std::to_string(m.package_revision) + "\n";
  text += out.c_str();
  text += "\n";
  for (const DataSection& d : m.data) {
    text += "# [" + d.name + "] (package data, not used by the harness)\n";
    for (const auto& l : d.lines) text += "#   " + l + "\n";
  }
  return text;
}

}  // namespace dk

namespace dk {

void write_manifest_json(JsonWriter& j, const Manifest& m) {
  j.begin_object();
  j.key("file").value(m.file);
  j.key("format").value(m.format == ManifestFormat::Yaml ? "yaml" : "ini");
  j.key("package");
  if (m.package) {
    j.begin_object();
    j.key("name").value(m.package->name);
    j.key("version").value(m.package->version.str());
    j.key("arch").value(m.package->arch);
    j.end_object();
  } else {
    j.null();
  }
  j.key("dependencies").begin_array();
  for (const Dependency& d : m.dependencies)
    j.begin_object()
        .key("name")
        .value(d.name)
        .key("version")
        .value(d.constraint.str())
        .key("line")
        .value(d.line)
        .end_object();
  j.end_array();
  j.key("app");
  if (m.app) {
    const AppSpec& a = *m.app;
    j.begin_object().key("exe").value(a.exe).key("args").begin_array();
    for (const auto& s : a.args) j.value(s);
    j.end_array().key("env").begin_object();
    for (const auto& [k, v] : a.env) j.key(k).value(v);
    j.end_object();
    j.key("stdin")
        .value(a.stdin_uri)
        .key("stdout")
        .value(a.stdout_uri)
        .key("stderr")
        .value(a.stderr_uri);
    j.key("stack").value(a.stack).end_object();
  } else {
    j.null();
  }
  j.key("namespace").begin_array();
  for (const Mapping& mp : m.mappings)
    j.begin_object()
        .key("virtual")
        .value(mp.virtual_uri)
        .key("physical")
        .value(mp.physical_uri)
        .key("writable")
        .value(mp.writable)
        .key("line")
        .value(mp.line)
        .end_object();
  j.end_array();
  const Limits& l = m.limits;
  j.key("limits").begin_object();
  j.key("memory").value(l.memory).key("threads").value(l.threads).key("handles").value(l.handles);
  j.key("streams")
      .value(l.streams)
      .key("cpu_ticks")
      .value(l.cpu_ticks)
      .key("output_bytes")
      .value(l.output_bytes);
  j.end_object();
  j.key("data").begin_array();
  for (const DataSection& d : m.data) {
    j.begin_object().key("section").value(d.name).key("lines").begin_array();
    for (const auto& s : d.lines) j.value(s);
    j.end_array().end_object();
  }
  j.end_array();
  j.key("warnings").begin_array();
  for (const Warning& w : m.warnings)
    j.begin_object().key("line").value(w.line).key("text").value(w.text).end_object();
  j.end_array();
  j.end_object();
}

}  // namespace dk
