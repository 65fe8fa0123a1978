// SimHost files and directories (calls 21-34 on file:, dir:, package:): the overlay over a
// host folder that is never written, create flags, access modes, offsets, append, truncate,
// directory listings with OVERFLOW, map/unmap, set-length, delete, rename, attributes and
// names, and the namespace seam. Simulated only: each is about the overlay over a host folder
// (never written), package:, mounts or the simulated devices; the file calls both hosts
// agree on run on both in host_files_test.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sim_test_world.h"

namespace dk::hosttest {
namespace {

namespace fs = std::filesystem;

// A host folder with a few files, removed after the test.
struct HostFolder {
  HostFolder() {
    path = fs::temp_directory_path() /
           ("dk-sim-files-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path / "docs" / "deep");
    put("hello.txt", "hello from the host\n");
    put("docs/a.txt", "AAAA");
    put("docs/b.txt", "BB");
    put("docs/deep/z", "z");
    fs::create_symlink("/etc/passwd", path / "escape");
  }
  ~HostFolder() { fs::remove_all(path); }
  void put(const std::string& rel, const std::string& text) {
    std::ofstream(path / rel, std::ios::binary) << text;
  }
  std::string get(const std::string& rel) {
    std::ifstream in(path / rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path path;
  static inline int counter = 0;
};

HostLaunch launch_for(const HostFolder& f) {
  HostLaunch l;
  l.root = f.path.string();
  return l;
}

class SimFilesTest : public SimTest {
 protected:
  SimFilesTest() : SimTest(launch_for(folder)) {}
  dk_stream_attr query(const std::string& uri, dk_status_t* st = nullptr) {
    uint64_t a = p1.alloc(sizeof(dk_stream_attr));
    dk_status_t s = DkStreamAttributesQuery(p1, p1.str(uri), a);
    if (st) *st = s;
    dk_stream_attr out{};
    p1.mem.peek(a, &out, sizeof out);
    return out;
  }
  std::string list(dk_handle_t dir) {
    std::string out, all;
    uint64_t offset = 0;
    for (;;) {
      EXPECT_EQ(read(p1, dir, 4096, out, offset), 0);
      if (out.empty()) return all;
      all += out;
      for (char c : out) offset += c == 0;
    }
  }
  static inline HostFolder folder;
};

TEST_F(SimFilesTest, ReadsHostFilesAndNeverWritesThem) {
  dk_handle_t h = open(p1, "file:/hello.txt", DK_ACCESS_RDWR);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(read_all(p1, h), "hello from the host\n");
  std::string part;
  EXPECT_EQ(read(p1, h, 4, part, 6), 0);
  EXPECT_EQ(part, "from");
  EXPECT_EQ(read(p1, h, 4, part, 1000), 0);  // past the end: 0 bytes
  EXPECT_EQ(part, "");
  uint64_t done = 0;
  EXPECT_EQ(write(p1, h, "HELLO", 0, &done), 0);
  EXPECT_EQ(done, 5u);
  EXPECT_EQ(read_all(p1, h), "HELLO from the host\n");
  EXPECT_EQ(folder.get("hello.txt"), "hello from the host\n");
  // Both URI spellings name the same file.
  dk_handle_t h2 = open(p1, "file:///hello.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(read_all(p1, h2), "HELLO from the host\n");
  // package: is the host folder as it is, read-only.
  dk_handle_t pk = open(p1, "package:/hello.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(read_all(p1, pk), "hello from the host\n");
  EXPECT_EQ(open_status(p1, "package:/hello.txt", DK_ACCESS_RDWR), -DK_E_ACCESS);
}

TEST_F(SimFilesTest, CreateFlags) {
  EXPECT_EQ(open_status(p1, "file:/new.txt"), -DK_E_NOENT);
  dk_handle_t h = open(p1, "file:/new.txt", DK_ACCESS_RDWR, DK_CREATE_TRY, 0, 0600);
  ASSERT_NE(h, 0u);
  EXPECT_EQ(attr_of(p1, h).share, 0600u);
  EXPECT_EQ(write(p1, h, "12345"), 0);
  EXPECT_EQ(open_status(p1, "file:/new.txt", DK_ACCESS_RDWR, DK_CREATE_ALWAYS), -DK_E_EXIST);
  dk_handle_t t = open(p1, "file:/new.txt", DK_ACCESS_RDWR, DK_CREATE_TRY | DK_CREATE_TRUNCATE);
  ASSERT_NE(t, 0u);
  EXPECT_EQ(attr_of(p1, h).size, 0u);
  EXPECT_EQ(open_status(p1, "file:/new.txt", DK_ACCESS_RDONLY, DK_CREATE_TRUNCATE), -DK_E_INVAL);
  EXPECT_EQ(open_status(p1, "file:/nodir/x", DK_ACCESS_RDWR, DK_CREATE_TRY), -DK_E_NOENT);
  EXPECT_EQ(open_status(p1, "file:/hello.txt/x", DK_ACCESS_RDWR, DK_CREATE_TRY), -DK_E_NOTDIR);
  EXPECT_EQ(open_status(p1, "file:/docs"), -DK_E_ISDIR);
  EXPECT_EQ(open_status(p1, "dir:/hello.txt", DK_ACCESS_RDONLY), -DK_E_NOTDIR);
  EXPECT_EQ(open_status(p1, "file:/x", DK_ACCESS_RDWR, DK_CREATE_TRY | DK_CREATE_ALWAYS),
            -DK_E_INVAL);
  EXPECT_EQ(open_status(p1, "file:/x", 3), -DK_E_INVAL);
  EXPECT_EQ(open_status(p1, "file:relative"), -DK_E_INVAL);
  EXPECT_EQ(open_status(p1, "file:/../../etc/passwd"), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "file:/" + std::string(5000, 'a')), -DK_E_NAMETOOLONG);
  EXPECT_FALSE(fs::exists(folder.path / "new.txt"));
}

TEST_F(SimFilesTest, SymlinksUnderTheRootAreNotVisible) {
  EXPECT_EQ(open_status(p1, "file:/escape", DK_ACCESS_RDONLY), -DK_E_NOENT);
  dk_status_t st;
  query("file:/escape", &st);
  EXPECT_EQ(st, -DK_E_NOENT);
}

TEST_F(SimFilesTest, AccessModesAndAppend) {
  dk_handle_t ro = open(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(write(p1, ro, "x"), -DK_E_ACCESS);
  dk_handle_t wo = open(p1, "file:/docs/a.txt", DK_ACCESS_WRONLY);
  std::string out;
  EXPECT_EQ(read(p1, wo, 10, out), -DK_E_ACCESS);
  dk_handle_t ap = open(p1, "file:/docs/a.txt", DK_ACCESS_WRONLY | DK_ACCESS_APPEND);
  EXPECT_EQ(write(p1, ap, "++", 0), 0);
  EXPECT_EQ(write(p1, ap, "--", 1), 0);  // the offset does not matter with APPEND
  EXPECT_EQ(read_all(p1, ro), "AAAA++--");
  EXPECT_EQ(open_status(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY | DK_ACCESS_APPEND), -DK_E_INVAL);
  // Sparse write: the gap reads as zeros.
  dk_handle_t rw = open(p1, "file:/sparse", DK_ACCESS_RDWR, DK_CREATE_TRY);
  EXPECT_EQ(write(p1, rw, "x", 4), 0);
  EXPECT_EQ(read_all(p1, rw), std::string("\0\0\0\0x", 5));
}

TEST_F(SimFilesTest, DirectoriesListInByteOrderWithOffsetsAndOverflow) {
  dk_handle_t d = open(p1, "dir:/docs", DK_ACCESS_RDONLY);
  ASSERT_NE(d, 0u);
  EXPECT_EQ(list(d), std::string("a.txt\0b.txt\0deep\0", 17));
  // Overlay changes show up: a created file and directory, a deleted one.
  ASSERT_NE(open(p1, "file:/docs/C", DK_ACCESS_RDWR, DK_CREATE_TRY), 0u);
  dk_handle_t sub = open(p1, "dir:/docs/sub", DK_ACCESS_RDONLY, DK_CREATE_TRY);
  ASSERT_NE(sub, 0u);
  dk_handle_t b = open(p1, "file:/docs/b.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(DkStreamDelete(p1, b, DK_DELETE_ALL), 0);
  EXPECT_EQ(list(d), std::string("C\0a.txt\0deep\0sub\0", 17));
  // Offset counts entries; room for exactly one entry.
  std::string out;
  EXPECT_EQ(read(p1, d, 6, out, 1), 0);
  EXPECT_EQ(out, std::string("a.txt\0", 6));
  uint64_t need = 0;
  EXPECT_EQ(read(p1, d, 5, out, 1, &need), -DK_E_OVERFLOW);
  EXPECT_EQ(need, 6u);
  EXPECT_EQ(read(p1, d, 100, out, 4), 0);  // past the last entry
  EXPECT_EQ(out, "");
  EXPECT_EQ(write(p1, d, "x"), -DK_E_ACCESS);
  EXPECT_EQ(open_status(p1, "dir:/docs", DK_ACCESS_RDWR), -DK_E_ISDIR);
  EXPECT_EQ(attr_of(p1, d).type, uint32_t{DK_STREAM_DIR});
  EXPECT_EQ(list(sub), "");
  // The root lists the host folder without the symlink.
  dk_handle_t root = open(p1, "dir:/", DK_ACCESS_RDONLY);
  EXPECT_EQ(list(root), std::string("docs\0hello.txt\0", 15));
}

TEST_F(SimFilesTest, DeleteFilesAndDirectories) {
  dk_handle_t h = open(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_READ), -DK_E_INVAL);
  EXPECT_EQ(DkStreamDelete(p1, h, 7), -DK_E_INVAL);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), 0);
  EXPECT_EQ(read_all(p1, h), "AAAA");  // an open handle keeps the unlinked file
  EXPECT_EQ(open_status(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY), -DK_E_NOENT);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), -DK_E_NOENT);
  dk_handle_t deep = open(p1, "dir:/docs/deep", DK_ACCESS_RDONLY);
  EXPECT_EQ(DkStreamDelete(p1, deep, DK_DELETE_ALL), -DK_E_EXIST);  // not empty
  dk_handle_t z = open(p1, "file:/docs/deep/z", DK_ACCESS_RDONLY);
  EXPECT_EQ(DkStreamDelete(p1, z, DK_DELETE_ALL), 0);
  EXPECT_EQ(DkStreamDelete(p1, deep, DK_DELETE_ALL), 0);
  EXPECT_TRUE(fs::exists(folder.path / "docs" / "deep" / "z"));
  EXPECT_EQ(DkStreamDelete(p1, 0x999, 0), -DK_E_BADHANDLE);
  EXPECT_EQ(DkStreamDelete(p1, open(p1, "dev:null"), 0), -DK_E_WRONGTYPE);
}

TEST_F(SimFilesTest, RenameWithinTheTree) {
  dk_handle_t h = open(p1, "file:/docs/a.txt", DK_ACCESS_RDWR);
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/docs/deep/moved")), 0);
  EXPECT_EQ(name_of(p1, h), "file:/docs/deep/moved");
  EXPECT_EQ(open_status(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY), -DK_E_NOENT);
  EXPECT_EQ(read_all(p1, open(p1, "file:/docs/deep/moved", DK_ACCESS_RDONLY)), "AAAA");
  // Over an existing file: replaced.
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/docs/b.txt")), 0);
  EXPECT_EQ(read_all(p1, open(p1, "file:/docs/b.txt", DK_ACCESS_RDONLY)), "AAAA");
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/nowhere/x")), -DK_E_NOENT);
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("dir:/x")), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("bogus")), -DK_E_INVAL);
  // A directory moves with its entries, but not into itself.
  dk_handle_t d = open(p1, "dir:/docs", DK_ACCESS_RDONLY);
  EXPECT_EQ(DkStreamChangeName(p1, d, p1.str("dir:/docs/deep/docs")), -DK_E_INVAL);
  EXPECT_EQ(DkStreamChangeName(p1, d, p1.str("dir:/papers")), 0);
  EXPECT_EQ(read_all(p1, open(p1, "file:/papers/deep/z", DK_ACCESS_RDONLY)), "z");
  EXPECT_EQ(DkStreamChangeName(p1, open(p1, "dev:null"), p1.str("dev:zero")), -DK_E_WRONGTYPE);
  EXPECT_TRUE(fs::exists(folder.path / "docs" / "a.txt"));
}

