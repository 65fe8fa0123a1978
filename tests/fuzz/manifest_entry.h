// fuzz_manifest_yaml / fuzz_manifest_ini: the manifest parsers on arbitrary text. Only
// ManifestError may escape. A manifest they accept must convert to YAML and read back to the
// same YAML (manifest.h promises an equal manifest), and must build a Namespace without
// throwing (namespace.h: the parsers have already refused anything that would).
#pragma once

#include <algorithm>
#include <span>
#include <tuple>
#include <vector>
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
  // The YAML must mean the same manifest, not only print the same way.
  // YAML groups mappings by readonly/writable, so compare them in one order.
  auto sorted = [](std::vector<Mapping> ms) {
    std::sort(ms.begin(), ms.end(), [](const Mapping& a, const Mapping& b) {
      return std::tie(a.writable, a.virtual_uri) < std::tie(b.writable, b.virtual_uri);
    });
    return ms;
  };
  const std::vector<Mapping> want = sorted(plain.mappings), got = sorted(back.mappings);
  if (got.size() != want.size()) finding("mappings lost in YAML:\n" + yaml);
  for (size_t i = 0; i < got.size(); ++i) {
    const Mapping& x = want[i];
    const Mapping& y = got[i];
    if (x.virtual_uri != y.virtual_uri || x.physical_uri != y.physical_uri || x.writable != y.writable)
      finding("mapping '" + x.virtual_uri + "' -> '" + x.physical_uri + "' reads back from YAML as '" +
              y.virtual_uri + "' -> '" + y.physical_uri + "'");
  }
  if (plain.app.has_value() != back.app.has_value() ||
      (plain.app && (plain.app->exe != back.app->exe || plain.app->args != back.app->args ||
                     plain.app->env != back.app->env || plain.app->stack != back.app->stack ||
                     plain.app->stdin_uri != back.app->stdin_uri ||
                     plain.app->stdout_uri != back.app->stdout_uri ||
                     plain.app->stderr_uri != back.app->stderr_uri)))
    finding("the app section reads back differently from YAML:\n" + yaml);
  if (plain.package.has_value() != back.package.has_value() ||
      (plain.package && (plain.package->name != back.package->name ||
                         plain.package->arch != back.package->arch)))
    finding("the package identity reads back differently from YAML:\n" + yaml);
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
