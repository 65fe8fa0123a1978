// Manifests in both forms: the DESIGN.md sample, the seed's INI samples verbatim, every kind
// of bad manifest with the line it is refused on, conversion, versions and sizes.
#include <gtest/gtest.h>

#include <algorithm>

#include "dk/json.h"
#include "dk/monitor/manifest.h"
#include "dk/monitor/size.h"
#include "dk/monitor/version.h"

namespace dk {
namespace {

const std::string kData = std::string(DK_SOURCE_DIR) + "/tests/data/monitor/";

TEST(ManifestYaml, DesignSample) {
  Manifest m = load_manifest(kData + "hello.yaml");
  ASSERT_TRUE(m.package);
  EXPECT_EQ(m.package->name, "hello");
  EXPECT_EQ(m.package->version, (Version{1, 0, 0, 3}));
  EXPECT_EQ(m.package->arch, "x86_64");
  ASSERT_EQ(m.dependencies.size(), 1u);
  EXPECT_EQ(m.dependencies[0].name, "libos-posix");
  EXPECT_EQ(m.dependencies[0].constraint.str(), ">=1.0");
  EXPECT_EQ(m.dependencies[0].line, 2);
  ASSERT_TRUE(m.app);
  EXPECT_EQ(m.app->exe, "package:/bin/hello");
  EXPECT_EQ(m.app->args, (std::vector<std::string>{"hello", "world"}));
  ASSERT_EQ(m.app->env.size(), 1u);
  EXPECT_EQ(m.app->env[0], (std::pair<std::string, std::string>{"LANG", "C"}));
  EXPECT_EQ(m.app->stdout_uri, "dev:console");
  EXPECT_EQ(m.app->stack, 256u * 1024);
  ASSERT_EQ(m.mappings.size(), 5u);
  EXPECT_EQ(m.mappings[0].virtual_uri, "file:/documents");
  EXPECT_EQ(m.mappings[0].physical_uri, "file:/home/jdoe/documents");
  EXPECT_FALSE(m.mappings[0].writable);
  EXPECT_EQ(m.mappings[0].line, 6);
  EXPECT_EQ(m.mappings[1].physical_uri, "tmpfs:/");
  EXPECT_TRUE(m.mappings[1].writable);
  EXPECT_EQ(m.mappings[3].virtual_uri, "tcp:");
  EXPECT_EQ(m.mappings[4].physical_uri, "pipe.server:RDP_Drawbridge");
  EXPECT_EQ(m.limits.memory, 64u << 20);
  EXPECT_EQ(m.limits.threads, 16u);
  EXPECT_EQ(m.limits.handles, 1024u);
  EXPECT_EQ(m.limits.streams, 256u);
  EXPECT_EQ(m.limits.cpu_ticks, 0u);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(ManifestIni, SeedSampleManifestVerbatim) {
  Manifest m = load_manifest(kData + "seed-manifest.ini");
  EXPECT_EQ(m.format, ManifestFormat::Ini);
  EXPECT_EQ(m.manifest_version, 1);
  EXPECT_EQ(m.package_revision, 4);
  ASSERT_TRUE(m.package);
  EXPECT_EQ(m.package->name, "IISWorker");
  EXPECT_EQ(m.package->version.str(), "7.5.7601");
  EXPECT_EQ(m.package->arch, "x86_64");
  ASSERT_EQ(m.dependencies.size(), 2u);
  EXPECT_EQ(m.dependencies[0].name, "Windows");
  EXPECT_EQ(m.dependencies[0].constraint.str(), ">=6.1");
  EXPECT_TRUE(m.dependencies[0].constraint.allows(Version::parse("6.1")));
  EXPECT_TRUE(m.dependencies[0].constraint.allows(Version::parse("10.0")));
  EXPECT_FALSE(m.dependencies[0].constraint.allows(Version::parse("6.0.9")));
  EXPECT_EQ(m.dependencies[1].name, "MicrosoftNET");
  EXPECT_EQ(m.dependencies[1].constraint.str(), ">=4.0");
  ASSERT_TRUE(m.app);
  EXPECT_EQ(m.app->exe, "package:/windows/system32/inetsrv/w3wp.exe");
  ASSERT_EQ(m.data.size(), 1u);
  EXPECT_EQ(m.data[0].name, "Windows.Registry");
  EXPECT_EQ(m.data[0].lines, (std::vector<std::string>{"File:///w3wp.exe.dbreg"}));
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_EQ(m.warnings[0].line, 30);
  EXPECT_NE(m.warnings[0].text.find("Windows.Registry"), std::string::npos);
}

TEST(ManifestIni, SeedSamplePolicyVerbatim) {
  Manifest m = load_manifest(kData + "seed-policy.ini");
  EXPECT_FALSE(m.package);
  ASSERT_EQ(m.mappings.size(), 4u);
  EXPECT_EQ(m.mappings[0].virtual_uri, "pipe.server:RDP");
  EXPECT_EQ(m.mappings[0].physical_uri, "pipe.server:RDP_Drawbridge");
  EXPECT_TRUE(m.mappings[0].writable);
  EXPECT_EQ(m.mappings[0].line, 2);
  EXPECT_EQ(m.mappings[1].virtual_uri, "tcp.server:localhost:3000");
  EXPECT_EQ(m.mappings[1].line, 4);
  EXPECT_EQ(m.mappings[2].virtual_uri, "tcp:");
  EXPECT_EQ(m.mappings[2].physical_uri, "tcp:");
  // Read literally: virtual /users/jdoe/documents is the host's /documents.
  EXPECT_EQ(m.mappings[3].virtual_uri, "file:/users/jdoe/documents");
  EXPECT_EQ(m.mappings[3].physical_uri, "file:/documents");
  EXPECT_FALSE(m.mappings[3].writable);
  EXPECT_EQ(m.mappings[3].line, 8);
}

TEST(ManifestConvert, IniToYamlReadsBackEqual) {
  for (const char* f : {"seed-manifest.ini", "seed-policy.ini"}) {
    Manifest a = load_manifest(kData + f);
    std::string yaml = manifest_to_yaml(a);
    Manifest b = parse_manifest_yaml(yaml, "converted.yaml");
    ASSERT_EQ(a.package.has_value(), b.package.has_value()) << yaml;
    if (a.package) {
      EXPECT_EQ(a.package->name, b.package->name);
      EXPECT_EQ(a.package->version, b.package->version);
      EXPECT_EQ(a.package->arch, b.package->arch);
    }
    ASSERT_EQ(a.dependencies.size(), b.dependencies.size());
    for (size_t i = 0; i < a.dependencies.size(); ++i)
      EXPECT_EQ(a.dependencies[i].constraint.str(), b.dependencies[i].constraint.str());
    ASSERT_EQ(a.mappings.size(), b.mappings.size());
    for (const Mapping& x : a.mappings) {
      bool found = false;
      for (const Mapping& y : b.mappings) {
        if (y.virtual_uri != x.virtual_uri) continue;
        found = true;
        EXPECT_EQ(x.physical_uri, y.physical_uri);
        EXPECT_EQ(x.writable, y.writable);
      }
      EXPECT_TRUE(found) << x.virtual_uri;
    }
    EXPECT_EQ(a.app.has_value(), b.app.has_value());
    if (a.app) {
      EXPECT_EQ(a.app->exe, b.app->exe);
    }
    EXPECT_EQ(a.limits, b.limits);
  }
}

TEST(ManifestConvert, YamlRoundTrip) {
  Manifest a = load_manifest(kData + "hello.yaml");
  Manifest b = parse_manifest_yaml(manifest_to_yaml(a), "again.yaml");
  EXPECT_EQ(b.app->args, a.app->args);
  EXPECT_EQ(b.app->env, a.app->env);
  EXPECT_EQ(b.app->stack, a.app->stack);
  EXPECT_EQ(b.limits, a.limits);
  EXPECT_EQ(b.mappings.size(), a.mappings.size());
  JsonWriter j;
  write_manifest_json(j, b);
  EXPECT_NE(j.str().find("\"name\":\"hello\""), std::string::npos);
}

// A %XX escape may decode to a byte that is not UTF-8; the YAML written from the manifest
// must still be text and read back as the same bytes (the path holds 0xb5, printed %B5).
TEST(ManifestConvert, EscapedBytesThatAreNotUtf8ReadBackEqual) {
  const std::string text =
      "package: {name: t, version: 1}\n"
      "app: {exe: \"package:/bin/a%b5\"}\n"
      "namespace:\n  readonly:\n    \"file:/d%b5x\": \"file:/h/d%fe\"\n"
      "    \"file:/caf%C3%A9\": \"file:/h/cafe\"\n";
  const Manifest a = parse_manifest_yaml(text, "escaped.yaml");
  ASSERT_EQ(a.mappings.size(), 2u);
  const std::string yaml = manifest_to_yaml(a);
  EXPECT_NO_THROW(check_utf8(yaml, "converted.yaml")) << yaml;
  EXPECT_NE(yaml.find("file:/d%B5x"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("file:/caf\xc3\xa9"), std::string::npos) << yaml;  // UTF-8 stays text
  const Manifest b = parse_manifest_yaml(yaml, "escaped.yaml");
  ASSERT_EQ(b.mappings.size(), a.mappings.size());
  for (const Mapping& m : a.mappings) {
    const auto it = std::find_if(b.mappings.begin(), b.mappings.end(),
                                 [&](const Mapping& x) { return x.virtual_uri == m.virtual_uri; });
    ASSERT_NE(it, b.mappings.end()) << m.virtual_uri;
    EXPECT_EQ(it->physical_uri, m.physical_uri);
  }
  EXPECT_EQ(b.app->exe, a.app->exe);
  EXPECT_EQ(manifest_to_yaml(b), yaml);
}

// The one quoting rule of every JSON output: valid UTF-8 as it is, escapes for the rest.
TEST(JsonQuote, Utf8PassesAndEverythingElseIsEscaped) {
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote(std::string("\n\t\r\x01\x7f", 5)), "\"\\n\\t\\r\\u0001\\u007f\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\"");
  // Not UTF-8: a lone continuation byte, a cut sequence, an overlong form, a surrogate.
  EXPECT_EQ(json_quote("\x80"), "\"\\u0080\"");
  EXPECT_EQ(json_quote("\xe2\x82"), "\"\\u00e2\\u0082\"");
  EXPECT_EQ(json_quote("\xc0\xaf"), "\"\\u00c0\\u00af\"");
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
  EXPECT_EQ(json_quote(std::string("\0", 1)), "\"\\u0000\"");
}

// The writer's two shapes: compact, and the conformance reports' spaced one with a member per
// line in the containers begun with Layout::Lines (empty ones included).
TEST(JsonWriter, CompactAndSpacedLines) {
  JsonWriter c;
  c.begin_object().field("a", uint64_t{1}).key("b").begin_array().value("x").null().end_array();
  c.key("t").raw("0.125").field("ok", true).end_object();
  EXPECT_EQ(c.str(), "{\"a\":1,\"b\":[\"x\",null],\"t\":0.125,\"ok\":true}");

  JsonWriter s(/*spaced=*/true);
  s.begin_object(JsonWriter::Layout::Lines).key("hosts").begin_array().value("sim").value("native");
  s.end_array().key("cases").begin_array(JsonWriter::Layout::Lines);
  s.begin_object().field("id", "a").field("n", -1).end_object();
  s.begin_object().field("id", "b").key("calls").begin_array().end_array().end_object();
  s.end_array().key("none").begin_array(JsonWriter::Layout::Lines).end_array().end_object();
  EXPECT_EQ(s.str(),
            "{\n  \"hosts\": [\"sim\", \"native\"],\n  \"cases\": [\n"
            "    {\"id\": \"a\", \"n\": -1},\n    {\"id\": \"b\", \"calls\": []}\n  ],\n"
            "  \"none\": [\n  ]\n}");
}

TEST(ManifestIni, Extensions) {
  Manifest m = parse_manifest_ini(
      "[Identity]\nName=a\nMajorVersion=1\n[Dependency.B]\nName=b\nVersion=^1.2, <1.5\n"
      "[Limits]\nMemory=64MiB\nThreads=4\n",
      "x.ini");
  EXPECT_EQ(m.package->version.str(), "1.0.0");
  EXPECT_EQ(m.dependencies[0].constraint.str(), "^1.2,<1.5");
  EXPECT_EQ(m.limits.memory, 64u << 20);
  EXPECT_EQ(m.limits.threads, 4u);
}

struct Bad {
  const char* name;
  const char* text;
  int line;
  const char* reason;  // a piece of the reason
};

const Bad kBadYaml[] = {
    {"unknown top key", "package: {name: a, version: 1}\nplugins: []\n", 2,
     "unknown key 'plugins'"},
    {"unknown package key", "package:\n  name: a\n  version: 1\n  colour: red\n", 4,
     "unknown key 'colour'"},
    {"unknown app key", "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  cwd: /\n", 4,
     "unknown key 'cwd'"},
    {"unknown limits key", "package: {name: a, version: 1}\nlimits: {memory: 1MiB,\n  cpus: 2}\n",
     3, "unknown key 'cpus'"},
    {"unknown namespace key", "namespace:\n  readwrite: {}\n", 2, "unknown key 'readwrite'"},
    {"duplicate key", "package: {name: a, version: 1}\npackage: {name: b, version: 1}\n", 2,
     "duplicate key"},
    {"name wrong type", "package:\n  name: [a, b]\n  version: 1\n", 2, "must be a scalar"},
    {"deps wrong type", "package: {name: a, version: 1}\ndependencies: {name: b}\n", 2,
     "must be a list"},
    {"args wrong type", "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  args: hello\n",
     4, "must be a list"},
    {"env wrong type", "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  env: [A]\n", 4,
     "must be a map"},
    {"limits wrong type", "package: {name: a, version: 1}\nlimits: 5\n", 2, "must be a map"},
    {"top not a map", "- a\n- b\n", 1, "must be a map"},
    {"missing name", "package:\n  version: 1\n", 2, "no name"},
    {"missing version", "package:\n  name: a\n", 2, "no version"},
    {"bad name", "package: {name: \"../evil\", version: 1}\n", 1, "bad package name"},
    {"bad version letters", "package:\n  name: a\n  version: 1.x\n", 3, "bad version"},
    {"bad version 4 parts", "package:\n  name: a\n  version: 1.2.3.4\n", 3, "more than 3 parts"},
    {"bad version prerelease", "package:\n  name: a\n  version: 1.0.0-rc1\n", 3, "bad version"},
    {"bad arch", "package: {name: a, version: 1, arch: arm64}\n", 1, "unknown architecture"},
    {"bad constraint",
     "package: {name: a, version: 1}\ndependencies:\n  - {name: b, version: \">>1\"}\n", 3,
     "bad version constraint"},
    {"bad constraint empty term",
     "package: {name: a, version: 1}\ndependencies:\n  - {name: b, version: \">=1,,<2\"}\n", 3,
     "empty term"},
    {"self dependency", "package: {name: a, version: 1}\ndependencies:\n  - {name: a}\n", 3,
     "depends on itself"},
    {"dependency twice",
     "package: {name: a, version: 1}\ndependencies:\n  - {name: b}\n  - {name: b}\n", 4,
     "listed twice"},
    {"missing exe", "package: {name: a, version: 1}\napp:\n  args: []\n", 3, "no exe"},
    {"bad exe uri", "package: {name: a, version: 1}\napp:\n  exe: \"package:bin/x\"\n", 3,
     "bad URI"},
    {"exe wrong scheme", "package: {name: a, version: 1}\napp:\n  exe: \"tcp:host:80\"\n", 3,
     "package: or file:"},
    {"bad stdout uri",
     "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  stdout: \"dev:printer\"\n", 4,
     "unknown device"},
    {"bad stack size", "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  stack: 256KB\n",
     4, "bad size"},
    {"stack not page multiple",
     "package: {name: a, version: 1}\napp:\n  exe: package:/x\n  stack: 1000\n", 4,
     "multiple of 4KiB"},
    {"bad memory size", "package: {name: a, version: 1}\nlimits:\n  memory: lots\n", 3, "bad size"},
    {"size overflow", "package: {name: a, version: 1}\nlimits:\n  memory: 99999999999999999GiB\n",
     3, "overflows"},
    {"count with unit", "package: {name: a, version: 1}\nlimits:\n  threads: 4KiB\n", 3,
     "bad count"},
    {"negative count", "package: {name: a, version: 1}\nlimits:\n  handles: -1\n", 3, "bad count"},
    {"bad mapping uri",
     "namespace:\n  readonly:\n    \"file:/a\": \"file:/b\"\n    \"file:/../etc\": \"file:/etc\"\n",
     4, "climbs above the root"},
    {"unknown scheme", "namespace:\n  writable:\n    \"http://x:80\": \"http://x:80\"\n", 3,
     "unknown scheme"},
    {"mapping kind mismatch",
     "namespace:\n  writable:\n    \"tcp.server:localhost:80\": \"udp.server:localhost:80\"\n", 3,
     "same kind"},
    {"bare to specific", "namespace:\n  writable:\n    \"tcp.client:\": \"tcp:example.com:80\"\n",
     3, "bare scheme"},
    {"writable package", "namespace:\n  writable:\n    \"file:/lib\": \"package:/lib\"\n", 3,
     "cannot be mapped writable"},
    {"mapped twice",
     "namespace:\n  readonly:\n    \"file:/a\": \"file:/b\"\n  writable:\n    \"file:/a/\": "
     "\"tmpfs:\"\n",
     5, "already mapped on line 3"},
    {"map self", "namespace:\n  readonly:\n    \"self:\": \"self:\"\n", 3,
     "self: is always granted"},
    {"virtual tmpfs", "namespace:\n  writable:\n    \"tmpfs:\": \"tmpfs:\"\n", 3, "virtual side"},
    {"syntax error", "package: {name: a, version: 1\n", 2, "YAML syntax"},
    {"empty", "", 0, "empty manifest"},
    {"app without package", "app:\n  exe: package:/x\n", 1, "without a package identity"},
};

TEST(ManifestYaml, BadManifestsNameTheirLine) {
  for (const Bad& b : kBadYaml) {
    SCOPED_TRACE(b.name);
    try {
      parse_manifest_yaml(b.text, "bad.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const ManifestError& e) {
      EXPECT_EQ(e.line(), b.line) << e.what();
      EXPECT_NE(e.reason().find(b.reason), std::string::npos) << e.what();
      std::string prefix = b.line ? "bad.yaml:" + std::to_string(b.line) + ": " : "bad.yaml: ";
      EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
  }
}

const Bad kBadIni[] = {
    {"text before section", "Name=a\n[Identity]\n", 1, "before the first"},
    {"unterminated section", "[Identity\nName=a\n", 1, "must end with ']'"},
    {"duplicate section", "[Identity]\nName=a\nMajorVersion=1\n[identity]\n", 4, "appears twice"},
    {"unknown key", "[Identity]\nName=a\nMajorVersion=1\nColour=red\n", 4, "unknown key 'Colour'"},
    {"duplicate key", "[Identity]\nName=a\nname=b\nMajorVersion=1\n", 3, "duplicate key"},
    {"no equals", "[Identity]\nName\n", 2, "expected key=value"},
    {"no name", "\n[Identity]\nMajorVersion=1\n", 2, "has no Name"},
    {"no major", "[Identity]\nName=a\n", 1, "has no MajorVersion"},
    {"bad major", "[Identity]\nName=a\nMajorVersion=seven\n", 3, "bad count"},
    {"build without minor", "[Identity]\nName=a\nMajorVersion=1\nBuildNumber=3\n", 4,
     "without MinorVersion"},
    {"bad arch", "[Identity]\nName=a\nMajorVersion=1\nArchitecture=ia64\n", 4,
     "unknown architecture"},
    {"bad manifest version", "[Package]\nManifestVersion=2\n", 2, "not supported"},
    {"dependency without identity", "[Dependency.X]\nName=x\n", 1, "without an [Identity]"},
    {"dependency bad constraint",
     "[Identity]\nName=a\nMajorVersion=1\n[Dependency.X]\nName=x\nVersion=~\n", 6, "bad version"},
    {"bad exe", "[Identity]\nName=a\nMajorVersion=1\n[Windows.Application]\nExe=package:relative\n",
     5, "bad URI"},
    {"bad namespace uri", "[Namespace]\nfile:///a=file:///b\nfile:///x%00y=file:///z\n", 3, "NUL"},
    {"bad namespace line", "[Namespace.Writable]\njust-text\n", 2, "expected key=value"},
    {"empty virtual", "[Namespace]\n=file:///b\n", 2, "empty key"},
    {"bad encoded", "[Namespace]\nfile:///a%zz=file:///b\n", 2, "malformed percent-escape"},
    {"limits bad size", "[Limits]\nMemory=12 parsecs\n", 2, "bad size"},
    {"empty", "; nothing\n", 0, "empty manifest"},
};

TEST(ManifestIni, BadManifestsNameTheirLine) {
  for (const Bad& b : kBadIni) {
    SCOPED_TRACE(b.name);
    try {
      parse_manifest_ini(b.text, "bad.ini");
      ADD_FAILURE() << "accepted";
    } catch (const ManifestError& e) {
      EXPECT_EQ(e.line(), b.line) << e.what();
      EXPECT_NE(e.reason().find(b.reason), std::string::npos) << e.what();
    }
  }
}

TEST(ManifestIni, CommentsAndCase) {
  Manifest m = parse_manifest_ini(
      "; a comment\n[IDENTITY]\nname=a ; trailing\nmajorversion=2\n\n[namespace]\n"
      "file:///a;b=file:///c   ; ';' inside a URI stays\n",
      "c.ini");
  EXPECT_EQ(m.package->name, "a");
  EXPECT_EQ(m.package->version.major, 2u);
  EXPECT_EQ(m.mappings[0].virtual_uri, "file:/a;b");
  EXPECT_EQ(m.mappings[0].physical_uri, "file:/c");
}

TEST(ManifestForm, ChosenByExtensionThenContent) {
  EXPECT_EQ(parse_manifest("[Identity]\nName=a\nMajorVersion=1\n", "m").format,
            ManifestFormat::Ini);
  EXPECT_EQ(parse_manifest("package: {name: a, version: 1}\n", "m").format, ManifestFormat::Yaml);
  EXPECT_THROW(load_manifest(kData + "does-not-exist.yaml"), ManifestError);
}

TEST(Version, ParseAndOrder) {
  EXPECT_EQ(Version::parse("1").str(), "1.0.0");
  EXPECT_EQ(Version::parse("1.2").parts, 2);
  EXPECT_LT(Version::parse("1.2.3"), Version::parse("1.10"));
  for (const char* bad :
       {"", "a", "1.", ".1", "1..2", "01", "1.2.3.4", "-1", "1.2.3-beta", "9999999999"})
    EXPECT_THROW(Version::parse(bad), std::invalid_argument) << bad;
}

TEST(Version, Constraints) {
  struct Case {
    const char* c;
    const char* v;
    bool ok;
  } cases[] = {
      {"*", "0.0.1", true},       {">=1.0", "1.0.0", true},    {">=1.0", "0.9.9", false},
      {"<2", "1.99.99", true},    {"<2", "2.0.0", false},      {"=1.2.3", "1.2.3", true},
      {"=1.2.3", "1.2.4", false}, {"=1.2", "1.2.9", true},     {"1.2.3", "1.2.3", true},
      {"^1.2", "1.9.0", true},    {"^1.2", "2.0.0", false},    {"^1.2", "1.1.9", false},
      {"^0.2", "0.2.5", true},    {"^0.2", "0.3.0", false},    {"^0.0.3", "0.0.4", false},
      {"~1.2", "1.2.9", true},    {"~1.2", "1.3.0", false},    {"~1", "1.9.0", true},
      {">=1, <2", "1.5.0", true}, {">=1, <2", "2.0.0", false}, {">1.0", "1.0.0", false},
      {"<=1.2", "1.2.0", true},   {"<=1.2", "1.2.1", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(VersionConstraint::parse(c.c).allows(Version::parse(c.v)), c.ok)
        << c.c << " vs " << c.v;
  for (const char* bad : {"", ">=", ">>1", "1,", "=>1", "!=1", "^", "~x"})
    EXPECT_THROW(VersionConstraint::parse(bad), std::invalid_argument) << bad;
}

TEST(Size, ParseAndFormat) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("256KiB"), 256u << 10);
  EXPECT_EQ(parse_size("64 MiB"), 64u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("12B"), 12u);
  for (const char* bad : {"", "KiB", "1KB", "1 kib", "1.5MiB", "-1", "1e3", "17179869184GiB"})
    EXPECT_THROW(parse_size(bad), std::invalid_argument) << bad;
  EXPECT_EQ(format_size(256u << 10), "256KiB");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(parse_count("16"), 16u);
  EXPECT_THROW(parse_count("16k"), std::invalid_argument);
}

}  // namespace
}  // namespace dk
