// NativeHost files and directories through the real Dispatcher on a temporary folder mapped
// by a Namespace: create, read, write, append, rename, delete, list, attributes and names;
// refusals by policy (unmapped paths, '..', symlinks leading out of the mapping, read-only
// mappings); shared mappings written back; host errors injected through the seam.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "native_test_world.h"

namespace dk::nativetest {
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

TEST_F(NativeFilesTest, CreateWriteReadRenameDelete) {
  dk_handle_t h = open(p1, "file:/data/notes.txt", DK_ACCESS_RDWR, DK_CREATE_TRY);
  ASSERT_NE(h, 0u);
  uint64_t done = 0;
  EXPECT_EQ(write(p1, h, "hello native", 0, &done), 0);
  EXPECT_EQ(done, 12u);
  EXPECT_EQ(tree.get("rw/notes.txt"), "hello native");  // a real file
  EXPECT_EQ(read_all(p1, h), "hello native");
  std::string part;
  EXPECT_EQ(read(p1, h, 6, part, 6), 0);
  EXPECT_EQ(part, "native");
  EXPECT_EQ(read(p1, h, 6, part, 100), 0);
  EXPECT_EQ(part, "");
  // A gap reads as zeros.
  EXPECT_EQ(write(p1, h, "!", 14), 0);
  EXPECT_EQ(read_all(p1, h), std::string("hello native\0\0!", 15));
  EXPECT_EQ(attr_of(p1, h).size, 15u);
  EXPECT_EQ(attr_of(p1, h).type, uint32_t{DK_STREAM_FILE});
  // Names are virtual, never host paths.
  EXPECT_EQ(name_of(p1, h), "file:/data/notes.txt");
  // Rename within the mapping: the handle follows.
  EXPECT_EQ(call(p1, 34, h, p1.str("file:/data/renamed.txt")), 0);
  EXPECT_EQ(name_of(p1, h), "file:/data/renamed.txt");
  EXPECT_FALSE(fs::exists(tree.root / "rw/notes.txt"));
  EXPECT_TRUE(fs::exists(tree.root / "rw/renamed.txt"));
  // Set length, flush (fsync), delete; the open handle keeps the unlinked file.
  EXPECT_EQ(call(p1, 26, h, 5), 0);
  EXPECT_EQ(tree.get("rw/renamed.txt"), "hello");
  EXPECT_EQ(call(p1, 27, h), 0);
  EXPECT_EQ(call(p1, 28, h, DK_DELETE_ALL), 0);
  EXPECT_FALSE(fs::exists(tree.root / "rw/renamed.txt"));
  EXPECT_EQ(read_all(p1, h), "hello");
  EXPECT_EQ(call(p1, 28, h, DK_DELETE_ALL), -DK_E_NOENT);  // already gone
}

TEST_F(NativeFilesTest, CreateFlagsAppendAndTruncate) {
  EXPECT_EQ(open_status(p1, "file:/data/missing"), -DK_E_NOENT);
  dk_handle_t h = open(p1, "file:/data/f", DK_ACCESS_WRONLY, DK_CREATE_ALWAYS);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(open_status(p1, "file:/data/f", DK_ACCESS_RDWR, DK_CREATE_ALWAYS), -DK_E_EXIST);
  EXPECT_EQ(write(p1, h, "12345"), 0);
  std::string out;
  EXPECT_EQ(read(p1, h, 10, out), -DK_E_ACCESS);  // write-only
  dk_handle_t a = open(p1, "file:/data/f", DK_ACCESS_WRONLY | DK_ACCESS_APPEND);
  ASSERT_NE(a, 0u);
  EXPECT_EQ(write(p1, a, "67", 0), 0);  // the offset is ignored: at the end
  EXPECT_EQ(tree.get("rw/f"), "1234567");
  dk_handle_t t = open(p1, "file:/data/f", DK_ACCESS_RDWR, DK_CREATE_TRUNCATE);
  ASSERT_NE(t, 0u);
  EXPECT_EQ(attr_of(p1, t).size, 0u);
  EXPECT_EQ(open_status(p1, "file:/data/f", DK_ACCESS_RDONLY, DK_CREATE_TRUNCATE), -DK_E_INVAL);
  EXPECT_EQ(open_status(p1, "file:/data/f", DK_ACCESS_RDONLY | DK_ACCESS_APPEND), -DK_E_INVAL);
  // Kinds: a file is not a directory and the other way round.
  EXPECT_EQ(open_status(p1, "dir:/data/f", DK_ACCESS_RDONLY), -DK_E_NOTDIR);
  EXPECT_EQ(open_status(p1, "file:/data", DK_ACCESS_RDONLY), -DK_E_ISDIR);
  EXPECT_EQ(open_status(p1, "dir:/data", DK_ACCESS_RDWR), -DK_E_ISDIR);
  EXPECT_EQ(open_status(p1, "file:/data/f/x", DK_ACCESS_RDONLY), -DK_E_NOTDIR);
  EXPECT_EQ(open_status(p1, "file:/data/nodir/x", DK_ACCESS_RDWR, DK_CREATE_TRY), -DK_E_NOENT);
}

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
  EXPECT_EQ(call(p1, 28, d, DK_DELETE_ALL), -DK_E_EXIST);
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
  EXPECT_EQ(call(p1, 26, h, 0), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/ro/readme", DK_ACCESS_RDWR), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/ro/new", DK_ACCESS_RDONLY, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "dir:/ro/newdir", DK_ACCESS_RDONLY, DK_CREATE_TRY), -DK_E_ACCESS);
  EXPECT_EQ(call(p1, 28, h, DK_DELETE_ALL), -DK_E_ACCESS);
  EXPECT_EQ(call(p1, 34, h, p1.str("file:/ro/moved")), -DK_E_ACCESS);
  EXPECT_EQ(query(p1, "file:/ro/readme").writable, 0u);
  EXPECT_EQ(tree.get("ro/readme"), "read me");
  EXPECT_FALSE(fs::exists(tree.root / "ro/new"));
  // Renames do not cross mappings.
  dk_handle_t w = open(p1, "file:/data/w", DK_ACCESS_RDWR, DK_CREATE_TRY);
  EXPECT_EQ(call(p1, 34, w, p1.str("file:/ro/w")), -DK_E_ACCESS);
  EXPECT_EQ(call(p1, 34, w, p1.str("dir:/data/w2")), -DK_E_ACCESS);
}

