// The dispatcher's checks, against the fake guest memory (fake_guest.h) with a few known
// regions: every pointer kind refused when NULL, unmapped, in the kernel half, straddling into
// unmapped or read-only memory, or with an overflowing length; and the host never called
// then. The Host interface's defaults and the forwarding decorator, on a guest with nothing
// in it (null_guest.h).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "dk/dispatcher.h"
#include "fake_guest.h"
#include "null_guest.h"

namespace dk {
namespace {

// The guest memory of these tests: [0x10000, 0x12000) read-write, [0x12000, 0x13000) read
// only, nothing else.
constexpr uint64_t kRw = hosttest::FakeMemory::kBase;
constexpr uint64_t kRo = kRw + 0x2000;
constexpr uint64_t kEnd = kRo + 0x1000;
constexpr uint64_t kKernel = 0xffff800000001000ull;

class KnownMemory : public hosttest::FakeMemory {
 public:
  KnownMemory() {
    set_prot(kRw, kRo - kRw, DK_PROT_READ | DK_PROT_WRITE);
    set_prot(kRo, kEnd - kRo, DK_PROT_READ);
  }
  template <class T>
  T peek(uint64_t addr) const {
    T v;
    FakeMemory::peek(addr, &v, sizeof v);
    return v;
  }
};

// Records what reached it and answers with fixed outputs.
class RecordingHost : public Host {
 public:
  std::string_view name() const override { return "test"; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
  dk_status_t serve(CallContext&, Call& call) override {
    ++served;
    last = call;
    switch (call.index) {
      case calls::DkSemaphorePeek: call.set_out(1, 7); break;
      case calls::DkStreamRead:
        call.out_bytes.assign(call.room, 0xab);
        call.set_out(3, call.room);
        break;
      case calls::DkStreamGetName: call.set_out(2, 100); return -DK_E_OVERFLOW;  // size needed
      case calls::DkSemaphoreCreate: call.set_out(2, 0x55); break;
    }
    return result;
  }
  int served = 0;
  Call last;
  dk_status_t result = 0;
};

class DispatcherTest : public ::testing::Test {
 protected:
  dk_status_t call(uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                   uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
    TrapRegs r{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    CallContext cx{mem, ctl, handles};
    return dispatcher.dispatch(cx, r, scratch);
  }
  KnownMemory mem;
  null_guest::NoControl ctl;
  HandleTable handles;
  RecordingHost host;
  Dispatcher dispatcher{host};
  Call scratch;
};

TEST_F(DispatcherTest, CallTableIsComplete) {
  EXPECT_EQ(all_calls().size(), 45u);
  EXPECT_EQ(call_desc(calls::DkStreamOpen)->name, "DkStreamOpen");
  EXPECT_EQ(call_desc_for_number(DK_CALL_DkDebugOutput)->name, "DkDebugOutput");
  EXPECT_EQ(call_desc_for_number(0xD000), nullptr);
  EXPECT_EQ(call_desc_for_number(0xD000 + 46), nullptr);
  EXPECT_EQ(call_desc_for_number(1), nullptr);
  EXPECT_EQ(DK_CALL_DkStreamOpen, 0xD015);
  EXPECT_EQ(status_name(-DK_E_OVERFLOW), "OVERFLOW");
  EXPECT_EQ(status_name(0), "OK");
}

TEST_F(DispatcherTest, OutputPointerChecks) {
  // DkSemaphorePeek(h, u32* count)
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, kRw), 0);
  EXPECT_EQ(mem.peek<uint32_t>(kRw), 7u);
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, 0), -DK_E_FAULT) << "NULL";
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, 0x5000), -DK_E_FAULT) << "unmapped";
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, kKernel), -DK_E_FAULT) << "kernel half";
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, kRo), -DK_E_FAULT) << "read-only output";
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, kRo - 2), -DK_E_FAULT) << "straddles into read-only";
  EXPECT_EQ(call(calls::DkSemaphorePeek, 0x10, kEnd - 2), -DK_E_FAULT) << "straddles into unmapped";
  EXPECT_EQ(host.served, 1) << "refused calls never reach the host";
}

TEST_F(DispatcherTest, OptionalOutputMayBeNull) {
  // DkSemaphoreRelease(h, count, u32* previous /* may be NULL */)
  EXPECT_EQ(call(calls::DkSemaphoreRelease, 0x10, 1, 0), 0);
  EXPECT_EQ(call(calls::DkSemaphoreRelease, 0x10, 1, kRo), -DK_E_FAULT);
}

