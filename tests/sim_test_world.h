// A world for SimHost tests without the emulator: picoprocesses made of a fake guest memory
// (per-page protections), a fake GuestControl that records blocking, yields, threads and
// children and lets the test set the clock and wake-ups, and a handle table; every call goes
// through the real Dispatcher. A call that returned kBlocked is retried the way the
// emulator retries it: the next call of that thread sees its deadline in wait_deadline().
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dk/dispatcher.h"
#include "dk/sim_host.h"

namespace dk::simtest {

class FakeMemory : public GuestMemory {
 public:
  static constexpr uint64_t kBase = 0x10000;
  static constexpr uint64_t kPages = 1024;
  FakeMemory() : bytes_(kPages * DK_PAGE_SIZE, 0), prot_(kPages, -1) {}

  bool check(uint64_t addr, uint64_t len, uint32_t access) const override {
    if (len == 0) return true;
    if (addr < kBase || addr + len < addr || addr + len > kBase + kPages * DK_PAGE_SIZE)
      return false;
    for (uint64_t p = (addr - kBase) / DK_PAGE_SIZE; p <= (addr + len - 1 - kBase) / DK_PAGE_SIZE;
         ++p) {
      if (prot_[p] < 0) return false;
      const uint32_t have = static_cast<uint32_t>(prot_[p]);
      if ((access & DK_PROT_READ) && !(have & DK_PROT_READ)) return false;
      if ((access & DK_PROT_WRITE) && !(have & DK_PROT_WRITE)) return false;
    }
    return true;
  }
  bool read(uint64_t addr, void* dst, uint64_t len) const override {
    if (!check(addr, len, DK_PROT_READ)) return false;
    if (len) memcpy(dst, bytes_.data() + (addr - kBase), len);
    return true;
  }
  bool write(uint64_t addr, const void* src, uint64_t len) override {
    if (!check(addr, len, DK_PROT_WRITE)) return false;
    if (len) memcpy(bytes_.data() + (addr - kBase), src, len);
    return true;
  }
  dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const override {
    out.clear();
    for (uint64_t i = 0; i <= max; ++i) {
      char c;
      if (!read(addr + i, &c, 1)) return -DK_E_FAULT;
      if (c == 0) return 0;
      out.push_back(c);
    }
    return -DK_E_NAMETOOLONG;
  }
  // Test access, ignoring protections.
  void set_prot(uint64_t addr, uint64_t size, int prot) {
    for (uint64_t a = addr; a < addr + size; a += DK_PAGE_SIZE)
      prot_[(a - kBase) / DK_PAGE_SIZE] = prot;
  }
  int prot_at(uint64_t addr) const { return prot_[(addr - kBase) / DK_PAGE_SIZE]; }
  void poke(uint64_t addr, const void* src, size_t n) {
    memcpy(bytes_.data() + (addr - kBase), src, n);
  }
  void peek(uint64_t addr, void* dst, size_t n) const {
    memcpy(dst, bytes_.data() + (addr - kBase), n);
  }
  void zero(uint64_t addr, uint64_t n) { memset(bytes_.data() + (addr - kBase), 0, n); }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<int> prot_;  // -1: unmapped
};

class FakeControl : public GuestControl {
 public:
  explicit FakeControl(FakeMemory& mem) : mem_(mem) {}
  static constexpr uint64_t kAllocBase = 0x100000;

  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t, uint32_t prot) override {
    size = (size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
    if (addr == 0) {
      addr = next_;
      next_ += size;
    } else if (addr % DK_PAGE_SIZE) {
      return -DK_E_INVAL;
    }
    if (addr + size > FakeMemory::kBase + FakeMemory::kPages * DK_PAGE_SIZE) return -DK_E_NOMEM;
    mem_.set_prot(addr, size, static_cast<int>(prot));
    mem_.zero(addr, size);
    return 0;
  }
  dk_status_t vm_free(uint64_t addr, uint64_t size) override {
    ++frees;
    mem_.set_prot(addr, size, -1);
    return 0;
  }
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override {
    mem_.set_prot(addr, size, static_cast<int>(prot));
    return 0;
  }
  uint64_t committed_bytes() const override { return 0; }
  dk_status_t set_segment(uint32_t, uint64_t) override { return 0; }
  dk_status_t exception_return(const dk_context&) override { return 0; }
  void thread_exit() override { ++thread_exits; }
  void process_exit(int64_t code) override { exit_code = code; }

  dk_status_t thread_create(uint64_t arg, uint64_t stack_top,
                            std::shared_ptr<ThreadObject>& out) override {
    if (!threads_supported) return -DK_E_NOTSUP;
    out = std::make_shared<ThreadObject>();
    out->pid = pid;
    out->tid = ++last_tid;
    created.push_back({arg, stack_top});
    threads.push_back(out);
    return 0;
  }
  void yield() override { ++yields; }
  dk_status_t thread_resume(ThreadObject& t) override {
    resumed.push_back(t.tid);
    return 0;
  }
  void block(uint64_t deadline) override { blocks.push_back(deadline); }
  uint64_t wait_deadline() const override { return retry_deadline; }
  bool take_interrupt() override {
    bool i = interrupt;
    interrupt = false;
    return i;
  }
  dk_status_t process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) override {
    children.push_back(std::move(spec));
    out = std::make_shared<ProcessObject>();
    out->pid = next_child_pid++;
    processes.push_back(out);
    return 0;
  }

