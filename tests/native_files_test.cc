// NativeHost files and directories through the real Dispatcher on a temporary folder mapped
// by a Namespace: listings with the mapping points, refusals by policy (unmapped paths, '..',
// symlinks leading out of the mapping, read-only mappings), shared mappings written back to
// the real file, host errors injected through the seam, devices, real time, getrandom and
// the monotonic clock. Native only: each is about the real folder, the Namespace or the
// host's own clock and randomness. Create, read, write, rename, delete and attributes,
// where both hosts agree, run on both in host_files_test.cc.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "native_test_world.h"

namespace dk::hosttest {
namespace {

class NativeFilesTest : public NativeTest {
 protected:
  std::string list(Proc& p, dk_handle_t dir) {
    std::string out, all;
    uint64_t offset = 0;
    for (;;) {
      EXPECT_EQ(read(p, dir, 4096, out, offset), 0);
      if (out.empty()) return all;
      all += out;
      for (char c : out) offset += c == 0;
    }
  }
};

TEST_F(NativeFilesTest, DirectoriesListInByteOrderWithOverflow) {
  dk_handle_t d = open(p1, "dir:/data/sub", DK_ACCESS_RDONLY, DK_CREATE_TRY);
  ASSERT_NE(d, 0u);
  EXPECT_TRUE(fs::is_directory(tree.root / "rw/sub"));
  EXPECT_EQ(open_status(p1, "dir:/data/sub", DK_ACCESS_RDONLY, DK_CREATE_ALWAYS), -DK_E_EXIST);
  for (const char* n : {"b", "a", "C", "long-name-here"})
    ASSERT_NE(open(p1, std::string("file:/data/sub/") + n, DK_ACCESS_RDWR, DK_CREATE_TRY), 0u);
  ASSERT_NE(open(p1, "dir:/data/sub/z", DK_ACCESS_RDONLY, DK_CREATE_TRY), 0u);
  EXPECT_EQ(list(p1, d), std::string("C\0a\0b\0long-name-here\0z\0", 23));
  std::string out;
  uint64_t count = 0;
  EXPECT_EQ(read(p1, d, 5, out, 3, &count), -DK_E_OVERFLOW);
  EXPECT_EQ(count, 15u);  // the room "long-name-here" needs
  EXPECT_EQ(read(p1, d, 6, out, 0), 0);
  EXPECT_EQ(out, std::string("C\0a\0b\0", 6));
  // Non-empty directories are not deleted.
  EXPECT_EQ(DkStreamDelete(p1, d, DK_DELETE_ALL), -DK_E_EXIST);
  // Mapping points show in the directory above them.
  dk_handle_t root = open(p1, "dir:/", DK_ACCESS_RDONLY);
  ASSERT_NE(root, 0u);
  EXPECT_EQ(list(p1, root), std::string("data\0ro\0", 8));
  // Symlinks are not listed.
  fs::create_symlink("/etc/passwd", tree.root / "rw/sub/link");
  EXPECT_EQ(list(p1, d), std::string("C\0a\0b\0long-name-here\0z\0", 23));
}

TEST_F(NativeFilesTest, PolicyRefusals) {
  tree.put("outside/secret", "secret");
  fs::create_symlink(tree.root / "outside/secret", tree.root / "rw/escape");
  fs::create_symlink(tree.root / "outside", tree.root / "rw/escdir");
  fs::create_symlink("/etc/passwd", tree.root / "rw/passwd");
  // Symlinks leading out of the mapping, as a file or in the middle of a path.
  EXPECT_EQ(open_status(p1, "file:/data/escape", DK_ACCESS_RDONLY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/data/escdir/secret", DK_ACCESS_RDONLY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/data/passwd", DK_ACCESS_RDONLY), -DK_E_ACCESS);
  dk_status_t st = 0;
  query(p1, "file:/data/escape", &st);
  EXPECT_EQ(st, -DK_E_ACCESS);
  // A symlink inside the mapping is fine.
  tree.put("rw/real", "real");
  fs::create_symlink("real", tree.root / "rw/alias");
  dk_handle_t h = open(p1, "file:/data/alias", DK_ACCESS_RDONLY);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(read_all(p1, h), "real");
  // '..' above the root, spelled plainly or escaped.
  EXPECT_EQ(open_status(p1, "file:/data/../../etc/passwd", DK_ACCESS_RDONLY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/data/%2e%2e/%2e%2e/x", DK_ACCESS_RDONLY), -DK_E_ACCESS);
  // '..' inside the namespace lands outside the mapping: the (empty) package view.
  EXPECT_EQ(open_status(p1, "file:/data/../outside/secret", DK_ACCESS_RDONLY), -DK_E_NOENT);
  // Writing where nothing writable is mapped.
  EXPECT_EQ(open_status(p1, "file:/elsewhere", DK_ACCESS_RDWR, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "package:/x", DK_ACCESS_RDWR, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "dev:null", DK_ACCESS_RDWR), 0);  // implicit grant
  EXPECT_FALSE(fs::exists(tree.root / "elsewhere"));
}

TEST_F(NativeFilesTest, ReadOnlyMapping) {
  tree.put("ro/readme", "read me");
  dk_handle_t h = open(p1, "file:/ro/readme", DK_ACCESS_RDONLY);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(read_all(p1, h), "read me");
  dk_stream_attr a = attr_of(p1, h);
  EXPECT_EQ(a.readable, 1u);
  EXPECT_EQ(a.writable, 0u);
  EXPECT_EQ(write(p1, h, "x"), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamSetLength(p1, h, 0), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/ro/readme", DK_ACCESS_RDWR), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/ro/new", DK_ACCESS_RDONLY, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "dir:/ro/newdir", DK_ACCESS_RDONLY, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/ro/moved")), -DK_E_ACCESS);
  EXPECT_EQ(query(p1, "file:/ro/readme").writable, 0u);
  EXPECT_EQ(tree.get("ro/readme"), "read me");
  EXPECT_FALSE(fs::exists(tree.root / "ro/new"));
  // Renames do not cross mappings.
  dk_handle_t w = open(p1, "file:/data/w", DK_ACCESS_RDWR, DK_CREATE_TRY);
  EXPECT_EQ(DkStreamChangeName(p1, w, p1.str("file:/ro/w")), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamChangeName(p1, w, p1.str("dir:/data/w2")), -DK_E_ACCESS);
}

TEST_F(NativeFilesTest, SharedMappingIsWrittenBack) {
  tree.put("rw/map", std::string(5000, 'a'));
  dk_handle_t h = open(p1, "file:/data/map");
  ASSERT_NE(h, 0u);
  uint64_t addr = p1.u64(0);
  ASSERT_EQ(DkStreamMap(p1, h, addr, DK_PROT_READ | DK_PROT_WRITE | DK_MAP_SHARED, 0, 5000), 0);
  const uint64_t at = p1.get64(addr);
  EXPECT_EQ(p1.bytes(at, 3), "aaa");
  p1.mem.poke(at + 1, "XY", 2);
  EXPECT_EQ(DkStreamFlush(p1, h), 0);
  EXPECT_EQ(tree.get("rw/map").substr(0, 4), "aXYa");
  EXPECT_EQ(tree.get("rw/map").size(), 5000u);  // never past the file's length
  // A private mapping is a copy.
  uint64_t addr2 = p1.u64(0);
  ASSERT_EQ(DkStreamMap(p1, h, addr2, DK_PROT_READ | DK_PROT_WRITE, 0, 4096), 0);
  p1.mem.poke(p1.get64(addr2), "ZZ", 2);
  EXPECT_EQ(DkStreamUnmap(p1, p1.get64(addr2), 4096), 0);
  EXPECT_EQ(DkStreamUnmap(p1, at, 8192), 0);
  EXPECT_EQ(tree.get("rw/map").substr(0, 4), "aXYa");
}

TEST_F(NativeFilesTest, InjectedHostErrorsMapToStatuses) {
  dk_handle_t h = open(p1, "file:/data/e", DK_ACCESS_RDWR, DK_CREATE_TRY);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(write(p1, h, "before"), 0);
  inject(HostOp::Write, ENOSPC);
  uint64_t done = 99;
  EXPECT_EQ(write(p1, h, "lost", 0, &done), -DK_E_QUOTA);
  EXPECT_EQ(done, 4u);  // the count is not reported as written
  inject(HostOp::Write, EDQUOT);
  EXPECT_EQ(write(p1, h, "lost"), -DK_E_QUOTA);
  inject(HostOp::Read, EIO);
  std::string out;
  EXPECT_EQ(read(p1, h, 10, out), -DK_E_BUSY);
  inject(HostOp::Sync, EIO);
  EXPECT_EQ(DkStreamFlush(p1, h), -DK_E_BUSY);
  inject(HostOp::Open, EMFILE);
  EXPECT_EQ(open_status(p1, "file:/data/e", DK_ACCESS_RDONLY), -DK_E_QUOTA);
  inject(HostOp::Truncate, EFBIG);
  EXPECT_EQ(DkStreamSetLength(p1, h, 10), -DK_E_NOMEM);
  inject(HostOp::Unlink, EBUSY);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), -DK_E_BUSY);
  inject(HostOp::Rename, EXDEV);
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/data/e2")), -DK_E_ACCESS);
  stop_injecting();
  EXPECT_EQ(read_all(p1, h), "before");  // nothing half-written
}

TEST_F(NativeFilesTest, DevicesTimeRandomAndSystemInfo) {
  dk_handle_t c = open(p1, "dev:console", DK_ACCESS_WRONLY);
  ASSERT_NE(c, 0u);
  EXPECT_EQ(write(p1, c, "to the console\n"), 0);
  EXPECT_EQ(console_out, "to the console\n");
  dk_handle_t z = open(p1, "dev:zero", DK_ACCESS_RDONLY);
  EXPECT_EQ(read_all(p1, z, 4), std::string(4, '\0'));
  dk_handle_t n = open(p1, "dev:null", DK_ACCESS_RDWR);
  EXPECT_EQ(write(p1, n, "gone"), 0);
  EXPECT_EQ(read_all(p1, n), "");
  // Real time: after 2020, and moving forward.
  uint64_t t = p1.u64(0);
  ASSERT_EQ(DkSystemTimeQuery(p1, t), 0);
  EXPECT_GT(p1.get64(t), 1577836800ull * 1000000000ull);
  // Random bits from getrandom: two reads differ.
  uint64_t b1 = p1.alloc(32), b2 = p1.alloc(32);
  ASSERT_EQ(DkRandomBitsRead(p1, b1, 32), 0);
  ASSERT_EQ(DkRandomBitsRead(p1, b2, 32), 0);
  EXPECT_NE(p1.bytes(b1, 32), p1.bytes(b2, 32));
  uint64_t info = p1.alloc(sizeof(dk_system_info));
  ASSERT_EQ(DkSystemInfoQuery(p1, info, sizeof(dk_system_info)), 0);
  dk_system_info si;
  p1.mem.peek(info, &si, sizeof si);
  EXPECT_STREQ(si.host_name, "native");
  // Debug output goes to the log, never to the console.
  uint64_t msg = p1.put("dbg", 3);
  EXPECT_EQ(DkDebugOutput(p1, msg, 3), 0);
  EXPECT_EQ(debug, "dbg");
}

// The console is the launch's dk::Console on the native host too: reads come from it, writes
// go to its out and err sides (the boot info's stderr binding), nothing from dk's own stdio.
TEST(NativeConsole, ReadsAndWritesTheLaunchConsole) {
  CapturedConsole console("typed");
  NativeWorld w([&](HostLaunch& l) { l.console = &console; });
  Proc& p = w.p1;
  dk_handle_t c = w.open(p, "dev:console");
  ASSERT_NE(c, 0u);
  std::string in;
  EXPECT_EQ(w.read(p, c, 100, in), 0);
  EXPECT_EQ(in, "typed");
  EXPECT_EQ(w.read(p, c, 100, in), 0);
  EXPECT_EQ(in, "");  // end of input, not a wait on dk's stdin
  EXPECT_EQ(w.write(p, c, "out"), 0);
  dk_handle_t err = w.open(p, "dev:console", DK_ACCESS_WRONLY);
  CallContext cx{p.mem, p.ctl, p.handles, p.pid};
  w.host.bind_std_handle(cx, 2, err);
  EXPECT_EQ(w.write(p, err, "oops"), 0);
  EXPECT_EQ(console.out, "out");
  EXPECT_EQ(console.err, "oops");
  EXPECT_EQ(w.console_out, "");  // the world's own console was replaced
}

TEST_F(NativeFilesTest, DelaysUseTheMonotonicClock) {
  uint64_t ns = p1.u64(20'000'000);
  const uint64_t before = NativeHost::monotonic_ns();
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), kBlocked);
  const uint64_t deadline = p1.ctl.blocks.back();
  EXPECT_GE(deadline, before + 20'000'000);
  // Nothing armed: idle() sleeps until the deadline, so the retry completes (a retry before
  // the deadline would park again).
  EXPECT_TRUE(host.idle(deadline));
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), 0);
  // With nothing armed and no deadline, idle() refuses to wait forever.
  EXPECT_FALSE(host.idle(kNoDeadline));
}

}  // namespace
}  // namespace dk::hosttest
