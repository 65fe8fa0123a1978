// The native runtime from outside: what a child holds (namespaces, identity, descriptors,
// mappings, the filter), what the filter kills, what the supervisor does with a hostile
// channel, and the examples' results next to the emulator's. The pitfalls of
// NATIVE-RUNTIME-NOTES.md each have a test here that fails without their fix.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/rseq.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "dk/console.h"
#include "dk/host_factory.h"
#include "dk/native_runtime.h"
#include "dk/run.h"
#include "dk/runtime/protocol.h"
#include "guest_image.h"

extern char** environ;

namespace dk {
namespace {

std::vector<uint8_t> image(const std::string& name) { return test::guest_image(name); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs at DkDebugOutput("inspect"): the child is then whole and waiting in its shim.
class Inspector final : public HostDecorator {
 public:
  using HostDecorator::HostDecorator;
  dk_status_t serve(CallContext& cx, Call& call) override {
    if (call.index == 45 && os_pid > 0 &&
        std::string(call.in_bytes.begin(), call.in_bytes.end()) == "inspect") {
      const std::string proc = "/proc/" + std::to_string(os_pid);
      status = slurp(proc + "/status");
      maps = slurp(proc + "/maps");
      fds.clear();
      if (DIR* d = opendir((proc + "/fd").c_str())) {
        while (dirent* e = readdir(d))
          if (e->d_name[0] != '.') fds.push_back(e->d_name);
        closedir(d);
      }
    }
    return HostDecorator::serve(cx, call);
  }
  pid_t os_pid = -1;
  std::string status, maps;
  std::vector<std::string> fds;
};

struct NativeRun {
  RunResult result;
  SandboxLayers layers;
  std::string out, err, debug;
  // What the probe saw of the child at DkDebugOutput("inspect").
  std::string status, maps;
  std::vector<std::string> fds;
};

NativeRun run_native(const std::string& img, std::vector<std::string> args, bool namespaces = true) {
  NativeRun r;
  CapturedConsole console;
  LaunchSpec spec;
  spec.image = image(img);
  spec.name = img;
  spec.args = {img};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  HostLaunch l = image_host_launch(HostKind::Native, "", spec.image, spec.name);
  l.console = &console;
  l.debug_log = &r.debug;
  LaunchedHost built = make_host(l);
  Inspector probe(built.serving());
  NativeRuntimeOptions o;
  o.namespaces = namespaces;
  o.host_io_fd = static_cast<NativeHost&>(*built.host).io_fd();
  o.on_child = [&](uint32_t pid, pid_t os_pid) {
    if (pid == 1) probe.os_pid = os_pid;
  };
  r.result = run_native_runtime(probe, spec, o, &r.layers);
  r.out = console.out;
  r.err = console.err;
  r.status = probe.status;
  r.maps = probe.maps;
  r.fds = probe.fds;
  return r;
}

std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

TEST(NativeRuntime, RunsHelloAsTheEmulatorDoes) {
  NativeRun r = run_native("hello", {});
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_EQ(r.result.exit_code, 0);
  EXPECT_NE(r.out.find("hello from a picoprocess"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("argv[0] = hello"), std::string::npos) << r.out;
}

TEST(NativeRuntime, ThreadsChildrenAndFaultsWork) {
  NativeRun counter = run_native("counter", {});
  EXPECT_EQ(counter.result.end, RunResult::End::Exited) << counter.result.reason;
  EXPECT_NE(counter.out.find("counter: ok"), std::string::npos) << counter.out;
  NativeRun pipeline = run_native("pipeline", {});
  EXPECT_EQ(pipeline.result.end, RunResult::End::Exited) << pipeline.result.reason;
  EXPECT_NE(pipeline.out.find("pipeline: ok"), std::string::npos) << pipeline.out;
  NativeRun fault = run_native("fault", {});
  EXPECT_EQ(fault.result.end, RunResult::End::Exited) << fault.result.reason;
  EXPECT_NE(fault.out.find("recovered"), std::string::npos) << fault.out;
}

TEST(NativeRuntime, ExitCodeKeepsAllSixtyFourBits) {
  // Pitfall 8: a wait status keeps 8 bits; the code travels over the channel.
  NativeRun r = run_native("runtime_guest", {"exit_wide"});
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_EQ(r.result.exit_code, 0x123456789abll);
}

TEST(NativeRuntime, ChildHoldsOnlyItsChannelAndRunsFiltered) {
  NativeRun r = run_native("runtime_guest", {"inspect"});
  const NativeRun* seen = &r;
  ASSERT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  ASSERT_FALSE(seen->status.empty()) << "the probe never ran";
  EXPECT_EQ(status_field(seen->status, "Seccomp"), "2");
  EXPECT_EQ(status_field(seen->status, "NoNewPrivs"), "1");
  // Nobody, whatever ran dk.
  const std::string uid = status_field(seen->status, "Uid");
  if (geteuid() == 0) {
    EXPECT_EQ(uid.substr(0, uid.find_first_of(" \t")), "65534") << uid;
  }
  ASSERT_EQ(seen->fds.size(), 1u);
  EXPECT_EQ(seen->fds[0], std::to_string(DKRT_CHANNEL_FD));
  EXPECT_TRUE(r.layers.seccomp && r.layers.no_new_privs && r.layers.fds_closed && r.layers.rlimits);
}

TEST(NativeRuntime, ChildMapsNothingOfTheHarness) {
  // Pitfalls 2 and 4: the loader, libc (with its rseq area), the heap, the old stack, the
  // vDSO and vvar are gone; what is left is the guest, the runtime's block and vsyscall.
  EXPECT_GT(__rseq_size, 0u) << "this libc registers no rseq area: the test proves less";
  NativeRun r = run_native("runtime_guest", {"inspect"});
  const NativeRun* seen = &r;
  ASSERT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  ASSERT_FALSE(seen->maps.empty());
  std::istringstream in(seen->maps);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line.find("[vdso]"), std::string::npos) << line;
    EXPECT_EQ(line.find("[vvar"), std::string::npos) << line;
    EXPECT_EQ(line.find("[stack]"), std::string::npos) << line;
    EXPECT_EQ(line.find("[heap]"), std::string::npos) << line;
    EXPECT_EQ(line.find(".so"), std::string::npos) << line;
    EXPECT_EQ(line.find("/dk"), std::string::npos) << line;
    const uint64_t lo = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    const bool vsyscall = line.find("[vsyscall]") != std::string::npos;
    const bool runtime = lo >= DKRT_BLOCK && lo < DKRT_BLOCK_END;
    const bool guest = lo >= DK_USER_LOW && lo < DKRT_BLOCK;
    EXPECT_TRUE(vsyscall || runtime || guest) << line;
  }
  EXPECT_GT(lines, 3);
}

TEST(NativeRuntime, ReportsItsLayersAndKeepsTheHostsSsbdSetting) {
  // Pitfall 11: the filter goes in with SECCOMP_FILTER_FLAG_SPEC_ALLOW where the kernel has it.
  NativeRun r = run_native("runtime_guest", {"inspect"});
  const NativeRun* seen = &r;
  ASSERT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_NE(r.layers.json().find("\"seccomp\":true"), std::string::npos);
  const std::string mine = status_field(slurp("/proc/self/status"), "Speculation_Store_Bypass");
  const std::string child = status_field(seen->status, "Speculation_Store_Bypass");
  if (r.layers.spec_allow) {
    EXPECT_EQ(child, mine);
  }
}

TEST(NativeRuntime, RunsWithoutNamespacesToo) {
  NativeRun r = run_native("hello", {}, /*namespaces=*/false);
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_FALSE(r.layers.user_ns || r.layers.pid_ns || r.layers.net_ns);
  EXPECT_TRUE(r.layers.seccomp);
}

// Pitfall 5: jumping to the shim's own `syscall` does not open the kernel. Each of these is
// outside the shim's allow-list (or has arguments it refuses) and kills the child.
TEST(NativeRuntime, TheGadgetKillsWhatTheShimNeverCalls) {
  for (const char* nr : {"39" /* getpid */, "435" /* clone3 */, "9" /* shared mmap */,
                         "1" /* write to stdout */, "257" /* openat */, "59" /* execve */,
                         "101" /* ptrace */, "41" /* socket */, "62" /* kill */}) {
    NativeRun r = run_native("runtime_guest", {"gadget", nr});
    EXPECT_EQ(r.result.end, RunResult::End::HostError) << nr << ": " << r.result.reason;
    EXPECT_NE(r.result.reason.find("filter forbids"), std::string::npos) << nr << ": " << r.result.reason;
    EXPECT_EQ(r.debug.find("survived"), std::string::npos) << nr;
  }
}

// Pitfall 6: a hostile shim's requests end its picoprocess with a reason; the supervisor
// goes on (the next run in this same process works).
TEST(NativeRuntime, HostileRequestsEndOnlyTheirPicoprocess) {
  const std::pair<const char*, const char*> cases[] = {
      {"torn", "a request of 100 bytes"},
      {"garbage", "without the magic"},
      {"forged_slot", "slot no thread holds"},
      {"bad_kind", "unknown kind"},
      {"stray_done", "unknown kind"},
      {"forge_thread_block", "slot no thread holds"},
  };
  for (const auto& [what, why] : cases) {
    NativeRun r = run_native("runtime_guest", {what});
    EXPECT_EQ(r.result.end, RunResult::End::HostError) << what << ": " << r.result.reason;
    EXPECT_NE(r.result.reason.find(why), std::string::npos) << what << ": " << r.result.reason;
    EXPECT_EQ(r.debug.find("still here"), std::string::npos) << what;
  }
  NativeRun after = run_native("hello", {});
  EXPECT_EQ(after.result.end, RunResult::End::Exited) << after.result.reason;
}

// A guest that wrecks its own shim ends itself, never the supervisor.
TEST(NativeRuntime, AWreckedShimEndsOnlyItsPicoprocess) {
  for (const char* what : {"overwrite_shim", "mask_sigsys"}) {
    NativeRun r = run_native("runtime_guest", {what});
    EXPECT_EQ(r.result.end, RunResult::End::HostError) << what << ": " << r.result.reason;
    EXPECT_NE(r.result.reason.find("killed by signal"), std::string::npos)
        << what << ": " << r.result.reason;
    EXPECT_EQ(r.debug.find("still here"), std::string::npos) << what;
  }
  NativeRun after = run_native("hello", {});
  EXPECT_EQ(after.result.end, RunResult::End::Exited) << after.result.reason;
}

TEST(NativeRuntime, ReplayedRequestsAreServedAsCalls) {
  NativeRun r = run_native("runtime_guest", {"replay"});
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_NE(r.debug.find("after replay"), std::string::npos);
}

TEST(NativeRuntime, ScribbledReplySlotChangesNothing) {
  NativeRun r = run_native("runtime_guest", {"scribble_slot"});
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_EQ(r.result.exit_code, 0);
  EXPECT_NE(r.debug.find("slot ok"), std::string::npos);
}

TEST(NativeRuntime, TheRuntimesBlockIsNotTheGuests) {
  NativeRun r = run_native("runtime_guest", {"runtime_block"});
  EXPECT_EQ(r.result.end, RunResult::End::Exited) << r.result.reason;
  EXPECT_EQ(r.result.exit_code, 0);
  EXPECT_NE(r.debug.find("block kept"), std::string::npos);
}

// Pitfall 3: with address randomization off, the harness's stack and libraries sit where the
// runtime's block goes; the shim's first stage moves out of their way.
TEST(NativeRuntime, BootsWithAddressRandomizationOff) {
  const std::string dk = std::string(DK_BINARY_DIR) + "/cli/dk";
  const std::string hello = std::string(DK_GUEST_DIR) + "/hello";
  const char* argv[] = {"setarch", "x86_64", "-R", dk.c_str(), "run", "--runtime", "native",
                        hello.c_str(), nullptr};
  pid_t pid = -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  ASSERT_EQ(posix_spawnp(&pid, "setarch", &fa, nullptr, const_cast<char**>(argv), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace dk