TEST_F(DispatcherTest, InputBufferChecks) {
  // DkDebugOutput(buf, size)
  mem.poke(kRw, "hello", 5);
  EXPECT_EQ(call(calls::DkDebugOutput, kRw, 5), 0);
  EXPECT_EQ(std::string(host.last.in_bytes.begin(), host.last.in_bytes.end()), "hello");
  EXPECT_EQ(call(calls::DkDebugOutput, kRo, 16), 0) << "input may be read-only";
  EXPECT_EQ(call(calls::DkDebugOutput, 0, 5), -DK_E_FAULT);
  EXPECT_EQ(call(calls::DkDebugOutput, 0, 0), -DK_E_FAULT) << "every pointer is required, even for 0 bytes";
  EXPECT_EQ(call(calls::DkDebugOutput, kRw, 0), 0) << "an empty buffer touches nothing";
  EXPECT_EQ(call(calls::DkDebugOutput, kRw, ~0ull), -DK_E_FAULT) << "length overflow";
  EXPECT_EQ(call(calls::DkDebugOutput, kRw, 0x8000000000000000ull), -DK_E_FAULT) << "negative length";
  EXPECT_EQ(call(calls::DkDebugOutput, kEnd - 4, 8), -DK_E_FAULT) << "straddles the end";
  EXPECT_EQ(call(calls::DkDebugOutput, kKernel, 8), -DK_E_FAULT);
}

TEST_F(DispatcherTest, CountedBuffers) {
  // DkStreamWrite(h, off, buf, u64* count): the count pointer is read and written.
  uint64_t n = 4;
  mem.poke(kRw + 0x100, &n, 8);
  mem.poke(kRw, "abcd", 4);
  EXPECT_EQ(call(calls::DkStreamWrite, 0x10, 0, kRw, kRw + 0x100), 0);
  EXPECT_EQ(host.last.in_bytes.size(), 4u);
  EXPECT_EQ(call(calls::DkStreamWrite, 0x10, 0, kRw, kRo), -DK_E_FAULT) << "count must be writable";
  n = 0x10000;
  mem.poke(kRw + 0x100, &n, 8);
  EXPECT_EQ(call(calls::DkStreamWrite, 0x10, 0, kRw, kRw + 0x100), -DK_E_FAULT) << "count beyond the buffer";
  // DkStreamRead: output buffer of *count bytes; the host's bytes are copied out.
  n = 16;
  mem.poke(kRw + 0x100, &n, 8);
  EXPECT_EQ(call(calls::DkStreamRead, 0x10, 0, kRw + 0x200, kRw + 0x100), 0);
  EXPECT_EQ(mem.peek<uint8_t>(kRw + 0x200 + 15), 0xab);
  EXPECT_EQ(mem.peek<uint8_t>(kRw + 0x200 + 16), 0);
  EXPECT_EQ(call(calls::DkStreamRead, 0x10, 0, kRo, kRw + 0x100), -DK_E_FAULT) << "read-only destination";
}

TEST_F(DispatcherTest, InOutWrittenOnFailureWhenHostSaysSo) {
  // DkStreamGetName: OVERFLOW with *size = the size needed.
  uint64_t n = 8;
  mem.poke(kRw + 0x100, &n, 8);
  EXPECT_EQ(call(calls::DkStreamGetName, 0x10, kRw, kRw + 0x100), -DK_E_OVERFLOW);
  EXPECT_EQ(mem.peek<uint64_t>(kRw + 0x100), 100u);
}

TEST_F(DispatcherTest, HandleOutputNotWrittenOnFailure) {
  uint64_t marker = 0x1234;
  mem.poke(kRw, &marker, 8);
  host.result = -DK_E_INVAL;
  EXPECT_EQ(call(calls::DkSemaphoreCreate, 1, 1, kRw), -DK_E_INVAL);
  EXPECT_EQ(mem.peek<uint64_t>(kRw), 0x1234u) << "handles go out only on success";
  EXPECT_EQ(call(calls::DkSemaphoreCreate, 1, 1, kRw), -DK_E_INVAL);
  host.result = 0;
}

