// The same guest programs on both hosts: the POSIX examples and the libos selftest run through
// run_picoprocess on the simulated host and on the native host (real files in a temporary
// folder, real loopback TCP), and print the same output; the hello package runs through
// `dk run --host native` with the same output but for its random bits and time.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ci_guard.h"
#include "dk/console.h"
#include "dk/host_factory.h"
#include "dk/run.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dk-native-ex-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

struct Outcome {
  RunResult result;
  std::string out, err;
};

LaunchSpec spec_for(const std::string& name, const std::vector<std::string>& args) {
  LaunchSpec spec;
  spec.image = guest(name);
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  return spec;
}

// `name` with `args` on the host the factory builds for `l`, its console captured.
Outcome run_on(HostLaunch l, const std::string& name, const std::vector<std::string>& args) {
  CapturedConsole console;
  LaunchSpec spec = spec_for(name, args);
  l.console = &console;
  l.image = spec.image;
  l.name = name;
  LaunchedHost host = make_host(l);
  Outcome o;
  o.result = run_picoprocess(*host, spec);
  o.out = console.out;
  o.err = console.err;
  return o;
}

// The simulated host over an empty temporary folder.
Outcome run_sim(const std::string& name, const std::vector<std::string>& args) {
  TempDir root;
  HostLaunch l;
  l.kind = HostKind::Sim;
  l.root = root.path;
  return run_on(std::move(l), name, args);
}

// The native host with a bare image's namespace plus a writable temporary folder at file:/
// (where the simulated host has its overlay).
Outcome run_native(const std::string& name, const std::vector<std::string>& args) {
  TempDir root;
  HostLaunch l;
  l.kind = HostKind::Native;
  l.mappings = {Mapping{"file:/", "file:" + root.path, true, 0}};
  return run_on(std::move(l), name, args);
}

// Each speaker's lines in order, by their "name:" prefix. Picoprocesses talking over a real
// network write in an order the network's timing decides; each one's own order is fixed.
std::map<std::string, std::vector<std::string>> by_speaker(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out[line.substr(0, line.find(':'))].push_back(line);
  return out;
}

void expect_same(const std::string& name, const std::vector<std::string>& args,
                 bool interleaved = false) {
  Outcome sim = run_sim(name, args);
  Outcome native = run_native(name, args);
  EXPECT_EQ(sim.result.end, RunResult::End::Exited) << sim.result.reason;
  EXPECT_EQ(native.result.end, RunResult::End::Exited) << native.result.reason;
  EXPECT_EQ(native.result.exit_code, sim.result.exit_code) << native.out << native.err;
  if (interleaved) {
    EXPECT_EQ(by_speaker(native.out), by_speaker(sim.out)) << native.out << "\n" << sim.out;
    EXPECT_EQ(by_speaker(native.err), by_speaker(sim.err));
  } else {
    EXPECT_EQ(native.out, sim.out);
    EXPECT_EQ(native.err, sim.err);
  }
}

TEST(NativeExamples, CounterSameOnBothHosts) {
  expect_same("counter", {});
}
TEST(NativeExamples, PipelineSameOnBothHosts) {
  expect_same("pipeline", {"one", "Two three"});
}
TEST(NativeExamples, FiletoolSameOnBothHosts) {
  expect_same("filetool", {});
}
TEST(NativeExamples, LibosSelftestSameOnBothHosts) {
  expect_same("libos_selftest", {});
}

TEST(NativeExamples, EchoOverRealTcp) {
  // A port of its own: on this host the listener is a real socket.
  const std::string port = std::to_string(42000 + getpid() % 10000);
  // The server is a child picoprocess with its own console handles: its lines and the
  // client's interleave as the real connection's timing has it.
  expect_same("echo", {"both", port}, true);
  Outcome refused = run_native("echo", {"client", port, "x"});
  EXPECT_NE(refused.result.exit_code, 0);
}

std::string run_cli(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Output without the lines that are genuinely nondeterministic on a real machine.
std::string deterministic_part(const std::string& text) {
  std::istringstream in(text);
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind("random:", 0) != 0 && line.rfind("time:", 0) != 0) kept += line + "\n";
  return kept;
}

TEST(NativeExamples, HelloPackageThroughDkRun) {
  const std::string dk = std::string(DK_BINARY_DIR) + "/cli/dk";
  const std::string pkg = std::string(DK_BINARY_DIR) + "/packages/hello";
  DK_REQUIRE(fs::exists(pkg), "packages not staged");
  const std::string sim = run_cli(dk + " run --host sim " + pkg + " -- a b 2>&1");
  const std::string native = run_cli(dk + " run --host native " + pkg + " -- a b 2>&1");
  EXPECT_NE(native.find("hello from a picoprocess"), std::string::npos) << native;
  EXPECT_EQ(deterministic_part(native), deterministic_part(sim));
}

}  // namespace
}  // namespace dk
