// dk manifest check|convert: validate a manifest or policy in either form (YAML or the
// seed's INI) without resolving dependencies, and write YAML from it. Exit status: 0 ok, 2
// for bad input (an unreadable file or a bad manifest).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "dk/json.h"
#include "dk/monitor/manifest.h"

namespace dk::cli {
namespace {

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{2};
}

Manifest load_or_fail(const std::string& verb, const std::string& file) {
  try {
    return load_manifest(file);
  } catch (const ManifestError& e) {
    fail("manifest " + verb + ": " + e.what());  // names the file (and line)
  }
}

void print_warnings(const Manifest& m) {
  for (const Warning& w : m.warnings)
    fprintf(stderr, "%s:%d: warning: %s\n", m.file.c_str(), w.line, w.text.c_str());
}

void check(const std::string& file, bool json) {
  Manifest m = load_or_fail("check", file);
  if (json) {
    JsonWriter j;
    write_manifest_json(j, m);
    printf("%s\n", j.str().c_str());
    return;
  }
  print_warnings(m);
  const char* form = m.format == ManifestFormat::Yaml ? "yaml" : "ini";
  if (m.package)
    printf("%s: ok: package %s %s (%s, %s), %zu dependencies, %zu mappings\n", file.c_str(),
           m.package->name.c_str(), m.package->version.str().c_str(), m.package->arch.c_str(), form,
           m.dependencies.size(), m.mappings.size());
  else
    printf("%s: ok: policy (%s, no package identity), %zu mappings\n", file.c_str(), form,
           m.mappings.size());
  if (m.package && m.app) printf("  app: %s\n", m.app->exe.c_str());
}

void convert(const std::string& file, const std::string& out) {
  Manifest m = load_or_fail("convert", file);
  print_warnings(m);
  std::string yaml = manifest_to_yaml(m);
  if (out.empty() || out == "-") {
    fwrite(yaml.data(), 1, yaml.size(), stdout);
    return;
  }
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  o << yaml;
  o.close();
  if (!o) fail("manifest convert: " + out + ": cannot write");
  fprintf(stderr, "wrote %s\n", out.c_str());
}

}  // namespace

void add_manifest_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("manifest",
                                 "Validate and convert manifests (YAML or the seed's INI form)");
  cmd->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);

  auto* chk = cmd->add_subcommand(
      "check",
      "Check a manifest or policy file on its own (dependencies are resolved by 'dk pkg check')");
  chk->add_option("FILE", *file, "manifest.yaml, manifest.ini or a policy .ini")->required();
  chk->add_flag("--json", *json, "Print the parsed manifest as JSON");
  chk->callback([file, json] { check(*file, *json); });

  auto* conv =
      cmd->add_subcommand("convert", "Write a manifest (usually the INI form) as manifest.yaml");
  conv->add_option("FILE", *file, "the manifest to convert")->required();
  conv->add_option("-o,--output", *out, "Output file (default: standard output)");
  conv->callback([file, out] { convert(*file, *out); });
}

}  // namespace dk::cli