TEST_F(DispatcherTest, UriChecks) {
  mem.poke(kRw, "dev:console", 12);
  EXPECT_EQ(call(calls::DkStreamAttributesQuery, kRw, kRw + 0x100), 0);
  EXPECT_EQ(host.last.uri, "dev:console");
  EXPECT_EQ(call(calls::DkStreamAttributesQuery, 0, kRw + 0x100), -DK_E_FAULT);
  // No NUL before the end of mapped memory.
  std::vector<char> fill(0x1000, 'a');
  mem.poke(kRo, fill.data(), fill.size());
  EXPECT_EQ(call(calls::DkStreamAttributesQuery, kRo + 0x800, kRw + 0x100), -DK_E_FAULT);
  // Over-long: 4096 bytes without a NUL inside mapped memory.
  std::vector<char> longuri(0x1800, 'b');
  mem.poke(kRw, longuri.data(), longuri.size());
  EXPECT_EQ(call(calls::DkStreamAttributesQuery, kRw, kRw + 0x1900), -DK_E_NAMETOOLONG);
}

TEST_F(DispatcherTest, HandleArrayChecks) {
  dk_handle_t hs[2] = {0x10, 0x11};
  mem.poke(kRw, hs, sizeof hs);
  EXPECT_EQ(call(calls::DkObjectsWaitAny, 2, kRw, 0, kRw + 0x100), 0);
  EXPECT_EQ(host.last.handles.size(), 2u);
  EXPECT_EQ(call(calls::DkObjectsWaitAny, 0, kRw, 0, kRw + 0x100), -DK_E_INVAL);
  EXPECT_EQ(call(calls::DkObjectsWaitAny, 65, kRw, 0, kRw + 0x100), -DK_E_INVAL);
  EXPECT_EQ(call(calls::DkObjectsWaitAny, 64, kEnd - 8, 0, kRw + 0x100), -DK_E_FAULT);
  EXPECT_EQ(call(calls::DkObjectsWaitAny, 0x100000002ull, kRw, 0, kRw + 0x100), 0) << "n is a u32";
}

TEST_F(DispatcherTest, RandomSizeLimitAndSysinfoRoom) {
  EXPECT_EQ(call(calls::DkRandomBitsRead, kRw, DK_RANDOM_MAX + 1), -DK_E_INVAL);
  EXPECT_EQ(call(calls::DkRandomBitsRead, kRw, 16), 0);
  // DkSystemInfoQuery writes at most `size` bytes: a small room fits in read-write memory.
  EXPECT_EQ(call(calls::DkSystemInfoQuery, kRo - 8, 8), 0);
  EXPECT_EQ(call(calls::DkSystemInfoQuery, kRo - 8, 16), -DK_E_FAULT);
}

TEST_F(DispatcherTest, ForeignNumberNeverReachesHost) {
  TrapRegs r{1, 0, 0, 0, 0, 0, 0};
  CallContext cx{mem, ctl, handles};
  EXPECT_EQ(dispatcher.dispatch(cx, r, scratch), -DK_E_NOTSUP);
  EXPECT_EQ(host.served, 0);
}

// The traits the ABI states in words (docs/abi.md §2, §4) are the table's.
TEST(CallTraits, AsTheAbiStatesThem) {
  std::vector<std::string_view> noreturn, control;
  for (const CallDesc& d : all_calls()) {
    if (d.does_not_return()) noreturn.push_back(d.name);
    if (d.served_by_control()) control.push_back(d.name);
  }
  EXPECT_EQ(noreturn, (std::vector<std::string_view>{"DkThreadExit", "DkProcessExit", "DkExceptionReturn"}));
  EXPECT_EQ(control.size(), 7u);
  EXPECT_TRUE(call_does_not_return(calls::DkProcessExit));
  EXPECT_FALSE(call_does_not_return(calls::DkProcessCreate));
  EXPECT_FALSE(call_does_not_return(0));
  EXPECT_EQ(call_desc(calls::DkThreadCreate)->support(), Support::Conditional);
  EXPECT_EQ(call_desc(calls::DkProcessSnapshot)->support(), Support::Optional);
  EXPECT_EQ(call_desc(calls::DkStreamRead)->support(), Support::Required);
  EXPECT_TRUE(call_desc(calls::DkObjectsWaitAny)->may_block());
  EXPECT_FALSE(call_desc(calls::DkEventSet)->may_block());
  for (const CallDesc& d : all_calls()) EXPECT_EQ(call_desc_for_number(DK_CALL_BASE + d.index), &d);
  EXPECT_EQ(static_cast<uint32_t>(DK_CALL_DkStreamOpen), DK_CALL_BASE + calls::DkStreamOpen);
}