TEST_F(SimFilesTest, SetLengthAndAttributes) {
  dk_handle_t h = open(p1, "file:/docs/a.txt", DK_ACCESS_RDWR);
  EXPECT_EQ(DkStreamSetLength(p1, h, 2), 0);
  EXPECT_EQ(read_all(p1, h), "AA");
  EXPECT_EQ(DkStreamSetLength(p1, h, 6), 0);
  EXPECT_EQ(read_all(p1, h), std::string("AA\0\0\0\0", 6));
  dk_stream_attr a = attr_of(p1, h);
  EXPECT_EQ(a.type, uint32_t{DK_STREAM_FILE});
  EXPECT_EQ(a.size, 6u);
  EXPECT_EQ(a.readable, 1u);
  EXPECT_EQ(a.writable, 1u);
  EXPECT_EQ(DkStreamSetLength(p1, open(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY), 1), -DK_E_ACCESS);
  EXPECT_EQ(DkStreamSetLength(p1, open(p1, "dir:/docs", DK_ACCESS_RDONLY), 1), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkStreamSetLength(p1, h, 1ull << 40), -DK_E_NOMEM);
  // By URI, without opening.
  dk_status_t st;
  dk_stream_attr q = query("file:/docs/b.txt", &st);
  EXPECT_EQ(st, 0);
  EXPECT_EQ(q.size, 2u);
  EXPECT_EQ(query("dir:/docs", &st).type, uint32_t{DK_STREAM_DIR});
  query("file:/missing", &st);
  EXPECT_EQ(st, -DK_E_NOENT);
  EXPECT_EQ(query("package:/hello.txt").writable, 0u);
  EXPECT_EQ(query("dev:console").type, uint32_t{DK_STREAM_DEVICE});
  // Set by handle: share and nonblocking only.
  dk_stream_attr set = a;
  set.share = 0400;
  set.nonblocking = 1;
  set.size = 999;
  uint64_t sa = p1.put(&set, sizeof set);
  EXPECT_EQ(DkStreamAttributesSetByHandle(p1, h, sa), 0);
  a = attr_of(p1, h);
  EXPECT_EQ(a.share, 0400u);
  EXPECT_EQ(a.nonblocking, 1u);
  EXPECT_EQ(a.size, 6u);
  set.share = 01000;
  EXPECT_EQ(DkStreamAttributesSetByHandle(p1, h, p1.put(&set, sizeof set)), -DK_E_INVAL);
  uint64_t sem = p1.u64(0);
  ASSERT_EQ(DkSemaphoreCreate(p1, 0, 1, sem), 0);
  EXPECT_EQ(DkStreamAttributesSetByHandle(p1, p1.get64(sem), sa), -DK_E_WRONGTYPE);
}

