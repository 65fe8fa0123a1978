// The escape corpus: a subset runs contained on the simulated host, and the observer really
// catches what it claims to: deliberately broken hosts (a Host decorator inside the attempt's
// process) make specific attempts report escaped or host failure, and the runner survives.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>

#include "dk/conformance/case_spec.h"
#include "dk/escape/corpus.h"
#include "dk/escape/report.h"
#include "dk/escape/runner.h"

namespace dk::escape {
namespace {

std::vector<Attempt> pick(const std::vector<std::string>& globs) {
  static const std::vector<Attempt> all = corpus();
  std::vector<Attempt> out;
  for (const auto& a : all)
    for (const auto& g : globs)
      if (dk::conformance::glob_match(g, a.id)) {
        out.push_back(a);
        break;
      }
  return out;
}

RunnerOptions options() {
  RunnerOptions o;
  o.images_dir = DK_GUEST_DIR;
  o.jobs = 2;
  o.timeout_s = 60;  // generous: sanitizer builds on a loaded machine
  return o;
}

const AttemptResult& find(const std::vector<AttemptResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.attempt->id == id) return r;
  throw std::runtime_error("no result for " + id);
}

// A host that forwards everything to the host under test, except what `hook` changes.
class BrokenHost : public HostDecorator {
 public:
  using Hook = std::function<bool(Host& inner, CallContext& cx, Call& call, dk_status_t& st)>;
  // The decorator is built on *inner before the pointer moves into owned_.
  BrokenHost(std::unique_ptr<Host> inner, Hook hook)
      : HostDecorator(*inner), owned_(std::move(inner)), hook_(std::move(hook)) {}
  dk_status_t serve(CallContext& cx, Call& call) override {
    dk_status_t st = 0;
    if (hook_(*owned_, cx, call, st)) return st;
    return HostDecorator::serve(cx, call);
  }

 private:
  std::unique_ptr<Host> owned_;
  Hook hook_;
};

RunnerOptions broken(BrokenHost::Hook hook) {
  RunnerOptions o = options();
  o.decorate = [hook](std::unique_ptr<Host> inner, const AttemptContext&) {
    return std::make_unique<BrokenHost>(std::move(inner), hook);
  };
  return o;
}

TEST(EscapeCorpus, EveryFamilyIsThereWithUniqueIds) {
  const auto all = corpus();
  std::set<std::string> ids;
  for (const auto& a : all) EXPECT_TRUE(ids.insert(a.id).second) << a.id;
  size_t x64 = 0, x32 = 0, i386 = 0, ints = 0;
  for (const auto& a : all) {
    x64 += a.family == "syscall.x64";
    x32 += a.family == "syscall.x32";
    i386 += a.family == "syscall.i386";
    ints += a.id.starts_with("int.") && a.id.size() == 7;
  }
  EXPECT_GE(x64, 460u);
  EXPECT_GE(x32, 460u);
  EXPECT_GE(i386, 440u);
  EXPECT_EQ(ints, 256u);
  const auto fams = families(all);
  for (const char* f : {"syscall.sysenter", "privileged", "jump", "store", "load", "vsyscall",
                        "package", "smc", "args", "race", "exhaust"})
    EXPECT_NE(std::find(fams.begin(), fams.end(), f), fams.end()) << f;
}

// One or more attempts of every family, on the simulated host: all contained.
TEST(EscapeCorpus, SubsetContainedOnSim) {
  const auto attempts = pick({"syscall.x64.001",
                              "syscall.x64.059",
                              "syscall.x64.062",
                              "syscall.x32.002",
                              "syscall.dk_edge.10000d012",
                              "syscall.i386.011",
                              "syscall.sysenter.004",
                              "int.128",
                              "int.003",
                              "privileged.iretq_ring0*",
                              "privileged.wrmsr_lstar",
                              "jump.call.harness_code",
                              "jump.jmp.host_page_iretq",
                              "store.store.harness_data",
                              "store.store.own_text",
                              "vsyscall.call.vsyscall_gettimeofday",
                              "package.pkgwrite",
                              "smc.smc_call",
                              "args.uri_traversal",
                              "args.connect",
                              "args.ptr_kernel",
                              "args.handle_sibling",
                              "race.uri_flip",
                              "exhaust.handles",
                              "exhaust.cpu"});
  ASSERT_EQ(attempts.size(), 26u);
  const auto results = run_attempts(attempts, options());
  for (const auto& r : results)
    EXPECT_EQ(r.verdict, Verdict::Contained) << r.attempt->id << ": " << r.reason;
  const Totals t = totals(results);
  EXPECT_EQ(t.attempts, 26u);
  EXPECT_EQ(t.escapes, 0u);
  EXPECT_EQ(t.host_failures, 0u);
}

// The native runtime serves through the native host only; an unknown runtime is refused.
TEST(EscapeCorpus, NativeRuntimeNeedsTheNativeHost) {
  RunnerOptions o = options();
  o.runtime = "native";
  o.host = "sim";
  EXPECT_NE(check_options(o).find("--runtime native runs on the native host only"),
            std::string::npos)
      << check_options(o);
  o.host = "native";
  EXPECT_EQ(check_options(o), "");
  o.runtime = "jit";
  EXPECT_NE(check_options(o).find("unknown runtime"), std::string::npos) << check_options(o);
}

// The observer sees through the native runtime too: a host under the supervisor that writes
// the canary when the attacker (a raw `write` syscall, a FOREIGN_TRAP on the CPU) asks the
// time makes the attempt an escape; without the broken host the same attempt is contained.
TEST(EscapeObserver, CanaryWriteIsAnEscapeOnTheNativeRuntime) {
  const auto attempts = pick({"syscall.x64.001", "jump.call.harness_code"});
  ASSERT_EQ(attempts.size(), 2u);
  RunnerOptions o = options();
  o.host = "native";
  o.runtime = "native";
  const auto clean = run_attempts(attempts, o);
  for (const auto& r : clean)
    EXPECT_EQ(r.verdict, Verdict::Contained) << r.attempt->id << ": " << r.reason;
  o.decorate = [](std::unique_ptr<Host> inner, const AttemptContext& cx) {
    const std::string canary = cx.canary_path;
    return std::make_unique<BrokenHost>(std::move(inner),
                                        [canary](Host&, CallContext&, Call& call, dk_status_t&) {
                                          if (call.index == calls::DkSystemTimeQuery)
                                            std::ofstream(canary, std::ios::app) << "x";
                                          return false;
                                        });
  };
  const auto broken = run_attempts({attempts[0]}, o);
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].verdict, Verdict::Escaped);
  EXPECT_NE(broken[0].reason.find("canary file"), std::string::npos) << broken[0].reason;
}