// docs/abi.md's table of traits, as the call table makes it.
TEST(CallTraits, DocsTableIsTheCallTable) {
  auto row = [](std::string_view trait, uint32_t bit, uint32_t mask) {
    std::string r = "| " + std::string(trait) + " | ";
    bool first = true;
    for (const CallDesc& d : all_calls()) {
      if ((d.traits & mask) != bit) continue;
      r += (first ? "" : ", ") + std::string(d.name);
      first = false;
    }
    return r + " |\n";
  };
  const std::string want =
      "| trait | calls |\n|---|---|\n" +
      row("does not return when it succeeds (`DK_CALL_NORETURN`)", DK_CALL_NORETURN, DK_CALL_NORETURN) +
      row("served by the picoprocess's own state, through `GuestControl` (`DK_CALL_CONTROL`)",
          DK_CALL_CONTROL, DK_CALL_CONTROL) +
      row("may block the calling thread until the world changes (`DK_CALL_BLOCKS`)", DK_CALL_BLOCKS,
          DK_CALL_BLOCKS) +
      row("support: NOTSUP only under the condition its row names (`DK_CALL_CONDITIONAL`)",
          DK_CALL_CONDITIONAL, DK_CALL_SUPPORT_MASK) +
      row("support: a host may answer NOTSUP (`DK_CALL_OPTIONAL`)", DK_CALL_OPTIONAL, DK_CALL_SUPPORT_MASK);
  std::ifstream f(std::string(DK_SOURCE_DIR) + "/docs/abi.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const std::string begin = "<!-- call traits: generated from DK_CALL_TABLE -->\n";
  const size_t b = doc.find(begin), e = doc.find("<!-- end of call traits -->");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), want) << "write this table into docs/abi.md";
}

// A control that counts what reached it: the Host defaults of the DK_CALL_CONTROL calls.
class CountingControl : public null_guest::NoControl {
 public:
  dk_status_t vm_allocate(uint64_t& addr, uint64_t, uint32_t, uint32_t) override {
    ++reached;
    addr = 0x40000;
    return 0;
  }
  dk_status_t vm_free(uint64_t, uint64_t) override { return count(); }
  dk_status_t vm_protect(uint64_t, uint64_t, uint32_t) override { return count(); }
  dk_status_t set_segment(uint32_t, uint64_t) override { return count(); }
  dk_status_t exception_return(const dk_context&) override { return count(); }
  void thread_exit() override { ++reached; }
  void process_exit(int64_t) override { ++reached; }
  int reached = 0;

 private:
  dk_status_t count() {
    ++reached;
    return 0;
  }
};

class BareHost : public Host {
 public:
  std::string_view name() const override { return "bare"; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
};

TEST(HostDefaults, ControlCallsReachGuestControlTheRestAreNotSupported) {
  null_guest::NoMemory mem;
  CountingControl ctl;
  HandleTable handles;
  BareHost host;
  for (const CallDesc& d : all_calls()) {
    CallContext cx{mem, ctl, handles};
    Call call;
    call.desc = &d;
    call.index = d.index;
    const int before = ctl.reached;
    const dk_status_t st = host.serve(cx, call);
    if (d.served_by_control()) {
      EXPECT_EQ(st, 0) << d.name;
      EXPECT_EQ(ctl.reached, before + 1) << d.name;
    } else {
      EXPECT_EQ(st, -DK_E_NOTSUP) << d.name;
      EXPECT_EQ(ctl.reached, before) << d.name;
    }
  }
  Call alloc;
  alloc.index = calls::DkVirtualMemoryAllocate;
  alloc.desc = call_desc(alloc.index);
  CallContext cx{mem, ctl, handles};
  EXPECT_EQ(host.serve(cx, alloc), 0);
  EXPECT_TRUE(alloc.written[0]);
  EXPECT_EQ(alloc.val[0], 0x40000u) << "the address the control chose goes out";
}

// A decorator forwards everything it does not override.
TEST(HostDecorator, ForwardsToTheInnerHost) {
  BareHost inner;
  HostDecorator d(inner);
  EXPECT_EQ(d.name(), "bare");
  null_guest::NoMemory mem;
  CountingControl ctl;
  HandleTable handles;
  CallContext cx{mem, ctl, handles};
  Call c;
  c.index = calls::DkProcessExit;
  c.desc = call_desc(c.index);
  EXPECT_EQ(d.serve(cx, c), 0);
  EXPECT_EQ(ctl.reached, 1);
  EXPECT_FALSE(d.idle(kNoDeadline));
}

}  // namespace
}  // namespace dk