TEST_F(SimFilesTest, GetNameGivesTheVirtualUri) {
  dk_handle_t h = open(p1, "file:///docs/./deep/../a.txt", DK_ACCESS_RDONLY);
  EXPECT_EQ(name_of(p1, h), "file:/docs/a.txt");
  uint64_t buf = p1.alloc(8);
  uint64_t size = p1.u64(8);
  EXPECT_EQ(DkStreamGetName(p1, h, buf, size), -DK_E_OVERFLOW);
  EXPECT_EQ(p1.get64(size), 17u);
  size = p1.u64(17);
  buf = p1.alloc(17);
  EXPECT_EQ(DkStreamGetName(p1, h, buf, size), 0);
  EXPECT_EQ(p1.bytes(buf, 17), std::string("file:/docs/a.txt\0", 17));
  EXPECT_EQ(name_of(p1, open(p1, "dev:///console")), "dev:console");
}

TEST_F(SimFilesTest, PrivateMapIsACopy) {
  dk_handle_t h = open(p1, "file:/docs/a.txt", DK_ACCESS_RDONLY);
  uint64_t addr = p1.u64(0);
  ASSERT_EQ(DkStreamMap(p1, h, addr, DK_PROT_READ | DK_PROT_WRITE, 0, 100), 0);
  uint64_t at = p1.get64(addr);
  EXPECT_EQ(at % DK_PAGE_SIZE, 0u);
  EXPECT_EQ(p1.bytes(at, 6), std::string("AAAA\0\0", 6));
  char x = 'x';
  ASSERT_TRUE(p1.mem.write(at, &x, 1));
  EXPECT_EQ(DkStreamUnmap(p1, at, 100), 0);
  EXPECT_EQ(p1.mem.prot_at(at), -1);
  EXPECT_EQ(read_all(p1, h), "AAAA");
  // Read-only mapping: the pages end with the asked protection.
  ASSERT_EQ(DkStreamMap(p1, h, addr = p1.u64(0), DK_PROT_READ, 0, 4096), 0);
  EXPECT_EQ(p1.mem.prot_at(p1.get64(addr)), int{DK_PROT_READ});
  // Errors.
  EXPECT_EQ(DkStreamMap(p1, h, p1.u64(0), DK_PROT_READ, 100, 4096), -DK_E_INVAL);
  EXPECT_EQ(DkStreamMap(p1, h, p1.u64(0), DK_PROT_READ, 0, 0), -DK_E_INVAL);
  EXPECT_EQ(DkStreamMap(p1, h, p1.u64(0), 0x40, 0, 4096), -DK_E_INVAL);
  EXPECT_EQ(DkStreamMap(p1, open(p1, "dev:zero"), p1.u64(0), DK_PROT_READ, 0, 4096),
            -DK_E_WRONGTYPE);
  EXPECT_EQ(DkStreamMap(p1, open(p1, "file:/docs/a.txt", DK_ACCESS_WRONLY), p1.u64(0), DK_PROT_READ,
                        0, 4096),
            -DK_E_ACCESS);
  EXPECT_EQ(DkStreamMap(p1, 0x999, p1.u64(0), DK_PROT_READ, 0, 4096), -DK_E_BADHANDLE);
}

