// The one policy interface (dk/monitor/policy.h): the default namespace, NamespacePolicy's
// narrowing, and both hosts giving the same answer for the same namespace and request on a
// table of URIs, asked through their own calls (DkStreamAttributesQuery, DkStreamOpen).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dk/host_factory.h"
#include "dk/monitor/policy.h"
#include "null_guest.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

dk_status_t ask(const Policy& p, NamespaceOp op, const std::string& text, Access access) {
  Uri u;
  if (dk_status_t st = parse_uri(text, UriRole::Guest, u)) return st;
  Resolved out;
  return p.resolve(NamespaceRequest{1, op, &u, access}, out);
}

TEST(DefaultNamespace, GrantsTheConsolePipesSocketsAndTheImplicitOnes) {
  NamespacePolicy p(default_namespace());
  for (const char* uri : {"dev:console", "dev:null", "dev:zero", "pipe:any", "pipe.server:any",
                          "tcp:example.com:80", "tcp.server:localhost:7000", "udp:10.0.0.1:53",
                          "udp.server:localhost:53"})
    EXPECT_EQ(ask(p, NamespaceOp::Open, uri, Access::Write), 0) << uri;
  EXPECT_EQ(ask(p, NamespaceOp::Open, "package:/lib/a.so", Access::Read), 0);
  EXPECT_EQ(ask(p, NamespaceOp::Open, "package:/lib/a.so", Access::Write), -DK_E_ACCESS);
  EXPECT_EQ(ask(p, NamespaceOp::Spawn, "self:", Access::Read), 0);
  EXPECT_EQ(ask(p, NamespaceOp::Open, "self:", Access::Write), -DK_E_ACCESS);
  // No files mapped: file: paths read the package view, and nothing may be written.
  EXPECT_EQ(ask(p, NamespaceOp::Query, "file:/etc/passwd", Access::Read), 0);
  EXPECT_EQ(ask(p, NamespaceOp::Open, "file:/x", Access::Write), -DK_E_ACCESS);
  EXPECT_EQ(ask(p, NamespaceOp::Open, "tmpfs:/x", Access::Read), -DK_E_INVAL);  // policy-only
}

TEST(DefaultNamespace, MapsFilesAsTheLauncherSays) {
  NamespacePolicy memory(default_namespace("tmpfs:/", true));
  EXPECT_EQ(ask(memory, NamespaceOp::Open, "file:/a/b", Access::Write), 0);
  EXPECT_EQ(ask(memory, NamespaceOp::Rename, "dir:/a", Access::Write), 0);
  NamespacePolicy folder(default_namespace("file:/srv/data", false));
  EXPECT_EQ(ask(folder, NamespaceOp::Open, "file:/a/b", Access::Read), 0);
  EXPECT_EQ(ask(folder, NamespaceOp::Delete, "file:/a/b", Access::Write), -DK_E_ACCESS);
  Resolved r;
  Uri u;
  ASSERT_EQ(parse_uri("file:/a/b", UriRole::Guest, u), 0);
  ASSERT_EQ(folder.resolve(NamespaceRequest{1, NamespaceOp::Open, &u, Access::Read}, r), 0);
  EXPECT_EQ(r.target, Resolved::Target::HostFolder);
  EXPECT_EQ(r.base, "/srv/data");
  EXPECT_EQ(r.rel, "a/b");
}

TEST(NamespacePolicy, TheNarrowingIsAskedOnlyForWhatTheNamespaceGrants) {
  std::vector<std::string> asked;
  NamespacePolicy p(default_namespace(), [&](const NamespaceRequest& r) -> dk_status_t {
    asked.push_back(std::to_string(static_cast<int>(r.op)) + " " + r.uri->str());
    return r.uri->path == "secret" ? -DK_E_ACCESS : 0;
  });
  EXPECT_EQ(ask(p, NamespaceOp::Connect, "pipe:open", Access::Write), 0);
  EXPECT_EQ(ask(p, NamespaceOp::Listen, "pipe.server:secret", Access::Write), -DK_E_ACCESS);
  EXPECT_EQ(ask(p, NamespaceOp::Open, "file:/x", Access::Write), -DK_E_ACCESS);  // namespace
  EXPECT_EQ(asked, (std::vector<std::string>{"4 pipe:open", "5 pipe.server:secret"}));
}

// ---- Both hosts, one namespace ----

using null_guest::NoControl;
using null_guest::NoMemory;

struct Folder {
  Folder() {
    std::string t = (fs::temp_directory_path() / "dk-policy-XXXXXX").string();
    if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp");
    path = t;
    fs::create_directories(path / "data");
    fs::create_directories(path / "docs");
    std::ofstream(path / "data/a.txt") << "a";
    std::ofstream(path / "docs/r.txt") << "r";
  }
  ~Folder() { fs::remove_all(path); }
  fs::path path;
};

// The same manifest's namespace for both hosts: one writable and one read-only host folder,
// one pipe, one socket, the console.
PackageLaunch manifest_launch(const Folder& f) {
  PackageLaunch pl;
  pl.ns.add(Mapping{"file:/data", "file:" + (f.path / "data").string(), true, 0});
  pl.ns.add(Mapping{"file:/docs", "file:" + (f.path / "docs").string(), false, 0});
  pl.ns.add(Mapping{"pipe:chat", "pipe:chat", true, 0});
  pl.ns.add(Mapping{"tcp:localhost:7000", "tcp:localhost:7000", true, 0});
  pl.ns.add(Mapping{"dev:console", "dev:console", true, 0});
  return pl;
}

