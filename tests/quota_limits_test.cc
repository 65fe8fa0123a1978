// Manifest limits enforced around both hosts by the QuotaEnforcer decorator (the monitor's
// QuotaLedger; the hosts themselves enforce none): each limit is hit by a small guest (tests/guest/quota_guest.c) with -DK_E_QUOTA or, for cpu_ticks, a
// clean end, while a sibling picoprocess in the same world keeps working and finishes.
// Limits come from a manifest; a bare image runs under default_limits().
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "dk/monitor/launch.h"
#include "dk/monitor/package_store.h"
#include "dk/host_factory.h"
#include "dk/run.h"
#include "dk/world.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

const std::string kGuest = std::string(DK_GUEST_DIR) + "/quota_guest";

std::vector<uint8_t> guest_image() {
  std::ifstream f(kGuest, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

LaunchSpec spec_for(const std::string& which) {
  LaunchSpec s;
  s.image = guest_image();
  s.name = "quota_guest";
  s.args = {"quota_guest", which};
  return s;
}

// One world: picoprocess 1 runs `which` under `limits`, picoprocess 2 the sibling "work"
// under no limits, on one host of the given kind behind the quota decorator.
struct Pair {
  RunResult hog, sibling;
  std::string out;
};

Pair run_pair(HostKind kind, const std::string& which, const Limits& limits,
              const std::string& sibling = "work") {
  Pair p;
  CapturedConsole console;
  HostLaunch l;
  l.kind = kind;
  l.console = &console;
  l.image = guest_image();
  l.name = "quota_guest";
  LaunchedHost host = make_host(l);
  host.quotas->set_limits(1, limits);
  World world(host.serving());
  const uint32_t a = world.add(spec_for(which));
  const uint32_t b = sibling.empty() ? 0 : world.add(spec_for(sibling));
  world.run();
  p.hog = world.result(a);
  if (b) p.sibling = world.result(b);
  // The native host's output was always read with its stderr after it.
  p.out = kind == HostKind::Sim ? console.out : console.out + console.err;
  return p;
}

class QuotaLimits : public ::testing::TestWithParam<HostKind> {
 protected:
  // The hog was refused with -DK_E_QUOTA after `line` and the sibling finished its work.
  void expect_refused(const Pair& p, const std::string& line) {
    EXPECT_EQ(p.hog.end, RunResult::End::Exited) << p.hog.reason;
    EXPECT_EQ(p.hog.exit_code, DK_E_QUOTA) << p.out;
    EXPECT_NE(p.out.find(line + "\n"), std::string::npos) << p.out;
    expect_sibling_fine(p);
  }
  void expect_sibling_fine(const Pair& p) {
    EXPECT_EQ(p.sibling.end, RunResult::End::Exited) << p.sibling.reason;
    EXPECT_EQ(p.sibling.exit_code, 7);
    EXPECT_NE(p.out.find("work done\n"), std::string::npos) << p.out;
  }
};

TEST_P(QuotaLimits, Memory) {
  Limits l;
  l.memory = 64ull << 20;  // the image and stack take ~1.3 MiB: three 16 MiB commits fit
  expect_refused(run_pair(GetParam(), "memory", l), "memory 3");
}

TEST_P(QuotaLimits, Threads) {
  Limits l;
  l.threads = 4;  // the first thread and three more
  expect_refused(run_pair(GetParam(), "threads", l), "threads 3");
}

TEST_P(QuotaLimits, Handles) {
  Limits l;
  l.handles = 20;  // stdin, stdout, stderr and 17 semaphores
  expect_refused(run_pair(GetParam(), "handles", l), "handles 17");
}

TEST_P(QuotaLimits, Streams) {
  Limits l;
  l.streams = 8;  // the three std streams and five more
  expect_refused(run_pair(GetParam(), "streams", l), "streams 5");
}

TEST_P(QuotaLimits, OutputIsRefusedWholeAndNeverPartly) {
  Limits l;
  l.output_bytes = 95;  // nine 10-byte lines; the tenth (and the report) would pass it
  Pair p = run_pair(GetParam(), "output", l);
  EXPECT_EQ(p.hog.exit_code, DK_E_QUOTA);
  std::string lines;
  for (int i = 0; i < 9; ++i) lines += "0123456789";
  // Exactly 90 bytes of the hog reached the console: not a byte of the refused writes.
  std::string hog = p.out;
  hog.erase(hog.find("work done\n"), 10);
  EXPECT_EQ(hog, lines);
  expect_sibling_fine(p);
}

TEST_P(QuotaLimits, CpuTicksEndThePicoprocessCleanly) {
  Limits l;
  l.cpu_ticks = 100000;
  Pair p = run_pair(GetParam(), "spin", l);
  EXPECT_EQ(p.hog.end, RunResult::End::TickLimit);
  EXPECT_EQ(p.hog.exit_code, -DK_E_QUOTA);
  EXPECT_EQ(p.hog.shell_status(), 124);
  EXPECT_EQ(p.hog.reason, "cpu_ticks quota (100000) reached");
  EXPECT_GE(p.hog.ticks, 100000u);
  EXPECT_LT(p.hog.ticks, 100100u);
  expect_sibling_fine(p);
}

TEST_P(QuotaLimits, NoLimitsLetTheSameGuestsFinish) {
  // The sibling under no limits at all, spinning only until its own work is done.
  Pair p = run_pair(GetParam(), "work", Limits{}, "");
  EXPECT_EQ(p.hog.exit_code, 7) << p.hog.reason;
}

TEST_P(QuotaLimits, ChildRunsUnderItsParentsLimitsWithTheConsole) {
  // The child ("work") writes to its own stdout, opened from the parent's console binding.
  Pair free = run_pair(GetParam(), "child", Limits{}, "");
  EXPECT_EQ(free.hog.exit_code, 7) << free.hog.reason << free.out;
  EXPECT_EQ(free.out, "work done\n");
  // The parent waits without ticking; the child's work passes the budget it inherited and
  // it ends with -DK_E_QUOTA, which the parent passes on.
  Limits l;
  l.cpu_ticks = 5000;
  Pair capped = run_pair(GetParam(), "child", l);
  EXPECT_EQ(capped.hog.end, RunResult::End::Exited) << capped.hog.reason;
  EXPECT_EQ(capped.hog.exit_code, -DK_E_QUOTA);
  expect_sibling_fine(capped);
}

INSTANTIATE_TEST_SUITE_P(Hosts, QuotaLimits, ::testing::Values(HostKind::Sim, HostKind::Native),
                         [](const auto& info) {
                           return info.param == HostKind::Sim ? "sim" : "native";
                         });

// ---- through dk run: defaults for a bare image, limits from a manifest ----

struct Cmd {
  int status;
  std::string out;
};

Cmd sh(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  Cmd c{-1, {}};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), n);
  int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

const std::string kDk = std::string(DK_BINARY_DIR) + "/cli/dk";

class QuotaRun : public ::testing::TestWithParam<std::string> {
 protected:
  // The host (or the native runtime, which serves through the native host).
  static std::string where() {
    return GetParam() == "native-runtime" ? " --runtime native " : " --host " + GetParam() + " ";
  }
};

TEST_P(QuotaRun, BareImageGetsTheDefaults) {
  const std::string host = where();
  Cmd threads = sh(kDk + " run" + host + kGuest + " -- threads");
  EXPECT_EQ(threads.status, DK_E_QUOTA) << threads.out;
  EXPECT_EQ(threads.out, "threads 63\n");  // default 64 threads, the first one included
  Cmd streams = sh(kDk + " run" + host + kGuest + " -- streams");
  EXPECT_EQ(streams.status, DK_E_QUOTA) << streams.out;
  EXPECT_EQ(streams.out, "streams 1021\n");  // default 1024, three of them std streams
  Cmd memory = sh(kDk + " run" + host + kGuest + " -- memory");
  EXPECT_EQ(memory.status, DK_E_QUOTA) << memory.out;
  EXPECT_EQ(memory.out, "memory 63\n");  // default 1 GiB
}

TEST_P(QuotaRun, ManifestLimitsOverTheDefaults) {
  fs::path pkg =
      fs::temp_directory_path() / ("dk-quota-" + GetParam() + "-" + std::to_string(getpid()));
  fs::create_directories(pkg / "bin");
  fs::copy_file(kGuest, pkg / "bin/quota_guest", fs::copy_options::overwrite_existing);
  // threads set; streams 0 = no limit (so the handle default, 4096, is what stops it).
  std::ofstream(pkg / "manifest.yaml")
      << "package: {name: quota, version: 1.0.0}\n"
         "app: {exe: \"package:/bin/quota_guest\", args: [quota_guest]}\n"
         "limits: {threads: 3, streams: 0}\n";
  const std::string run = kDk + " run" + where() + pkg.string();
  Cmd threads = sh(run + " -- threads");
  EXPECT_EQ(threads.status, DK_E_QUOTA) << threads.out;
  EXPECT_EQ(threads.out, "threads 2\n");
  Cmd streams = sh(run + " -- streams");
  EXPECT_EQ(streams.status, DK_E_QUOTA) << streams.out;
  EXPECT_EQ(streams.out, "streams 4093\n");
  Cmd spin = sh(run + " --max-ticks 200000 -- spin");  // cpu_ticks: unlimited by default
  EXPECT_EQ(spin.status, 124) << spin.out;
  EXPECT_NE(spin.out.find("tick limit (200000)"), std::string::npos) << spin.out;
  fs::remove_all(pkg);
}

// The memory quota charges private pages only: an image's read-only segments are shared
// by every picoprocess of it in the emulator (and booked so by the native runtime's
// supervisor). quota_ballast_guest carries 4 MiB of read-only data; under 36 MiB, its
// private pages (~1.3 MiB) and two 16 MiB commits fit, which they would not if the 4 MiB
// were charged.
TEST_P(QuotaRun, MemoryChargesPrivatePagesOnly) {
  fs::path pkg =
      fs::temp_directory_path() / ("dk-ballast-" + GetParam() + "-" + std::to_string(getpid()));
  fs::create_directories(pkg / "bin");
  fs::copy_file(std::string(DK_GUEST_DIR) + "/quota_ballast_guest", pkg / "bin/guest",
                fs::copy_options::overwrite_existing);
  std::ofstream(pkg / "manifest.yaml")
      << "package: {name: ballast, version: 1.0.0}\n"
         "app: {exe: \"package:/bin/guest\", args: [quota_guest]}\n"
         "limits: {memory: 36MiB}\n";
  Cmd memory = sh(kDk + " run" + where() + pkg.string() + " -- memory");
  EXPECT_EQ(memory.status, DK_E_QUOTA) << memory.out;
  EXPECT_EQ(memory.out, "memory 2\n");
  fs::remove_all(pkg);
}

INSTANTIATE_TEST_SUITE_P(Hosts, QuotaRun, ::testing::Values("sim", "native", "native-runtime"),
                         [](const auto& info) {
                           return info.param == "native-runtime" ? std::string("native_runtime")
                                                                 : info.param;
                         });

}  // namespace
}  // namespace dk
