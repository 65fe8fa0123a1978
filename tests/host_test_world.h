// The world the host unit tests run in, without the emulator: picoprocesses made of a fake
// guest memory (per-page protections) and a fake GuestControl that records blocking, yields,
// threads and children and lets the test set the clock and wake-ups (fake_guest.h), and a
// handle table;
// every call goes through the real Dispatcher to a host. A call that returned kBlocked is
// retried the way the emulator retries it: the next call of that thread sees its deadline in
// wait_deadline().
//
// HostWorld is the one world interface: it is built on a WorldHost, which a simulated
// (sim_test_world.h) or a native (native_test_world.h) implementation provides, and it gives
// the tests one typed helper per call, generated from DK_CALL_TABLE: DkStreamOpen(p1, uri,
// access, share, create, options, out), with the table's argument kinds as parameter types.
// host_worlds.h runs a suite on both hosts.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "dk/calls.h"
#include "dk/dispatcher.h"
#include "dk/host.h"
#include "dk/host_factory.h"
#include "fake_guest.h"

namespace dk::hosttest {

// One picoprocess (one calling thread at a time, chosen by `thread`).
struct Proc {
  explicit Proc(uint32_t pid) : pid(pid) {
    ctl.pid = pid;
    mem.set_prot(kScratch, kScratchSize, DK_PROT_READ | DK_PROT_WRITE);
  }
  static constexpr uint64_t kScratch = FakeMemory::kBase;
  static constexpr uint64_t kScratchSize = 64 * DK_PAGE_SIZE;

  uint32_t pid;
  uint32_t thread = 1;
  FakeMemory mem;
  FakeControl ctl{mem};
  HandleTable handles;
  uint64_t next = kScratch;
  // Threads parked by kBlocked, with the deadline they gave.
  std::map<uint32_t, uint64_t> parked;

  uint64_t alloc(uint64_t n) {
    uint64_t a = next;
    next += (n + 15) & ~15ull;
    if (next > kScratch + kScratchSize) next = kScratch, a = next, next += (n + 15) & ~15ull;
    return a;
  }
  uint64_t put(const void* p, size_t n) {
    uint64_t a = alloc(n ? n : 1);
    mem.poke(a, p, n);
    return a;
  }
  uint64_t str(const std::string& s) { return put(s.c_str(), s.size() + 1); }
  uint64_t u64(uint64_t v) { return put(&v, 8); }
  uint64_t get64(uint64_t a) const {
    uint64_t v;
    mem.peek(a, &v, 8);
    return v;
  }
  uint32_t get32(uint64_t a) const {
    uint32_t v;
    mem.peek(a, &v, 4);
    return v;
  }
  std::string bytes(uint64_t a, size_t n) const {
    std::string s(n, '\0');
    mem.peek(a, s.data(), n);
    return s;
  }
};

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

// The parameter type of each argument kind of the call table: scalars as their width, handles
// as handles, everything the dispatcher reads or writes through (strings, buffers, in/out
// values, handle arrays, attributes) as the guest address it is passed by.
using GuestAddr = uint64_t;
template <uint8_t Kind>
struct ArgOf {
  using type = GuestAddr;
};
template <>
struct ArgOf<DK_ARG_U32> {
  using type = uint32_t;
};
template <>
struct ArgOf<DK_ARG_U64> {
  using type = uint64_t;
};
template <>
struct ArgOf<DK_ARG_I64> {
  using type = int64_t;
};
template <>
struct ArgOf<DK_ARG_HANDLE> {
  using type = dk_handle_t;
};

// One call of the table, bound to a world: calling it with a picoprocess and the call's
// arguments (one parameter per argument, typed by its kind) makes the downcall.
template <class World, uint32_t Index, class Kinds>
class TypedCall;
template <class World, uint32_t Index, uint8_t... K>
class TypedCall<World, Index, std::integer_sequence<uint8_t, K...>> {
 public:
  explicit TypedCall(World* w) : w_(w) {}
  dk_status_t operator()(Proc& p, typename ArgOf<K>::type... a) const {
    return w_->call(p, Index, static_cast<uint64_t>(a)...);
  }
  static constexpr uint32_t index = Index;

 private:
  World* w_;
};

#define DK_TEST_KINDS(...) std::integer_sequence<uint8_t __VA_OPT__(, ) __VA_ARGS__>

// A world's host is the factory's (dk/host_factory.h): its HostKind names the backend.
using ::dk::HostKind;
}  // namespace dk::hosttest
namespace dk {
inline void PrintTo(HostKind k, std::ostream* os) { *os << host_kind_name(k); }
}  // namespace dk
namespace dk::hosttest {

// What a world is built on: a host, made by the simulated or the native implementation from
// its own configuration, and what only that backend knows.
class WorldHost {
 public:
  virtual ~WorldHost() = default;
  virtual HostKind kind() const = 0;
  virtual Host& host() = 0;
  // Lets the host wait a moment for the world to change, as the emulator's idle step does
  // when every thread is parked. False when nothing outside the world can change it (the
  // simulated host: a blocked call stays blocked until the test changes the world).
  virtual bool idle_a_moment() = 0;
  // The URI of a file `name` in a folder the picoprocesses may create files in.
  virtual std::string scratch_file(const std::string& name) const = 0;
  // The host folder tree mapped at file:/data (TempTree), when the world has one.
  virtual TempTree* folder() { return nullptr; }
};

// The world: a host, a dispatcher, two picoprocesses and the helpers the tests call.
class HostWorld {
 public:
  explicit HostWorld(std::unique_ptr<WorldHost> wh) : world_host_(std::move(wh)) {}
  HostWorld(const HostWorld&) = delete;
  HostWorld& operator=(const HostWorld&) = delete;
  virtual ~HostWorld() = default;

