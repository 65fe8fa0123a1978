// The host factory (dk/host_factory.h): it builds exactly the host a launch names (a native
// launch builds no SimHost, which is what `dk run --host native` goes through), with the
// launch's policy, limits, console and image; the launches `dk run` makes.
#include <gtest/gtest.h>

#include "dk/host_factory.h"
#include "null_guest.h"

namespace dk {
namespace {

TEST(HostFactory, NamesTheKinds) {
  HostKind k = HostKind::Sim;
  EXPECT_TRUE(parse_host_kind("native", k));
  EXPECT_EQ(k, HostKind::Native);
  EXPECT_TRUE(parse_host_kind("sim", k));
  EXPECT_EQ(k, HostKind::Sim);
  EXPECT_FALSE(parse_host_kind("plugin", k));
  EXPECT_EQ(host_kind_name(HostKind::Native), "native");
  EXPECT_EQ(host_kind_name(HostKind::Sim), "sim");
}

TEST(HostFactory, ANativeLaunchBuildsNoSimulatedHost) {
  const uint64_t before = SimHost::constructed();
  LaunchedHost h = make_host(image_host_launch(HostKind::Native, "", {1, 2, 3}, "img"));
  EXPECT_EQ(SimHost::constructed(), before);
  ASSERT_NE(h.host, nullptr);
  EXPECT_EQ(h.kind, HostKind::Native);
  EXPECT_NE(dynamic_cast<NativeHost*>(h.host.get()), nullptr);
  EXPECT_EQ(h->name(), "native");
}

TEST(HostFactory, ASimulatedLaunchBuildsOneSimulatedHost) {
  const uint64_t before = SimHost::constructed();
  LaunchedHost h = make_host(HostLaunch{});
  EXPECT_EQ(SimHost::constructed(), before + 1);
  EXPECT_NE(dynamic_cast<SimHost*>(h.host.get()), nullptr);
  EXPECT_EQ(h->name(), "sim");
  ASSERT_NE(h.policy, nullptr);
}

TEST(HostFactory, TheLaunchesDkRunMakes) {
  HostLaunch bare = image_host_launch(HostKind::Sim, "/srv", {7}, "tool");
  EXPECT_EQ(bare.limits, default_limits());
  EXPECT_EQ(bare.root, "/srv");
  EXPECT_EQ(bare.image, std::vector<uint8_t>{7});
  EXPECT_EQ(bare.name, "tool");
  EXPECT_EQ(bare.package, nullptr);

  PackageLaunch pl;
  pl.limits.threads = 3;
  pl.image = {9, 9};
  pl.ns.add(Mapping{"pipe:p", "pipe:p", true, 0});
  HostLaunch pkg = package_host_launch(HostKind::Native, pl);
  EXPECT_EQ(pkg.kind, HostKind::Native);
  EXPECT_EQ(pkg.package, &pl);
  EXPECT_EQ(pkg.limits, pl.limits);
  EXPECT_EQ(pkg.image, pl.image);
  // The package's namespace is the policy: its pipe, nothing of the default's.
  auto policy = launch_policy(pkg);
  Uri u;
  Resolved r;
  ASSERT_EQ(parse_uri("pipe:p", UriRole::Guest, u), 0);
  EXPECT_EQ(policy->resolve(NamespaceRequest{1, NamespaceOp::Connect, &u, Access::Write}, r), 0);
  ASSERT_EQ(parse_uri("pipe:q", UriRole::Guest, u), 0);
  EXPECT_EQ(policy->resolve(NamespaceRequest{1, NamespaceOp::Connect, &u, Access::Write}, r),
            -DK_E_ACCESS);
}

// The default namespace differs by host in one place only, file:/: the simulated host's
// overlay keeps writes in memory, the native host's files are real and read-only.
TEST(HostFactory, ABareImageMayWriteFilesOnlyInTheSimulatedOverlay) {
  Uri u;
  Resolved r;
  ASSERT_EQ(parse_uri("file:/out.txt", UriRole::Guest, u), 0);
  const NamespaceRequest w{1, NamespaceOp::Open, &u, Access::Write};
  EXPECT_EQ(launch_policy(image_host_launch(HostKind::Sim, "", {}, ""))->resolve(w, r), 0);
  EXPECT_EQ(launch_policy(image_host_launch(HostKind::Native, "/srv", {}, ""))->resolve(w, r),
            -DK_E_ACCESS);
  const NamespaceRequest rd{1, NamespaceOp::Open, &u, Access::Read};
  ASSERT_EQ(launch_policy(image_host_launch(HostKind::Native, "/srv", {}, ""))->resolve(rd, r), 0);
  EXPECT_EQ(r.target, Resolved::Target::HostFolder);
  EXPECT_EQ(r.base, "/srv");
}

TEST(HostFactory, TheConsoleReachesEitherHost) {
  for (HostKind kind : {HostKind::Sim, HostKind::Native}) {
    SCOPED_TRACE(std::string(host_kind_name(kind)));
    CapturedConsole console("in");
    HostLaunch l;
    l.kind = kind;
    l.console = &console;
    LaunchedHost h = make_host(l);
    // Open dev:console, write to it and read from it through the host's own calls.
    null_guest::NoMemory mem;
    null_guest::NoControl ctl;
    HandleTable handles;
    CallContext cx{mem, ctl, handles, 1};
    Call open;
    open.index = calls::DkStreamOpen;
    open.desc = call_desc(open.index);
    open.uri = "dev:console";
    open.val[1] = DK_ACCESS_RDWR;
    ASSERT_EQ(h->DkStreamOpen(cx, open), 0);
    const uint64_t handle = open.val[5];
    Call wr;
    wr.index = calls::DkStreamWrite;
    wr.desc = call_desc(wr.index);
    wr.val[0] = handle;
    wr.in_bytes = {'o', 'k'};
    ASSERT_EQ(h->DkStreamWrite(cx, wr), 0);
    EXPECT_EQ(console.out, "ok");
    Call rd;
    rd.index = calls::DkStreamRead;
    rd.desc = call_desc(rd.index);
    rd.val[0] = handle;
    rd.room = 8;
    ASSERT_EQ(h->DkStreamRead(cx, rd), 0);
    EXPECT_EQ(std::string(rd.out_bytes.begin(), rd.out_bytes.end()), "in");
  }
}

}  // namespace
}  // namespace dk