TEST_F(SimFilesTest, SharedMapWritesBackOnFlushAndUnmap) {
  dk_handle_t h = open(p1, "file:/docs/b.txt", DK_ACCESS_RDWR);
  uint64_t addr = p1.u64(0);
  ASSERT_EQ(DkStreamMap(p1, h, addr, DK_PROT_READ | DK_PROT_WRITE | DK_MAP_SHARED, 0, 4096), 0);
  uint64_t at = p1.get64(addr);
  ASSERT_TRUE(p1.mem.write(at, "xy-beyond-eof", 13));
  EXPECT_EQ(DkStreamFlush(p1, h), 0);
  EXPECT_EQ(read_all(p1, h), "xy");  // up to the file's length
  ASSERT_TRUE(p1.mem.write(at, "Q", 1));
  EXPECT_EQ(DkStreamUnmap(p1, at, 4096), 0);
  EXPECT_EQ(read_all(p1, h), "Qy");
  EXPECT_EQ(folder.get("docs/b.txt"), "BB");
  // SHARED on a read-only stream is a private copy.
  dk_handle_t ro = open(p1, "file:/docs/b.txt", DK_ACCESS_RDONLY);
  ASSERT_EQ(
      DkStreamMap(p1, ro, addr = p1.u64(0), DK_PROT_READ | DK_PROT_WRITE | DK_MAP_SHARED, 0, 4096),
      0);
  ASSERT_TRUE(p1.mem.write(p1.get64(addr), "ZZ", 2));
  EXPECT_EQ(DkStreamUnmap(p1, p1.get64(addr), 4096), 0);
  EXPECT_EQ(read_all(p1, h), "Qy");
  EXPECT_EQ(DkStreamFlush(p1, 0x999), -DK_E_BADHANDLE);
}

