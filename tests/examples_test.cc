// The spine end to end: the examples run on the simulated host through run_picoprocess and
// through the dk binary, and two runs with one seed are identical.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>

#include "dk/run.h"
#include "dk/host_factory.h"
#include "guest_image.h"

namespace dk {
namespace {

std::vector<uint8_t> guest(const std::string& name) { return test::guest_image(name); }

struct Outcome {
  RunResult result;
  std::string out, err, debug;
};

Outcome run(const std::string& name, std::vector<std::string> args = {}, uint64_t seed = 0) {
  CapturedConsole console;
  Outcome o;
  HostLaunch l;
  l.seed = seed;
  l.console = &console;
  l.debug_log = &o.debug;
  LaunchedHost host = make_host(l);
  LaunchSpec spec;
  spec.image = guest(name);
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  o.result = run_picoprocess(*host, spec);
  o.out = console.out;
  o.err = console.err;
  return o;
}

TEST(Examples, HelloPrintsItsArguments) {
  Outcome o = run("hello", {"world", "two words"});
  EXPECT_EQ(o.result.end, RunResult::End::Exited) << o.result.reason;
  EXPECT_EQ(o.result.exit_code, 0);
  EXPECT_NE(o.out.find("hello from a picoprocess"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("world"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("two words"), std::string::npos) << o.out;
  EXPECT_GT(o.result.downcalls, 0u);
  EXPECT_GT(o.result.ticks, 0u);
}

TEST(Examples, FaultIsCaughtAndRecovered) {
  Outcome o = run("fault");
  EXPECT_EQ(o.result.end, RunResult::End::Exited) << o.result.reason;
  EXPECT_EQ(o.result.exit_code, 0);
  EXPECT_NE(o.out.find("recovered"), std::string::npos) << o.out;
}

TEST(Examples, RawLinuxSyscallIsStopped) {
  Outcome o = run("escape");
  EXPECT_EQ(o.result.end, RunResult::End::UnhandledException);
  EXPECT_EQ(o.result.exception_type, DK_EXCEPTION_FOREIGN_TRAP);
  EXPECT_EQ(o.result.exit_code, -(128 + 5));
  EXPECT_EQ(o.result.shell_status(), 133);
  EXPECT_EQ(o.out.find("ESCAPED"), std::string::npos) << o.out;
  EXPECT_EQ(o.err.find("ESCAPED"), std::string::npos) << o.err;
  EXPECT_NE(o.result.instruction.find("syscall"), std::string::npos) << o.result.instruction;
}

TEST(Determinism, SameSeedSameEverything) {
  Outcome a = run("hello", {"x"}, 42);
  Outcome b = run("hello", {"x"}, 42);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.result.ticks, b.result.ticks);
  EXPECT_EQ(a.result.downcalls, b.result.downcalls);
  EXPECT_NE(a.out.find("time: "), std::string::npos) << a.out;
}

TEST(Determinism, AnotherSeedChangesRandomBitsOnly) {
  Outcome a = run("hello", {"x"}, 1);
  Outcome b = run("hello", {"x"}, 2);
  ASSERT_NE(a.out, b.out);
  // Line by line, only the random line differs; the clock readings are the same.
  auto lines = [](const std::string& s) {
    std::vector<std::string> v;
    size_t p = 0, q;
    while ((q = s.find('\n', p)) != std::string::npos) {
      v.push_back(s.substr(p, q - p));
      p = q + 1;
    }
    return v;
  };
  auto la = lines(a.out), lb = lines(b.out);
  ASSERT_EQ(la.size(), lb.size());
  int differing = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    if (la[i] != lb[i]) {
      ++differing;
      EXPECT_NE(la[i].find("random"), std::string::npos) << la[i];
    }
  }
  EXPECT_EQ(differing, 1);
  EXPECT_EQ(a.result.ticks, b.result.ticks);
}

// The dk binary: exit status and the one stderr line of an abnormal end.
struct Cmd {
  int status;
  std::string out;
};
Cmd dk(const std::string& args) {
  std::string cmd = std::string(DK_BINARY_DIR) + "/cli/dk " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Cmd c{-1, {}};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), n);
  int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

// dk run forwards the first SIGINT to the picoprocess as INTERRUPT: a guest whose handler
// does not take it ends with 128 + 6 and the one-line report. The guest prints "ready" once
// its handler is in place and its loop runs; the signal goes only after that line.
TEST(DkRun, SigintBecomesInterrupt) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string bin = std::string(DK_BINARY_DIR) + "/cli/dk";
  const std::string img = std::string(DK_GUEST_DIR) + "/world_guest";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    execl(bin.c_str(), bin.c_str(), "run", img.c_str(), "--", "interrupt_unhandled", nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string text;
  std::array<char, 4096> buf;
  ssize_t n;
  bool signalled = false;
  while ((n = read(out[0], buf.data(), buf.size())) > 0) {
    text.append(buf.data(), static_cast<size_t>(n));
    if (!signalled && text.find("ready\n") != std::string::npos) {
      ASSERT_EQ(kill(pid, SIGINT), 0);
      signalled = true;
    }
  }
  close(out[0]);
  EXPECT_TRUE(signalled) << "dk ended before the guest said ready: " << text;
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << "dk ended by a signal: " << text;
  EXPECT_EQ(WEXITSTATUS(st), 128 + DK_EXCEPTION_INTERRUPT) << text;
  EXPECT_NE(text.find("unhandled INTERRUPT"), std::string::npos) << text;
}

TEST(DkRun, ExitStatusAndReport) {
  const std::string g = std::string(DK_GUEST_DIR) + "/";
  Cmd hello = dk("run " + g + "hello -- world");
  EXPECT_EQ(hello.status, 0) << hello.out;
  EXPECT_NE(hello.out.find("world"), std::string::npos);

  Cmd esc = dk("run " + g + "escape");
  EXPECT_EQ(esc.status, 133) << esc.out;
  EXPECT_EQ(esc.out.find("ESCAPED"), std::string::npos);
  // One line naming the reason, the address and the instruction.
  EXPECT_TRUE(std::regex_search(esc.out, std::regex("dk: .*FOREIGN_TRAP.*0x[0-9a-f]+.*syscall")))
      << esc.out;

  Cmd json = dk("run --json " + g + "hello");
  EXPECT_EQ(json.status, 0);
  EXPECT_NE(json.out.find("\"end\":\"exited\""), std::string::npos) << json.out;

  Cmd missing = dk("run /nonexistent/image");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find("dk: "), std::string::npos);

  Cmd notelf = dk("run " + std::string(DK_SOURCE_DIR) + "/README.md");
  EXPECT_EQ(notelf.status, 2) << notelf.out;
  EXPECT_NE(notelf.out.find("ELF"), std::string::npos) << notelf.out;
}

}  // namespace
}  // namespace dk