  uint32_t pid = 1;
  bool threads_supported = true;
  uint32_t last_tid = 1;
  std::vector<std::pair<uint64_t, uint64_t>> created;
  std::vector<std::shared_ptr<ThreadObject>> threads;
  std::vector<uint32_t> resumed;
  std::vector<uint64_t> blocks;
  std::vector<ChildSpec> children;
  std::vector<std::shared_ptr<ProcessObject>> processes;
  uint32_t next_child_pid = 100;
  uint64_t retry_deadline = kNoDeadline;
  bool interrupt = false;
  int yields = 0, thread_exits = 0, frees = 0;
  int64_t exit_code = -1;

 private:
  FakeMemory& mem_;
  uint64_t next_ = kAllocBase;
};

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

class SimTest : public ::testing::Test {
 public:
  explicit SimTest(SimConfig cfg = {}) : host(std::move(cfg)) {}

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

  // Opens `uri`; returns the handle, or 0 with the status in `st`.
  dk_handle_t open(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                   uint32_t create = DK_CREATE_NEVER, uint32_t options = 0, uint32_t share = 0644,
                   dk_status_t* st = nullptr) {
    uint64_t out = p.u64(0);
    dk_status_t s = call(p, 21, p.str(uri), access, share, create, options, out);
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
    dk_status_t st = call(p, 23, h, offset, buf, count);
    if (done) *done = p.get64(count);
    return st;
  }
  // Reads up to `room` bytes into `out`.
  dk_status_t read(Proc& p, dk_handle_t h, uint64_t room, std::string& out, uint64_t offset = 0,
                   uint64_t* count_out = nullptr) {
    uint64_t buf = p.alloc(room ? room : 1);
    uint64_t count = p.u64(room);
    dk_status_t st = call(p, 22, h, offset, buf, count);
    out = st == 0 ? p.bytes(buf, p.get64(count)) : std::string();
    if (count_out) *count_out = p.get64(count);
    return st;
  }
  std::string read_all(Proc& p, dk_handle_t h, uint64_t room = 4096) {
    std::string out;
    EXPECT_EQ(read(p, h, room, out), 0);
    return out;
  }
  dk_stream_attr attr_of(Proc& p, dk_handle_t h, dk_status_t* st = nullptr) {
    uint64_t a = p.alloc(sizeof(dk_stream_attr));
    dk_status_t s = call(p, 31, h, a);
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

  uint64_t now = 0;
  SimHost host;
  Dispatcher dispatcher{host};
  Call scratch;
  Proc p1{1}, p2{2};
};

}  // namespace dk::simtest