// A namespace mapping of a host folder (HostLaunch::mappings): its entries and bytes appear at
// the virtual path, read at open time; writes stay in the overlay; the rest of the tree (an
// empty file system here) keeps what it had.
TEST(SimMounts, MappedHostFolderAppearsAtItsVirtualPath) {
  HostFolder host;
  HostLaunch l;
  l.mappings = {Mapping{"file:/data/in", "file:" + (host.path / "docs").string(), true, 0},
                Mapping{"file:/missing", "file:" + (host.path / "not-there").string(), true, 0}};
  SimWorld t(l);
  dk_handle_t a = t.open(t.p1, "file:/data/in/a.txt", DK_ACCESS_RDWR);
  ASSERT_NE(a, 0u);
  EXPECT_EQ(t.read_all(t.p1, a), "AAAA");
  dk_handle_t z = t.open(t.p1, "file:/data/in/deep/z", DK_ACCESS_RDONLY);
  ASSERT_NE(z, 0u);
  EXPECT_EQ(t.read_all(t.p1, z), "z");
  // The mount point and the directories on the way list like any others.
  dk_handle_t root = t.open(t.p1, "dir:/", DK_ACCESS_RDONLY);
  std::string names;
  ASSERT_EQ(t.read(t.p1, root, 4096, names, 0), 0);
  EXPECT_EQ(names, std::string("data\0", 5));
  dk_handle_t in = t.open(t.p1, "dir:/data/in", DK_ACCESS_RDONLY);
  ASSERT_EQ(t.read(t.p1, in, 4096, names, 0), 0);
  EXPECT_EQ(names, std::string("a.txt\0b.txt\0deep\0", 17));
  // Writes stay in memory: the host file keeps its bytes.
  EXPECT_EQ(t.write(t.p1, a, "xy", 0), 0);
  EXPECT_EQ(t.read_all(t.p1, a), "xyAA");
  EXPECT_EQ(host.get("docs/a.txt"), "AAAA");
  // Nothing outside the mapped folder is reachable through it, and a folder that cannot be
  // opened is not shown.
  EXPECT_EQ(t.open_status(t.p1, "file:/data/in/../../hello.txt", DK_ACCESS_RDONLY), -DK_E_NOENT);
  EXPECT_EQ(t.open_status(t.p1, "file:/missing/x", DK_ACCESS_RDONLY), -DK_E_NOENT);
  EXPECT_EQ(t.open_status(t.p1, "file:/hello.txt", DK_ACCESS_RDONLY), -DK_E_NOENT);
}

