// A world for NativeHost tests without the emulator: the fake guest memory, GuestControl and
// picoprocesses of sim_test_world.h, driven through the real Dispatcher, a temporary host
// folder tree (removed afterwards) and a Namespace that maps parts of it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "dk/native_host.h"
#include "sim_test_world.h"

namespace dk::nativetest {

using simtest::Proc;
namespace fs = std::filesystem;

// A fresh folder under the system temp folder: rw/ (mapped writable at /data), ro/ (mapped
// read-only at /ro) and outside/ (never mapped).
struct TempTree {
  TempTree() {
    std::string tmpl = (fs::temp_directory_path() / "dk-native-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    fs::create_directories(root / "rw");
    fs::create_directories(root / "ro" / "sub");
    fs::create_directories(root / "outside");
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void put(const std::string& rel, const std::string& text) const {
    std::ofstream(root / rel, std::ios::binary) << text;
  }
  std::string get(const std::string& rel) const {
    std::ifstream in(root / rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  fs::path root;
};

// The namespace the tests run in: the two folders, loopback TCP and UDP, pipes, devices.
inline Namespace test_namespace(const TempTree& t) {
  Namespace ns;
  ns.add(Mapping{"file:/data", "file:" + (t.root / "rw").string(), true, 0});
  ns.add(Mapping{"file:/ro", "file:" + (t.root / "ro").string(), false, 0});
  ns.add(Mapping{"tcp.server:", "tcp.server:", true, 0});
  ns.add(Mapping{"tcp.client:", "tcp.client:", true, 0});
  ns.add(Mapping{"udp.server:", "udp.server:", true, 0});
  ns.add(Mapping{"udp.client:", "udp.client:", true, 0});
  ns.add(Mapping{"pipe.server:", "pipe.server:", true, 0});
  ns.add(Mapping{"pipe:", "pipe:", true, 0});
  ns.add(Mapping{"dev:console", "dev:console", true, 0});
  return ns;
}

// What the fixture's host is made from; constructed before the host.
struct NativeTestState {
  TempTree tree;
  std::string debug, console_out, console_err;
  std::optional<HostOp> fail_op;
  int fail_errno = 0;
};

class NativeTest : public ::testing::Test, protected NativeTestState {
 protected:
  explicit NativeTest(const std::function<void(NativeConfig&)>& tweak = {}) : host(config(tweak)) {}
  NativeConfig config(const std::function<void(NativeConfig&)>& tweak) {
    NativeConfig c;
    c.ns = test_namespace(tree);
    c.debug_log = &debug;
    c.console_write = [this](int fd, const uint8_t* d, size_t n) {
      (fd == 2 ? console_err : console_out).append(reinterpret_cast<const char*>(d), n);
    };
    c.inject = [this](HostOp op) { return fail_op && *fail_op == op ? fail_errno : 0; };
    if (tweak) tweak(c);
    return c;
  }

  dk_status_t call(Proc& p, uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                   uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
    TrapRegs r{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    auto it = p.parked.find(p.thread);
    p.ctl.retry_deadline = it == p.parked.end() ? kNoDeadline : it->second;
    CallContext cx{p.mem, p.ctl, p.handles, p.pid, p.thread, 0, 0, 0};
    const size_t blocks = p.ctl.blocks.size();
    dk_status_t st = dispatcher.dispatch(cx, r, scratch);
    if (st == kBlocked) {
      EXPECT_EQ(p.ctl.blocks.size(), blocks + 1) << "kBlocked without block()";
      p.parked[p.thread] = p.ctl.blocks.back();
    } else {
      p.parked.erase(p.thread);
    }
    return st;
  }
  // Calls until the result is not kBlocked, letting the host wait in idle() in between, the
  // way the emulator does when every thread is parked (bounded, so a bug fails the test).
  template <class F>
  dk_status_t until_done(F f) {
    for (int i = 0; i < 2000; ++i) {
      dk_status_t st = f();
      if (st != kBlocked) return st;
      host.idle(NativeHost::monotonic_ns() + 10'000'000);
    }
    return kBlocked;
  }

  dk_handle_t open(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                   uint32_t create = DK_CREATE_NEVER, uint32_t options = 0, uint32_t share = 0644,
                   dk_status_t* st = nullptr) {
    uint64_t out = p.u64(0);
    uint64_t u = p.str(uri);
    dk_status_t s = until_done([&] { return call(p, 21, u, access, share, create, options, out); });
    if (st) *st = s;
    return s == 0 ? p.get64(out) : 0;
  }
  dk_status_t open_status(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                          uint32_t create = DK_CREATE_NEVER, uint32_t options = 0) {
    dk_status_t st = 0;
    open(p, uri, access, create, options, 0644, &st);
    return st;
  }
  dk_status_t write(Proc& p, dk_handle_t h, const std::string& data, uint64_t offset = 0,
                    uint64_t* done = nullptr) {
    uint64_t buf = p.put(data.data(), data.size());
    uint64_t count = p.u64(data.size());
    dk_status_t st = call(p, 23, h, offset, buf, count);
    if (done) *done = p.get64(count);
    return st;
  }
  dk_status_t read(Proc& p, dk_handle_t h, uint64_t room, std::string& out, uint64_t offset = 0,
                   uint64_t* count_out = nullptr) {
    uint64_t buf = p.alloc(room ? room : 1);
    uint64_t count = p.u64(room);
    dk_status_t st = call(p, 22, h, offset, buf, count);
    out = st == 0 ? p.bytes(buf, p.get64(count)) : std::string();
    if (count_out) *count_out = p.get64(count);
    return st;
  }
  std::string read_all(Proc& p, dk_handle_t h, uint64_t room = 4096, uint64_t offset = 0) {
    std::string out;
    EXPECT_EQ(read(p, h, room, out, offset), 0);
    return out;
  }
  // Reads a socket until `want` bytes came or end of stream, waiting through idle().
  std::string read_n(Proc& p, dk_handle_t h, size_t want) {
    std::string all, part;
    while (all.size() < want) {
      dk_status_t st = until_done([&] { return read(p, h, 4096, part); });
      if (st != 0 || part.empty()) break;
      all += part;
    }
    return all;
  }
  dk_stream_attr attr_of(Proc& p, dk_handle_t h, dk_status_t* st = nullptr) {
    uint64_t a = p.alloc(sizeof(dk_stream_attr));
    dk_status_t s = call(p, 31, h, a);
    if (st) *st = s;
    dk_stream_attr out{};
    p.mem.peek(a, &out, sizeof out);
    return out;
  }
  dk_stream_attr query(Proc& p, const std::string& uri, dk_status_t* st = nullptr) {
    uint64_t a = p.alloc(sizeof(dk_stream_attr));
    dk_status_t s = call(p, 30, p.str(uri), a);
    if (st) *st = s;
    dk_stream_attr out{};
    p.mem.peek(a, &out, sizeof out);
    return out;
  }
  std::string name_of(Proc& p, dk_handle_t h) {
    uint64_t buf = p.alloc(256);
    uint64_t size = p.u64(256);
    EXPECT_EQ(call(p, 33, h, buf, size), 0);
    return p.bytes(buf, p.get64(size) - 1);
  }
  dk_handle_t accept(Proc& p, dk_handle_t server, dk_status_t* st = nullptr) {
    uint64_t out = p.u64(0);
    dk_status_t s = until_done([&] { return call(p, 29, server, out); });
    if (st) *st = s;
    return s == 0 ? p.get64(out) : 0;
  }
  // Injects `err` into every host operation `op` from now on.
  void inject(HostOp op, int err) {
    fail_op = op;
    fail_errno = err;
  }
  void stop_injecting() { fail_op.reset(); }

  NativeHost host;
  Dispatcher dispatcher{host};
  Call scratch;
  Proc p1{1}, p2{2};
};

}  // namespace dk::nativetest