TEST_F(NativeFilesTest, AttributesByPath) {
  tree.put("rw/five", "12345");
  dk_status_t st = 0;
  dk_stream_attr a = query(p1, "file:/data/five", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(a.type, uint32_t{DK_STREAM_FILE});
  EXPECT_EQ(a.size, 5u);
  EXPECT_EQ(a.writable, 1u);
  a = query(p1, "dir:/data", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(a.type, uint32_t{DK_STREAM_DIR});
  query(p1, "file:/data/none", &st);
  EXPECT_EQ(st, -DK_E_NOENT);
  // The mode given at creation is the file's.
  dk_handle_t h = open(p1, "file:/data/m", DK_ACCESS_RDWR, DK_CREATE_TRY, 0, 0600);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(attr_of(p1, h).share, 0600u);
}

TEST_F(NativeFilesTest, RenameRules) {
  tree.put("rw/a", "A");
  tree.put("rw/b", "B");
  fs::create_directories(tree.root / "rw/d");
  dk_handle_t a = open(p1, "file:/data/a");
  dk_handle_t d = open(p1, "dir:/data/d", DK_ACCESS_RDONLY);
  ASSERT_NE(a, 0u);
  ASSERT_NE(d, 0u);
  EXPECT_EQ(call(p1, 34, a, p1.str("file:/data/d")), -DK_E_EXIST);       // over a directory
  EXPECT_EQ(call(p1, 34, d, p1.str("dir:/data/d/inner")), -DK_E_INVAL);  // into itself
  EXPECT_EQ(call(p1, 34, a, p1.str("file:/data/b")), 0);                 // a file replaces a file
  EXPECT_EQ(tree.get("rw/b"), "A");
  EXPECT_EQ(call(p1, 34, a, p1.str("file:/data/nodir/x")), -DK_E_NOENT);
  EXPECT_EQ(call(p1, 28, d, DK_DELETE_ALL), 0);  // empty: removed
  EXPECT_FALSE(fs::exists(tree.root / "rw/d"));
}

TEST_F(NativeFilesTest, SharedMappingIsWrittenBack) {
  tree.put("rw/map", std::string(5000, 'a'));
  dk_handle_t h = open(p1, "file:/data/map");
  ASSERT_NE(h, 0u);
  uint64_t addr = p1.u64(0);
  ASSERT_EQ(call(p1, 24, h, addr, DK_PROT_READ | DK_PROT_WRITE | DK_MAP_SHARED, 0, 5000), 0);
  const uint64_t at = p1.get64(addr);
  EXPECT_EQ(p1.bytes(at, 3), "aaa");
  p1.mem.poke(at + 1, "XY", 2);
  EXPECT_EQ(call(p1, 27, h), 0);
  EXPECT_EQ(tree.get("rw/map").substr(0, 4), "aXYa");
  EXPECT_EQ(tree.get("rw/map").size(), 5000u);  // never past the file's length
  // A private mapping is a copy.
  uint64_t addr2 = p1.u64(0);
  ASSERT_EQ(call(p1, 24, h, addr2, DK_PROT_READ | DK_PROT_WRITE, 0, 4096), 0);
  p1.mem.poke(p1.get64(addr2), "ZZ", 2);
  EXPECT_EQ(call(p1, 25, p1.get64(addr2), 4096), 0);
  EXPECT_EQ(call(p1, 25, at, 8192), 0);
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
  EXPECT_EQ(call(p1, 27, h), -DK_E_BUSY);
  inject(HostOp::Open, EMFILE);
  EXPECT_EQ(open_status(p1, "file:/data/e", DK_ACCESS_RDONLY), -DK_E_QUOTA);
  inject(HostOp::Truncate, EFBIG);
  EXPECT_EQ(call(p1, 26, h, 10), -DK_E_NOMEM);
  inject(HostOp::Unlink, EBUSY);
  EXPECT_EQ(call(p1, 28, h, DK_DELETE_ALL), -DK_E_BUSY);
  inject(HostOp::Rename, EXDEV);
  EXPECT_EQ(call(p1, 34, h, p1.str("file:/data/e2")), -DK_E_ACCESS);
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
  ASSERT_EQ(call(p1, 39, t), 0);
  EXPECT_GT(p1.get64(t), 1577836800ull * 1000000000ull);
  // Random bits from getrandom: two reads differ.
  uint64_t b1 = p1.alloc(32), b2 = p1.alloc(32);
  ASSERT_EQ(call(p1, 40, b1, 32), 0);
  ASSERT_EQ(call(p1, 40, b2, 32), 0);
  EXPECT_NE(p1.bytes(b1, 32), p1.bytes(b2, 32));
  uint64_t info = p1.alloc(sizeof(dk_system_info));
  ASSERT_EQ(call(p1, 44, info, sizeof(dk_system_info)), 0);
  dk_system_info si;
  p1.mem.peek(info, &si, sizeof si);
  EXPECT_STREQ(si.host_name, "native");
  // Debug output goes to the log, never to the console.
  uint64_t msg = p1.put("dbg", 3);
  EXPECT_EQ(call(p1, 45, msg, 3), 0);
  EXPECT_EQ(debug, "dbg");
}

TEST_F(NativeFilesTest, DelaysUseTheMonotonicClock) {
  uint64_t ns = p1.u64(20'000'000);
  const uint64_t before = NativeHost::monotonic_ns();
  EXPECT_EQ(call(p1, 6, ns), kBlocked);
  const uint64_t deadline = p1.ctl.blocks.back();
  EXPECT_GE(deadline, before + 20'000'000);
  // Nothing armed: idle() sleeps until the deadline, so the retry completes (a retry before
  // the deadline would park again).
  EXPECT_TRUE(host.idle(deadline));
  EXPECT_EQ(call(p1, 6, ns), 0);
  // With nothing armed and no deadline, idle() refuses to wait forever.
  EXPECT_FALSE(host.idle(kNoDeadline));
}

}  // namespace
}  // namespace dk::nativetest
