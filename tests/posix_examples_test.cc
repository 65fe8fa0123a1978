// The POSIX examples (counter, pipeline, echo, filetool) run on the simulated host through
// run_picoprocess: their real output and exit codes, and determinism of the threaded and the
// client/server examples (byte-identical output and tick counts over 10 runs, one seed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/run.h"
#include "dk/host_factory.h"
#include "guest_image.h"

namespace dk {
namespace {

std::vector<uint8_t> guest(const std::string& name) { return test::guest_image(name); }

// A fresh, empty host folder for file:/ so a run's overlay starts the same every time.
class TempRoot {
 public:
  TempRoot() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dk-posix-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempRoot() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Outcome {
  RunResult result;
  std::string out, err, debug;
};

Outcome run(const std::string& name, std::vector<std::string> args = {}, uint64_t seed = 0) {
  TempRoot root;
  CapturedConsole console;
  Outcome o;
  HostLaunch config;
  config.seed = seed;
  config.console = &console;
  config.debug_log = &o.debug;
  config.root = root.path();
  config.image = guest(name);  // for "self:"
  config.name = name;
  LaunchedHost host = make_host(config);
  LaunchSpec spec;
  spec.image = config.image;
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  o.result = run_picoprocess(*host, spec);
  o.out = console.out;
  o.err = console.err;
  return o;
}

bool has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

#define EXPECT_EXITED_WITH(o, code)                                                            \
  do {                                                                                         \
    EXPECT_EQ((o).result.end, RunResult::End::Exited) << (o).result.reason << "\nstdout:\n"    \
                                                      << (o).out << "stderr:\n"                \
                                                      << (o).err;                              \
    EXPECT_EQ((o).result.exit_code, code) << "stdout:\n" << (o).out << "stderr:\n" << (o).err; \
  } while (0)

TEST(PosixExamples, CounterTotalsUnderAMutex) {
  Outcome o = run("counter");
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "counter: 4 threads x 2000 increments = 8000 (expected 8000)\n")) << o.out;
  EXPECT_TRUE(has(o.out, "handoff: ping 1\nhandoff: pong 1\nhandoff: ping 2\n")) << o.out;
  EXPECT_TRUE(has(o.out, "handoff: pong 5\nhandoff: 5 rounds each way\n")) << o.out;
  EXPECT_TRUE(has(o.out, "counter: ok\n")) << o.out;
}

TEST(PosixExamples, CounterWithOtherSizes) {
  Outcome o = run("counter", {"7", "300", "2"});
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "counter: 7 threads x 300 increments = 2100 (expected 2100)\n")) << o.out;
  EXPECT_TRUE(has(o.out, "handoff: pong 2\nhandoff: 2 rounds each way\n")) << o.out;
  Outcome bad = run("counter", {"0"});
  EXPECT_EXITED_WITH(bad, 2);
  EXPECT_TRUE(has(bad.err, "usage")) << bad.err;
}

TEST(PosixExamples, PipelineTalksToItsChild) {
  Outcome o = run("pipeline");
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "parent: started child 2\n")) << o.out;
  EXPECT_TRUE(has(o.out, "parent: sent \"alpha\", got \"ALPHA\" via parent stream\n")) << o.out;
  EXPECT_TRUE(
      has(o.out, "parent: sent \"bravo charlie\", got \"BRAVO CHARLIE\" via parent stream\n"))
      << o.out;
  EXPECT_TRUE(has(o.out, "parent: sent \"delta\", got \"DELTA\" via named pipe\n")) << o.out;
  EXPECT_TRUE(has(o.out, "parent: child exited with 6\n")) << o.out;
  EXPECT_TRUE(has(o.out, "pipeline: ok\n")) << o.out;
  // The parent's lines come in its own order, whatever the child prints in between.
  EXPECT_LT(o.out.find("via parent stream"), o.out.find("via named pipe")) << o.out;
}

TEST(PosixExamples, PipelineWithGivenLines) {
  Outcome o = run("pipeline", {"one", "Two three"});
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "got \"TWO THREE\" via named pipe\n")) << o.out;
  EXPECT_TRUE(has(o.out, "parent: child exited with 4\n")) << o.out;
}