  HostKind kind() const { return world_host_->kind(); }
  WorldHost& world_host() { return *world_host_; }

  // Makes call `index` (calls::<Name>) from the current thread of `p`.
  dk_status_t call(Proc& p, uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                   uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
    TrapRegs r{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    auto it = p.parked.find(p.thread);
    p.ctl.retry_deadline = it == p.parked.end() ? kNoDeadline : it->second;
    CallContext cx{p.mem, p.ctl, p.handles, p.pid, p.thread, 0, 0, now};
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

  // The typed helpers, one per row of the call table, named after the call.
#define DK_X_TYPED(idx, name, traits, kinds, names) \
  TypedCall<HostWorld, idx, DK_TEST_KINDS kinds> name{this};
  DK_CALL_TABLE(DK_X_TYPED)
#undef DK_X_TYPED

  // Calls until the result is not kBlocked, letting the host wait in idle() in between, the
  // way the emulator does when every thread is parked (bounded, so a bug fails the test). On
  // the simulated host nothing changes the world meanwhile: the first kBlocked is the answer.
  template <class F>
  dk_status_t until_done(F f) {
    dk_status_t st = kBlocked;
    for (int i = 0; i < 2000; ++i) {
      st = f();
      if (st != kBlocked || !world_host_->idle_a_moment()) return st;
    }
    return st;
  }

  // Opens `uri`; returns the handle, or 0 with the status in `st`.
  dk_handle_t open(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                   uint32_t create = DK_CREATE_NEVER, uint32_t options = 0, uint32_t share = 0644,
                   dk_status_t* st = nullptr) {
    uint64_t out = p.u64(0);
    uint64_t u = p.str(uri);
    dk_status_t s =
        until_done([&] { return DkStreamOpen(p, u, access, share, create, options, out); });
    if (st) *st = s;
    return s == 0 ? p.get64(out) : 0;
  }
  dk_status_t open_status(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                          uint32_t create = DK_CREATE_NEVER, uint32_t options = 0) {
    dk_status_t st = 0;
    open(p, uri, access, create, options, 0644, &st);
    return st;
  }
  // Writes `data`; returns the status and the count in `done`.
  dk_status_t write(Proc& p, dk_handle_t h, const std::string& data, uint64_t offset = 0,
                    uint64_t* done = nullptr) {
    uint64_t buf = p.put(data.data(), data.size());
    uint64_t count = p.u64(data.size());
    dk_status_t st = DkStreamWrite(p, h, offset, buf, count);
    if (done) *done = p.get64(count);
    return st;
  }
  // Reads up to `room` bytes into `out`.
  dk_status_t read(Proc& p, dk_handle_t h, uint64_t room, std::string& out, uint64_t offset = 0,
                   uint64_t* count_out = nullptr) {
    uint64_t buf = p.alloc(room ? room : 1);
    uint64_t count = p.u64(room);
    dk_status_t st = DkStreamRead(p, h, offset, buf, count);
    out = st == 0 ? p.bytes(buf, p.get64(count)) : std::string();
    if (count_out) *count_out = p.get64(count);
    return st;
  }
  std::string read_all(Proc& p, dk_handle_t h, uint64_t room = 4096, uint64_t offset = 0) {
    std::string out;
    EXPECT_EQ(read(p, h, room, out, offset), 0);
    return out;
  }
  // Reads a stream until `want` bytes came or end of stream, waiting through idle().
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
    dk_status_t s = DkStreamAttributesQueryByHandle(p, h, a);
    if (st) *st = s;
    dk_stream_attr out{};
    p.mem.peek(a, &out, sizeof out);
    return out;
  }
  dk_stream_attr query(Proc& p, const std::string& uri, dk_status_t* st = nullptr) {
    uint64_t a = p.alloc(sizeof(dk_stream_attr));
    dk_status_t s = DkStreamAttributesQuery(p, p.str(uri), a);
    if (st) *st = s;
    dk_stream_attr out{};
    p.mem.peek(a, &out, sizeof out);
    return out;
  }
  std::string name_of(Proc& p, dk_handle_t h) {
    uint64_t buf = p.alloc(256);
    uint64_t size = p.u64(256);
    EXPECT_EQ(DkStreamGetName(p, h, buf, size), 0);
    return p.bytes(buf, p.get64(size) - 1);
  }
  dk_handle_t accept(Proc& p, dk_handle_t server, dk_status_t* st = nullptr) {
    uint64_t out = p.u64(0);
    dk_status_t s = until_done([&] { return DkStreamWaitForClient(p, server, out); });
    if (st) *st = s;
    return s == 0 ? p.get64(out) : 0;
  }

 private:
  std::unique_ptr<WorldHost> world_host_;  // before the dispatcher, which holds its host

 public:
  uint64_t now = 0;  // the world clock the calls see (cx.now_ns); only the simulated host reads it
  Dispatcher dispatcher{world_host_->host()};
  Call scratch;
  Proc p1{1}, p2{2};
};

}  // namespace dk::hosttest
