// fuzz_manifest_yaml / fuzz_manifest_ini: the manifest parsers on arbitrary text. Only
// ManifestError may escape. A manifest they accept must convert to YAML and read back to the
// same YAML (manifest.h promises an equal manifest), and must build a Namespace without
// throwing (namespace.h: the parsers have already refused anything that would).
#pragma once

#include <span>
#include <string>

#include "dk/monitor/manifest.h"
#include "dk/monitor/namespace.h"
#include "fuzz_input.h"

namespace dk::fuzz {

inline void check_accepted_manifest(const Manifest& m) {
  try {
    (void)Namespace::for_manifest(m);
  } catch (const std::invalid_argument& e) {
    finding(std::string("accepted manifest gives no Namespace: ") + e.what());
  }
  // Data sections, warnings and the INI-only fields become comments in YAML; the rest must
  // survive.
  Manifest plain = m;
  plain.data.clear();
  plain.warnings.clear();
  plain.package_revision = 0;
  plain.manifest_version = 1;
  const std::string yaml = manifest_to_yaml(plain);
  Manifest back;
  try {
    back = parse_manifest_yaml(yaml, m.file);
  } catch (const ManifestError& e) {
    finding(std::string("converted manifest does not parse: ") + e.what() + "\n---\n" + yaml);
  }
  const std::string again = manifest_to_yaml(back);
  if (again != yaml) finding("manifest changed on a YAML round trip:\n---\n" + yaml + "---\n" + again);
}

inline void fuzz_manifest_yaml(std::span<const uint8_t> data) {
  const std::string text(data.begin(), data.end());
  try {
    check_accepted_manifest(parse_manifest_yaml(text, "fuzz.yaml"));
  } catch (const ManifestError&) {
  }
}

inline void fuzz_manifest_ini(std::span<const uint8_t> data) {
  const std::string text(data.begin(), data.end());
  try {
    check_accepted_manifest(parse_manifest_ini(text, "fuzz.ini"));
  } catch (const ManifestError&) {
  }
}

}  // namespace dk::fuzz
