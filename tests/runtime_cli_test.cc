// `dk run --runtime native` and `dk conform --runtime native` as a user runs them: results,
// the sandbox report, and one line with exit 2 for every combination that cannot work.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include "dk_cli.h"

extern char** environ;

namespace dk::testing {
namespace {

class RuntimeCli : public DkCliTest {};

TEST_F(RuntimeCli, RunsAnImageAndReportsTheSandbox) {
  Out r = dk("run --runtime native --json " + g("hello"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"runtime\":\"native\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"sandbox\":{\"seccomp\":true,\"no_new_privs\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello from a picoprocess"), std::string::npos) << r.out;
  Out emu = dk("run --json " + g("hello"));
  ASSERT_EQ(emu.rc, 0) << emu.err;
  EXPECT_NE(emu.out.find("\"runtime\":\"emu\""), std::string::npos) << emu.out;
  EXPECT_EQ(emu.out.find("\"sandbox\""), std::string::npos) << emu.out;
}

TEST_F(RuntimeCli, ExitStatusIsTheGuestsAsOnTheEmulator) {
  Out r = dk("run --runtime native " + g("runtime_guest") + " -- exit_wide");
  EXPECT_EQ(r.rc, 0xab) << r.err;  // 0x123456789ab modulo 256
  Out fault = dk("run --runtime native " + g("runtime_guest") + " -- gadget 39");
  EXPECT_EQ(fault.rc, 125) << fault.err;
  EXPECT_EQ(lines(fault.err), 1u) << fault.err;
  EXPECT_NE(fault.err.find("filter forbids"), std::string::npos) << fault.err;
}

TEST_F(RuntimeCli, CtrlCInterruptsAWaitingGuest) {
  // A guest with no exception handler, waiting in DkThreadDelayExecution: the first SIGINT
  // becomes INTERRUPT there, which ends it (128 + 6).
  const std::string guest = g("runtime_guest"), err = (dir_ / "err.txt").string();
  const char* argv[] = {dk_.c_str(), "run", "--runtime", "native", guest.c_str(), "--", "sleep",
                        nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGINT);
  posix_spawnattr_setsigdefault(&at, &def);  // whatever this test inherited
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, &at, const_cast<char**>(argv), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  usleep(500000);
  kill(pid, SIGINT);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 134) << slurp(err);
  EXPECT_NE(slurp(err).find("INTERRUPT"), std::string::npos) << slurp(err);
}

TEST_F(RuntimeCli, MaxTicksBoundsCpuTime) {
  // 20,000,000 ticks = 200 ms of CPU time on the native runtime.
  Out r = dk("run --runtime native --max-ticks 20000000 " + g("runtime_guest") + " -- spin");
  EXPECT_EQ(r.rc, 124) << r.err;
  EXPECT_NE(r.err.find("CPU time"), std::string::npos) << r.err;
}

TEST_F(RuntimeCli, RefusesWhatCannotWork) {
  for (const std::string& args : std::vector<std::string>{
        "run --runtime native --host sim " + g("hello"),
        "run --runtime native --trace t.dktrace " + g("hello"),
        "run --runtime vm " + g("hello"),
        "conform --runtime native --host sim",
        "conform --runtime jit"}) {
    Out r = dk(args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "t.dktrace"));
}

TEST_F(RuntimeCli, ConformRunsTheCasesOnTheNativeRuntime) {
  Out r = dk("conform --runtime native --no-progress --filter 'boot.*' --json");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"hosts\": [\"native-runtime\"]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"verdict\": \"fail\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dk::testing