struct Row {
  enum Kind { Query, OpenRead, OpenCreate } kind;
  std::string uri;
  dk_status_t expected;
};

dk_status_t serve(CoreHost& host, const Row& row) {
  NoMemory mem;
  NoControl ctl;
  HandleTable handles;
  CallContext cx{mem, ctl, handles, 1};
  Call call;
  call.uri = row.uri;
  if (row.kind == Row::Query) {
    call.index = calls::DkStreamAttributesQuery;
    call.desc = call_desc(call.index);
    return host.DkStreamAttributesQuery(cx, call);
  }
  call.index = calls::DkStreamOpen;
  call.desc = call_desc(call.index);
  call.val[1] = row.kind == Row::OpenCreate ? DK_ACCESS_RDWR : DK_ACCESS_RDONLY;
  call.val[2] = 0644;
  call.val[3] = row.kind == Row::OpenCreate ? DK_CREATE_TRY : DK_CREATE_NEVER;
  return host.DkStreamOpen(cx, call);
}

TEST(PolicyParity, BothHostsAnswerTheSameForTheSameManifest) {
  const std::vector<Row> table = {
      {Row::Query, "file:/data/a.txt", 0},
      {Row::Query, "dir:/data", 0},
      {Row::Query, "file:/data/none", -DK_E_NOENT},
      {Row::Query, "file:/docs/r.txt", 0},
      {Row::Query, "dev:console", 0},
      {Row::Query, "dev:null", 0},
      {Row::Query, "pipe:other", -DK_E_ACCESS},
      {Row::Query, "tcp:example.com:80", -DK_E_ACCESS},
      {Row::Query, "tcp:localhost:7001", -DK_E_ACCESS},
      {Row::OpenRead, "file:/data/a.txt", 0},
      {Row::OpenRead, "file:/docs/r.txt", 0},
      {Row::OpenCreate, "file:/data/new.txt", 0},
      {Row::OpenCreate, "file:/docs/new.txt", -DK_E_ACCESS},
      {Row::OpenCreate, "file:/elsewhere/new.txt", -DK_E_ACCESS},
      {Row::OpenRead, "file:/data/../../escape", -DK_E_ACCESS},
      {Row::OpenCreate, "dev:console", 0},
      {Row::OpenCreate, "dev:zero", 0},
      {Row::OpenRead, "pipe.server:chat", -DK_E_ACCESS},
      {Row::OpenRead, "udp:localhost:7000", -DK_E_ACCESS},
      {Row::OpenCreate, "package:/x", -DK_E_ACCESS},
  };
  Folder folder;
  const PackageLaunch pl = manifest_launch(folder);
  for (HostKind kind : {HostKind::Sim, HostKind::Native}) {
    SCOPED_TRACE(std::string(host_kind_name(kind)));
    HostLaunch l;
    l.kind = kind;
    l.package = &pl;
    LaunchedHost host = make_host(l);
    for (const Row& row : table) {
      SCOPED_TRACE(row.uri);
      EXPECT_EQ(serve(*host, row), row.expected);
      // The host's refusals are the policy's.
      const Access access = row.kind == Row::OpenCreate ? Access::Write : Access::Read;
      const NamespaceOp op = row.kind == Row::Query ? NamespaceOp::Query : NamespaceOp::Open;
      EXPECT_EQ(ask(*host.policy, op, row.uri, access) == -DK_E_ACCESS,
                row.expected == -DK_E_ACCESS);
    }
  }
  // The native host wrote where the namespace said; the simulated host kept it in memory.
  EXPECT_TRUE(fs::exists(folder.path / "data/new.txt"));
  EXPECT_FALSE(fs::exists(folder.path / "docs/new.txt"));
}

// A launcher's narrowing (the conformance suite's, the escape corpus's) refuses the same
// URIs on both hosts, whatever namespace each host needs beneath it.
TEST(PolicyParity, TheNarrowingRefusesTheSameOnBothHosts) {
  Folder folder;
  for (HostKind kind : {HostKind::Sim, HostKind::Native}) {
    SCOPED_TRACE(std::string(host_kind_name(kind)));
    HostLaunch l;
    l.kind = kind;
    if (kind == HostKind::Native)  // the simulated host writes into its overlay over `root`
      l.mappings.push_back(
          Mapping{"file:/data", "file:" + (folder.path / "data").string(), true, 0});
    else
      l.root = folder.path.string();
    l.narrow = [](const NamespaceRequest& r) -> dk_status_t {
      return r.uri->kind() != UriKind::Path || path_within(r.uri->path, "/data") ? 0
                                                                                 : -DK_E_ACCESS;
    };
    LaunchedHost host = make_host(l);
    EXPECT_EQ(serve(*host, {Row::OpenCreate, "file:/data/n.txt", 0}), 0);
    EXPECT_EQ(serve(*host, {Row::OpenCreate, "file:/other.txt", 0}), -DK_E_ACCESS);
    EXPECT_EQ(serve(*host, {Row::Query, "file:/other", 0}), -DK_E_ACCESS);
    EXPECT_EQ(serve(*host, {Row::Query, "dev:console", 0}), 0);
  }
}

}  // namespace
}  // namespace dk
