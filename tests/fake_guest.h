// A fake guest for tests and benchmarks that call a host or the dispatcher without the
// emulator: FakeMemory, 1024 pages from kBase with a protection per page (none mapped until
// set_prot, which the test calls directly or FakeControl's allocations do), and FakeControl,
// a GuestControl that allocates and protects pages in its FakeMemory and records blocking,
// yields, threads, children and exits. No test framework here: the benchmarks use it too.
// The host unit tests' world (host_test_world.h) builds its picoprocesses from them; a guest
// with no memory at all is null_guest.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/guest_memory.h"
#include "dk/host.h"

namespace dk::hosttest {

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
  void wake_on(WakeOn on) override { wake_ons.push_back(on); }
  void wake(uint32_t pid_, uint32_t tid) override { wakes.emplace_back(pid_, tid); }
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
  std::vector<WakeOn> wake_ons;                        // one per call that blocked and said
  std::vector<std::pair<uint32_t, uint32_t>> wakes;  // (pid, tid) named by wake(), in order
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

}  // namespace dk::hosttest