// A host that lets a URI the namespace does not grant through (it opens dev:null instead):
// the policy oracle reports the escape, naming the URI.
TEST(EscapeObserver, ForbiddenUriLetThroughIsAnEscape) {
  const auto attempts = pick({"args.connect", "syscall.x64.000"});
  auto o = broken([](Host& inner, CallContext& cx, Call& call, dk_status_t& st) {
    if (call.index != calls::DkStreamOpen || !call.uri.starts_with("pipe:notgranted")) return false;
    call.uri = "dev:null";
    st = inner.serve(cx, call);
    return true;
  });
  const auto results = run_attempts(attempts, o);
  const auto& r = find(results, "args.connect");
  EXPECT_EQ(r.verdict, Verdict::Escaped) << r.reason;
  EXPECT_NE(r.reason.find("'pipe:notgranted'"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("does not grant"), std::string::npos) << r.reason;
  EXPECT_EQ(find(results, "syscall.x64.000").verdict, Verdict::Contained);
}

// A host that writes the canary file behind the picoprocess's back: the canary sees it.
TEST(EscapeObserver, CanaryWriteIsAnEscape) {
  const auto attempts = pick({"syscall.x64.002"});
  RunnerOptions o = options();
  o.decorate = [](std::unique_ptr<Host> inner, const AttemptContext& cx) {
    const std::string canary = cx.canary_path;
    return std::make_unique<BrokenHost>(
        std::move(inner), [canary](Host&, CallContext&, Call& call, dk_status_t&) {
          if (call.index == calls::DkSystemTimeQuery) std::ofstream(canary, std::ios::app) << "x";
          return false;
        });
  };
  const auto results = run_attempts(attempts, o);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::Escaped);
  EXPECT_NE(results[0].reason.find("canary file"), std::string::npos) << results[0].reason;
}