TEST(SimDevices, ConsoleNullAndZero) {
  CapturedConsole console("typed");
  HostLaunch l;
  l.console = &console;
  SimWorld t(l);
  dk_handle_t con = t.open(t.p1, "dev:console");
  ASSERT_NE(con, 0u);
  EXPECT_EQ(t.write(t.p1, con, "out"), 0);
  EXPECT_EQ(console.out, "out");
  std::string in;
  EXPECT_EQ(t.read(t.p1, con, 100, in), 0);
  EXPECT_EQ(in, "typed");
  dk_handle_t err = t.open(t.p1, "dev:console", DK_ACCESS_WRONLY);
  CallContext cx{t.p1.mem, t.p1.ctl, t.p1.handles, t.p1.pid};
  t.host.bind_std_handle(cx, 2, err);
  EXPECT_EQ(t.write(t.p1, err, "oops"), 0);
  EXPECT_EQ(console.err, "oops");
  EXPECT_EQ(t.read(t.p1, err, 10, in), -DK_E_ACCESS);
  dk_handle_t zero = t.open(t.p1, "dev:///zero");
  EXPECT_EQ(t.read(t.p1, zero, 3, in), 0);
  EXPECT_EQ(in, std::string(3, '\0'));
  dk_handle_t null = t.open(t.p1, "dev:null");
  EXPECT_EQ(t.read(t.p1, null, 3, in), 0);
  EXPECT_EQ(in, "");
  EXPECT_EQ(t.attr_of(t.p1, null).type, uint32_t{DK_STREAM_DEVICE});
  EXPECT_EQ(t.read(t.p1, null, 3, in, 5), -DK_E_INVAL);
  EXPECT_EQ(t.open_status(t.p1, "dev:null", DK_ACCESS_RDWR, DK_CREATE_ALWAYS), -DK_E_EXIST);
  EXPECT_EQ(t.open_status(t.p1, "dev:tty"), -DK_E_INVAL);
  EXPECT_EQ(t.open_status(t.p1, "self:"), -DK_E_INVAL);
  EXPECT_EQ(t.open_status(t.p1, "tmpfs:/x"), -DK_E_INVAL);
}

