// The manifest a picoprocess is launched under: package identity, dependencies, the app's
// entry point and bindings, the namespace policy and the limits. Read from YAML
// (manifest.yaml) or from the seed's INI form. Parsing is harness-side: every problem throws
// ManifestError carrying file, line and reason ("file:line: reason"); nothing half-parsed is
// ever returned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dk/monitor/quota.h"
#include "dk/monitor/version.h"

namespace dk {

class ManifestError : public std::runtime_error {
 public:
  ManifestError(std::string file, int line, std::string reason);
  const std::string& file() const { return file_; }
  int line() const { return line_; }  // 1-based; 0 when the problem is the whole file
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  int line_;
  std::string reason_;
};

struct PackageIdentity {
  std::string name;
  Version version;
  std::string arch = "x86_64";  // x86_64 (x64 and amd64 are read as x86_64) or any
};

struct Dependency {
  std::string name;
  VersionConstraint constraint;
  int line = 0;
};

struct AppSpec {
  std::string exe;  // canonical URI (package:/... or file:/...)
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // in file order, keys unique
  std::string stdin_uri = "dev:console";
  std::string stdout_uri = "dev:console";
  std::string stderr_uri = "dev:console";
  uint64_t stack = 256 * 1024;
};

// One namespace line: virtual -> physical, both canonical URIs.
struct Mapping {
  std::string virtual_uri;
  std::string physical_uri;
  bool writable = false;
  int line = 0;
};

// An INI section the harness does not use ([Windows.Registry]): kept as package data.
struct DataSection {
  std::string name;
  std::vector<std::string> lines;
  int line = 0;
};

struct Warning {
  int line = 0;
  std::string text;
};

enum class ManifestFormat { Yaml, Ini };

struct Manifest {
  std::string file;  // as given to the parser; used in messages
  ManifestFormat format = ManifestFormat::Yaml;
  std::optional<PackageIdentity> package;  // absent: a policy file, not a package
  int manifest_version = 1;                // INI [Package] ManifestVersion
  int package_revision = 0;                // INI [Package] PackageRevision
  std::vector<Dependency> dependencies;
  std::optional<AppSpec> app;
  std::vector<Mapping> mappings;
  Limits limits;
  uint32_t limits_given = 0;  // kLimit* bits of the keys the manifest gives (others: defaults)
  std::vector<DataSection> data;
  std::vector<Warning> warnings;
};

// Manifests are UTF-8 text: any other byte sequence is refused with its line (a YAML writer
// would otherwise turn it into U+FFFD and change names on conversion).
void check_utf8(std::string_view text, const std::string& file);
Manifest parse_manifest_yaml(std::string_view text, const std::string& file);
Manifest parse_manifest_ini(std::string_view text, const std::string& file);
// Picks the form by extension (.yaml/.yml, .ini), else by content (an INI starts with '[').
Manifest parse_manifest(std::string_view text, const std::string& file);
Manifest load_manifest(const std::filesystem::path& path);  // reads the file, then parse_manifest

// YAML text for a manifest (used by `dk manifest convert`); parse_manifest_yaml reads it back
// to an equal manifest. Data sections and warnings become comments.
std::string manifest_to_yaml(const Manifest& m);
// The manifest as one JSON object (for --json output).
class JsonWriter;
void write_manifest_json(JsonWriter& out, const Manifest& m);

// Checks shared by both parsers (they call it); throw ManifestError.
void check_package_name(const std::string& name, const std::string& file, int line);
std::string check_arch(const std::string& arch, const std::string& file, int line);
std::string check_uri(const std::string& text, bool policy, const std::string& file, int line);
// Validates a namespace line and returns it canonical; warns into m.warnings where useful.
Mapping check_mapping(Manifest& m, const std::string& virt, const std::string& phys, bool writable,
                      int line);

}  // namespace dk