TEST(PosixExamples, EchoBothOverSimulatedTcp) {
  Outcome o = run("echo", {"both", "7000"});
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "client: connected to localhost:7000\n")) << o.out;
  EXPECT_TRUE(has(o.out, "client: sent \"hello\", got \"hello\"\n")) << o.out;
  EXPECT_TRUE(has(o.out, "client: sent \"over simulated TCP\", got \"over simulated TCP\"\n"))
      << o.out;
  EXPECT_TRUE(has(o.out, "client: ok\n")) << o.out;
  EXPECT_TRUE(has(o.out, "echo: server exited with 0\n")) << o.out;
}

TEST(PosixExamples, EchoClientWithoutServerIsRefused) {
  Outcome o = run("echo", {"client", "7001", "x"});
  EXPECT_EXITED_WITH(o, 1);
  EXPECT_TRUE(has(o.err, "client: connect to localhost:7001: Connection refused")) << o.err;
  Outcome usage = run("echo", {"sideways", "7"});
  EXPECT_EXITED_WITH(usage, 2);
}

TEST(PosixExamples, FiletoolWalksEveryStep) {
  Outcome o = run("filetool");
  EXPECT_EXITED_WITH(o, 0);
  const char* steps[] = {
      "filetool: made directory /work\n",
      "filetool: wrote /work/notes.txt, 60 bytes\n",
      "filetool: appended, now 77 bytes\n",
      "filetool: read: line 1 of the notes\n",
      "filetool: read: an appended line\n",
      "filetool: data.bin is 2000 bytes, mode 600\n",
      "filetool: mapped data.bin, bytes 98..105 are \"uvXYZzab\"\n",
      "filetool: creating data.bin again: File exists\n",
      "filetool: listing /work: data.bin notes.txt (2 entries)\n",
      "filetool: renamed notes.txt to notes.old\n",
      "filetool: listing /work: data.bin notes.old (2 entries)\n",
      "filetool: stat notes.txt: No such file or directory\n",
      "filetool: listing /work: (0 entries)\n",
      "filetool: removed /work; opendir now says: No such file or directory\n",
      "filetool: ok\n",
  };
  size_t at = 0;
  for (const char* step : steps) {
    size_t found = o.out.find(step, at);
    EXPECT_NE(found, std::string::npos) << "missing or out of order: " << step << o.out;
    if (found != std::string::npos) at = found;
  }
}

TEST(PosixExamples, FiletoolInAnotherFolder) {
  Outcome o = run("filetool", {"/tmp"});
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, "filetool: listing /tmp: data.bin notes.txt (2 entries)\n")) << o.out;
}

TEST(PosixExamples, LibosSelftestPasses) {
  Outcome o = run("libos_selftest");
  EXPECT_EXITED_WITH(o, 0);
  EXPECT_TRUE(has(o.out, ", 0 failures\n")) << o.out;
  EXPECT_FALSE(has(o.out, "skipped")) << o.out;
}

void expect_deterministic(const std::string& name, const std::vector<std::string>& args) {
  Outcome first = run(name, args, 42);
  EXPECT_EXITED_WITH(first, 0);
  for (int i = 1; i < 10; i++) {
    Outcome again = run(name, args, 42);
    EXPECT_EQ(again.out, first.out) << name << " run " << i;
    EXPECT_EQ(again.err, first.err) << name << " run " << i;
    EXPECT_EQ(again.result.ticks, first.result.ticks) << name << " run " << i;
    EXPECT_EQ(again.result.downcalls, first.result.downcalls) << name << " run " << i;
    EXPECT_EQ(again.result.exit_code, first.result.exit_code) << name << " run " << i;
  }
}

TEST(PosixDeterminism, CounterTenRunsOneSeed) {
  expect_deterministic("counter", {});
}

TEST(PosixDeterminism, EchoTenRunsOneSeed) {
  expect_deterministic("echo", {"both", "7002"});
}

}  // namespace
}  // namespace dk