TEST_F(SimFilesTest, NamespacePolicySeamDecidesEveryOperation) {
  std::vector<std::string> seen;
  HostLaunch l = launch_for(folder);
  l.narrow = [&](const NamespaceRequest& r) -> dk_status_t {
    seen.push_back(std::to_string(static_cast<int>(r.op)) + " " + r.uri->str() + " " +
                   (r.access == Access::Write ? "w" : "r"));
    return r.uri->path == "/docs/b.txt" ? -DK_E_ACCESS : 0;
  };
  SimWorld w2(l);
  Proc p(7);
  uint64_t out = p.u64(0);
  EXPECT_EQ(w2.DkStreamOpen(p, p.str("file:/docs/b.txt"), 0, 0, 0, 0, out), -DK_E_ACCESS);
  ASSERT_EQ(w2.DkStreamOpen(p, p.str("file:/docs/a.txt"), DK_ACCESS_RDWR, 0, 0, 0, out), 0);
  dk_handle_t h = p.get64(out);
  EXPECT_EQ(w2.DkStreamAttributesQuery(p, p.str("dir:/docs"), p.alloc(32)), 0);
  EXPECT_EQ(w2.DkStreamChangeName(p, h, p.str("file:/docs/b.txt")), -DK_E_ACCESS);
  EXPECT_EQ(w2.DkStreamDelete(p, h, 0), 0);
  EXPECT_EQ(w2.DkStreamOpen(p, p.str("tcp.server:localhost:80"), 0, 0, 0, 0, out), 0);
  EXPECT_EQ(w2.DkStreamOpen(p, p.str("tcp:localhost:80"), 2, 0, 0, 0, out), 0);
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "0 file:/docs/b.txt r", "0 file:/docs/a.txt w", "1 dir:/docs r",
                      "2 file:/docs/a.txt w", "2 file:/docs/b.txt w", "3 file:/docs/a.txt w",
                      "5 tcp.server:localhost:80 w", "4 tcp:localhost:80 w"}));
}

}  // namespace
}  // namespace dk::hosttest