// A host that scribbles on harness memory, or starves the sibling: both are escapes.
TEST(EscapeObserver, HarnessMemoryAndSiblingAreWatched) {
  const auto attempts = pick({"int.128"});
  RunnerOptions o = options();
  o.decorate = [](std::unique_ptr<Host> inner, const AttemptContext& cx) {
    auto* buffer = reinterpret_cast<volatile uint8_t*>(cx.harness_data);
    return std::make_unique<BrokenHost>(
        std::move(inner), [buffer](Host&, CallContext& cx, Call& call, dk_status_t& st) {
          if (call.index == calls::DkSemaphorePeek && cx.pid == 2) {  // the sibling's
            buffer[100] = static_cast<uint8_t>(buffer[100] ^ 0xff);
            st = -DK_E_BADHANDLE;
            return true;
          }
          return false;
        });
  };
  const auto results = run_attempts(attempts, o);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::Escaped);
  EXPECT_NE(results[0].reason.find("harness buffer"), std::string::npos) << results[0].reason;
  EXPECT_NE(results[0].reason.find("sibling"), std::string::npos) << results[0].reason;
}

// A host that crashes in one attempt and hangs in another: each is that attempt's host
// failure; the runner goes on and the attempt between them is contained.
TEST(EscapeObserver, CrashAndHangAreHostFailuresOfOneRow) {
  auto attempts = pick({"syscall.x64.003", "syscall.x64.004", "syscall.x64.005"});
  ASSERT_EQ(attempts.size(), 3u);
  attempts[2].timeout_s = 3;  // the hanging one; the others keep the generous default
  RunnerOptions o = options();
  o.decorate = [](std::unique_ptr<Host> inner, const AttemptContext& cx) {
    const std::string id = cx.id;
    return std::make_unique<BrokenHost>(std::move(inner),
                                        [id](Host&, CallContext&, Call& call, dk_status_t&) {
                                          if (call.index == calls::DkSemaphoreCreate && id == "syscall.x64.003")
                                            raise(SIGSEGV);
                                          if (call.index == calls::DkSemaphoreCreate && id == "syscall.x64.005")
                                            for (;;) pause();
                                          return false;
                                        });
  };
  const auto results = run_attempts(attempts, o);
  const auto& crash = find(results, "syscall.x64.003");
  EXPECT_EQ(crash.verdict, Verdict::HostFailure);
  EXPECT_NE(crash.reason.find("crashed"), std::string::npos) << crash.reason;
  EXPECT_EQ(find(results, "syscall.x64.004").verdict, Verdict::Contained);
  const auto& hang = find(results, "syscall.x64.005");
  EXPECT_EQ(hang.verdict, Verdict::HostFailure);
  EXPECT_NE(hang.reason.find("hung"), std::string::npos) << hang.reason;
}

// An attacker that ends otherwise than declared, with nothing out: a deviation, not contained.
TEST(EscapeObserver, WrongStatusIsADeviation) {
  const auto attempts = pick({"args.handle_kind"});
  auto o = broken([](Host&, CallContext& cx, Call& call, dk_status_t& st) {
    if (call.index != calls::DkEventSet || cx.pid != 1) return false;  // the attacker's
    st = -DK_E_INVAL;
    return true;
  });
  const auto results = run_attempts(attempts, o);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::Deviation) << results[0].reason;
  EXPECT_NE(results[0].reason.find("expected exit 0"), std::string::npos) << results[0].reason;
}

TEST(EscapeReport, JsonTableAndJunitCarryTheCounts) {
  const auto attempts = pick({"int.001", "int.002", "jump.jmp.null"});
  std::vector<AttemptResult> rs(3);
  for (size_t i = 0; i < 3; ++i) rs[i].attempt = &attempts[i];
  rs[0].verdict = Verdict::Contained;
  rs[1].verdict = Verdict::Escaped;
  rs[1].reason = "canary file changed";
  rs[2].verdict = Verdict::HostFailure;
  rs[2].reason = "the harness crashed";
  const std::string json = json_report(rs, "sim");
  EXPECT_NE(json.find("\"attempts\":3,\"contained\":1,\"deviations\":0,\"escapes\":1,"
                      "\"host_failures\":1"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"id\":\"int.002\""), std::string::npos);
  const std::string table = table_report(rs, "sim", false);
  EXPECT_NE(
      table.find("int                        2          1          0        1              0"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("escaped  int.002"), std::string::npos) << table;
  const std::string junit = junit_report(rs, "sim");
  EXPECT_NE(json.find("\"host\":\"sim\",\"runtime\":\"emu\""), std::string::npos) << json;
  EXPECT_NE(json_report(rs, "native", "native").find("\"runtime\":\"native\""), std::string::npos);
  EXPECT_NE(junit_report(rs, "native", "native").find("testsuite name=\"native-runtime.int\""),
            std::string::npos);
  EXPECT_NE(junit.find("<failure message=\"escaped\">canary file changed</failure>"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<error message=\"host failure\">"), std::string::npos) << junit;
}

}  // namespace
}  // namespace dk::escape
