// Files and directories on both hosts, beneath file:/data: on the native host a real folder
// the Namespace maps, on the simulated host the same folder mapped into the overlay (read
// when first opened, never written). Create, read, write, append, truncate, rename, delete,
// attributes and names agree; what each host does to the host folder is asserted per host.
// The rest is one host's own: overlay, package: and mounts in sim_files_test.cc; real files,
// read-only mappings, symlinks out of the mapping, shared mappings and injected host errors
// in native_files_test.cc.
#include "host_worlds.h"

namespace dk::hosttest {
namespace {

class HostFilesTest : public HostsTest {};
DK_ON_BOTH_HOSTS(HostFilesTest);

TEST_P(HostFilesTest, CreateWriteReadRenameDelete) {
  dk_handle_t h = open(p1, "file:/data/notes.txt", DK_ACCESS_RDWR, DK_CREATE_TRY);
  ASSERT_NE(h, 0u);
  uint64_t done = 0;
  EXPECT_EQ(write(p1, h, "hello native", 0, &done), 0);
  EXPECT_EQ(done, 12u);
  // A real file on the native host; the simulated overlay never writes the host folder.
  EXPECT_EQ(tree.get("rw/notes.txt"), on_native() ? "hello native" : "");
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
  EXPECT_EQ(DkStreamChangeName(p1, h, p1.str("file:/data/renamed.txt")), 0);
  EXPECT_EQ(name_of(p1, h), "file:/data/renamed.txt");
  EXPECT_FALSE(fs::exists(tree.root / "rw/notes.txt"));
  EXPECT_EQ(fs::exists(tree.root / "rw/renamed.txt"), on_native());
  // Set length, flush (fsync), delete; the open handle keeps the unlinked file.
  EXPECT_EQ(DkStreamSetLength(p1, h, 5), 0);
  EXPECT_EQ(tree.get("rw/renamed.txt"), on_native() ? "hello" : "");
  EXPECT_EQ(DkStreamFlush(p1, h), 0);
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), 0);
  EXPECT_FALSE(fs::exists(tree.root / "rw/renamed.txt"));
  EXPECT_EQ(read_all(p1, h), "hello");
  EXPECT_EQ(DkStreamDelete(p1, h, DK_DELETE_ALL), -DK_E_NOENT);  // already gone
}

TEST_P(HostFilesTest, CreateFlagsAppendAndTruncate) {
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
  EXPECT_EQ(tree.get("rw/f"), on_native() ? "1234567" : "");
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

TEST_P(HostFilesTest, AttributesByPath) {
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

TEST_P(HostFilesTest, RenameRules) {
  tree.put("rw/a", "A");
  tree.put("rw/b", "B");
  fs::create_directories(tree.root / "rw/d");
  dk_handle_t a = open(p1, "file:/data/a");
  dk_handle_t d = open(p1, "dir:/data/d", DK_ACCESS_RDONLY);
  ASSERT_NE(a, 0u);
  ASSERT_NE(d, 0u);
  EXPECT_EQ(DkStreamChangeName(p1, a, p1.str("file:/data/d")), -DK_E_EXIST);  // over a directory
  EXPECT_EQ(DkStreamChangeName(p1, d, p1.str("dir:/data/d/inner")), -DK_E_INVAL);  // into itself
  EXPECT_EQ(DkStreamChangeName(p1, a, p1.str("file:/data/b")), 0);  // a file replaces a file
  EXPECT_EQ(tree.get("rw/b"), on_native() ? "A" : "B");
  EXPECT_EQ(read_all(p1, open(p1, "file:/data/b", DK_ACCESS_RDONLY)), "A");
  EXPECT_EQ(DkStreamChangeName(p1, a, p1.str("file:/data/nodir/x")), -DK_E_NOENT);
  EXPECT_EQ(DkStreamDelete(p1, d, DK_DELETE_ALL), 0);  // empty: removed
  EXPECT_EQ(fs::exists(tree.root / "rw/d"), !on_native());
  EXPECT_EQ(open_status(p1, "dir:/data/d", DK_ACCESS_RDONLY), -DK_E_NOENT);
}

}  // namespace
}  // namespace dk::hosttest
