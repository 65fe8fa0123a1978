// fuzz_dispatcher: random call numbers, registers and guest memory through
// Dispatcher::dispatch. A checking decorator sits between the dispatcher and the host and
// verifies that whatever reached the host was readable, writable and the size it claims;
// after the call, every byte the dispatcher wrote must be one of the call's outputs, no
// larger than the room the guest offered.
//   input: u8 mode (bit 0: serve with a SimHost instead of a random host), u16 n + n bytes
//   of guest memory (spread over the regions), then calls to the end of the input.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dk/dispatcher.h"
#include "dk/handle_table.h"
#include "dk/host_factory.h"
#include "../null_guest.h"
#include "fake_guest_memory.h"
#include "fuzz_input.h"

namespace dk::fuzz {

// Answers each call from the fuzz input: a status, output bytes of a random size (sometimes
// past the room, which the dispatcher must clip), and values on random argument slots.
class RandomHost : public Host {
 public:
  explicit RandomHost(FuzzInput& in) : in_(in) {}
  std::string_view name() const override { return "fuzz"; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
  dk_status_t serve(CallContext&, Call& call) override {
    static constexpr dk_status_t kStatus[] = {0, 0, 0, -DK_E_INVAL, -DK_E_OVERFLOW,
                                              -DK_E_INTERRUPTED, kBlocked, -DK_E_AGAIN};
    const dk_status_t st = kStatus[in_.below(std::size(kStatus))];
    const uint64_t cap = call.room + 64 < 0x4000 ? call.room + 64 : 0x4000;
    const uint64_t n = in_.below(cap + 1);
    call.out_bytes.assign(n, static_cast<uint8_t>(in_.u8()));
    const uint8_t mask = in_.u8();
    for (int a = 0; a < 6; ++a)
      if (mask & (1 << a)) call.set_out(a, in_.u64());
    auto a = in_.bytes(sizeof call.attr);
    std::memcpy(&call.attr, a.data(), a.size());
    auto s = in_.bytes(sizeof call.sysinfo);
    std::memcpy(&call.sysinfo, s.data(), s.size());
    return st;
  }

 private:
  FuzzInput& in_;
};

// Checks a decoded Call against the guest memory it came from, then passes it on.
class CheckingHost : public HostDecorator {
 public:
  CheckingHost(Host& inner, const FakeGuestMemory& mem) : HostDecorator(inner), mem_(mem) {}
  dk_status_t serve(CallContext& cx, Call& call) override {
    ++served;
    check_inputs(call);
    status = HostDecorator::serve(cx, call);
    return status;
  }
  int served = 0;
  dk_status_t status = 0;

 private:
  void fail(const Call& c, int a, const std::string& what) const {
    finding(std::string(c.desc->name) + " arg " + std::to_string(a) + " (" +
            std::string(arg_kind_name(c.desc->kinds[a])) + "): " + what);
  }
  void same_bytes(const Call& c, int a, uint64_t addr, const void* got, uint64_t n) const {
    std::vector<uint8_t> want(n);
    if (!mem_.peek(addr, want.data(), n) || (n && std::memcmp(want.data(), got, n) != 0))
      fail(c, a, "the host got bytes that are not guest memory's");
  }
  uint64_t mem_u64(const Call& c, int a, uint64_t addr) const {
    uint64_t v = 0;
    if (!mem_.check(addr, 8, DK_PROT_READ | DK_PROT_WRITE)) fail(c, a, "count not RW");
    mem_.peek(addr, &v, 8);
    return v;
  }

  void check_inputs(const Call& c) const {
    constexpr uint32_t R = DK_PROT_READ, W = DK_PROT_WRITE;
    if (!c.desc || c.desc != call_desc(c.index)) finding("call without a matching descriptor");
    for (int a = 0; a < c.desc->nargs; ++a) {
      const uint64_t p = c.reg[a];
      const uint64_t next = a + 1 < 6 ? c.reg[a + 1] : 0;
      switch (c.desc->kinds[a]) {
        case DK_ARG_U32:
          if (c.val[a] != (p & 0xffffffffu)) fail(c, a, "not masked to 32 bits");
          break;
        case DK_ARG_URI:
          if (c.uri.size() > DK_URI_MAX) fail(c, a, "URI over DK_URI_MAX");
          if (c.uri.find('\0') != std::string::npos) fail(c, a, "NUL inside the URI");
          if (!mem_.check(p, c.uri.size() + 1, R)) fail(c, a, "URI not readable");
          same_bytes(c, a, p, c.uri.c_str(), c.uri.size() + 1);
          break;
        case DK_ARG_BUF_IN_LEN_NEXT:
        case DK_ARG_BUF_IN_COUNT_NEXT: {
          const uint64_t len =
              c.desc->kinds[a] == DK_ARG_BUF_IN_LEN_NEXT ? next : mem_u64(c, a, next);
          if (c.in_bytes.size() != len) fail(c, a, "input size differs from the guest's length");
          if (p == 0 || !mem_.check(p, len, R)) fail(c, a, "input buffer not readable");
          same_bytes(c, a, p, c.in_bytes.data(), len);
          break;
        }
        case DK_ARG_BUF_OUT_LEN_NEXT:
        case DK_ARG_BUF_OUT_COUNT_NEXT: {
          const uint64_t room =
              c.desc->kinds[a] == DK_ARG_BUF_OUT_LEN_NEXT ? next : mem_u64(c, a, next);
          if (c.room != room) fail(c, a, "room differs from the guest's length");
          if (c.desc->kinds[a] == DK_ARG_BUF_OUT_LEN_NEXT && room > DK_RANDOM_MAX)
            fail(c, a, "room over DK_RANDOM_MAX");
          if (p == 0 || !mem_.check(p, room, W)) fail(c, a, "output buffer not writable");
          break;
        }
        case DK_ARG_U64_INOUT:
        case DK_ARG_ADDR_INOUT:
          if (c.val[a] != mem_u64(c, a, p)) fail(c, a, "value differs from guest memory");
          break;
        case DK_ARG_HANDLE_OUT:
        case DK_ARG_I64_OUT:
        case DK_ARG_U64_OUT:
          if (!mem_.check(p, 8, W)) fail(c, a, "output not writable");
          break;
        case DK_ARG_U32_OUT:
          if (!mem_.check(p, 4, W)) fail(c, a, "output not writable");
          break;
        case DK_ARG_U32_OUT_OPT:
          if (p != 0 && !mem_.check(p, 4, W)) fail(c, a, "output not writable");
          break;
        case DK_ARG_HANDLES_IN: {
          const uint64_t n = c.reg[0] & 0xffffffffu;
          if (n < 1 || n > DK_WAIT_MAX) fail(c, a, "handle count out of range");
          if (c.handles.size() != n) fail(c, a, "handle count differs");
          if (!mem_.check(p, n * sizeof(dk_handle_t), R)) fail(c, a, "handles not readable");
          same_bytes(c, a, p, c.handles.data(), n * sizeof(dk_handle_t));
          break;
        }
        case DK_ARG_CONTEXT_IN:
          if (!mem_.check(p, sizeof c.ctx, R)) fail(c, a, "context not readable");
          same_bytes(c, a, p, &c.ctx, sizeof c.ctx);
          break;
        case DK_ARG_ATTR_IN:
          if (!mem_.check(p, sizeof c.attr, R)) fail(c, a, "attributes not readable");
          same_bytes(c, a, p, &c.attr, sizeof c.attr);
          break;
        case DK_ARG_ATTR_OUT:
          if (!mem_.check(p, sizeof c.attr, W)) fail(c, a, "attributes not writable");
          break;
        case DK_ARG_SYSINFO_OUT: {
          const uint64_t room = next < sizeof c.sysinfo ? next : sizeof c.sysinfo;
          if (c.room != room) fail(c, a, "room differs");
          if (p == 0 || !mem_.check(p, room, W)) fail(c, a, "info not writable");
          break;
        }
        default:
          break;
      }
    }
  }

  const FakeGuestMemory& mem_;
};

// The writes complete() may make for a served call, in argument order.
inline std::vector<WriteRecord> expected_writes(const Call& c, dk_status_t st) {
  std::vector<WriteRecord> out;
  auto put = [&](uint64_t addr, const void* p, uint64_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.push_back({addr, std::vector<uint8_t>(b, b + n)});
  };
  for (int a = 0; a < c.desc->nargs; ++a) {
    const uint64_t p = c.reg[a];
    const uint64_t v = c.val[a];
    const uint32_t v32 = static_cast<uint32_t>(v);
    switch (c.desc->kinds[a]) {
      case DK_ARG_U64_INOUT:
      case DK_ARG_ADDR_INOUT:
        if (c.written[a]) put(p, &v, 8);
        break;
      case DK_ARG_HANDLE_OUT:
      case DK_ARG_I64_OUT:
      case DK_ARG_U64_OUT:
        if (st == 0 && c.written[a]) put(p, &v, 8);
        break;
      case DK_ARG_U32_OUT:
      case DK_ARG_U32_OUT_OPT:
        if (st == 0 && c.written[a] && p != 0) put(p, &v32, 4);
        break;
      case DK_ARG_BUF_OUT_LEN_NEXT:
      case DK_ARG_BUF_OUT_COUNT_NEXT:
        if (st == 0 && !c.out_bytes.empty())
          put(p, c.out_bytes.data(), c.out_bytes.size() < c.room ? c.out_bytes.size() : c.room);
        break;
      case DK_ARG_ATTR_OUT:
        if (st == 0) put(p, &c.attr, sizeof c.attr);
        break;
      case DK_ARG_SYSINFO_OUT:
        if (st == 0) put(p, &c.sysinfo, c.room);
        break;
      default:
        break;
    }
  }
  return out;
}

// A register value: NULL, pointers in, at the edge of and between the regions, the kernel
// half, or plain numbers of every width.
inline uint64_t fuzz_register(FuzzInput& in, const FakeGuestMemory& mem) {
  const auto& rs = mem.regions();
  switch (in.u8() % 9) {
    case 0: return 0;
    case 1: { const Region& r = rs[in.below(rs.size())]; return r.base + in.u16() % (r.size + 16); }
    case 2: { const Region& r = rs[in.below(rs.size())]; return r.base + r.size - in.u8() % 17; }
    case 3: return in.u8();
    case 4: return in.u32();
    case 5: return in.u64();
    case 6: return 0xffff800000000000ull + in.u16();
    case 7: return 0x12000 + in.u16() % 0x1000;  // the hole
    default: return ~uint64_t{0} - in.u8();
  }
}

inline void fuzz_dispatcher(std::span<const uint8_t> data) {
  FuzzInput in(data);
  const uint8_t mode = in.u8();
  FakeGuestMemory mem;
  {
    auto fill = in.bytes(in.u16() % 0x2000);
    size_t i = 0;
    for (Region& r : mem.regions())
      for (uint64_t k = 0; k < r.size && i < fill.size(); ++k) r.bytes[k] = fill[i++];
  }
  null_guest::NoControl ctl;
  HandleTable handles;
  RandomHost random_host(in);
  HostLaunch launch;
  launch.seed = 1;
  LaunchedHost sim;
  if (mode & 1) sim = make_host(launch);
  Host& inner = sim.host ? static_cast<Host&>(*sim.host) : random_host;
  CheckingHost host(inner, mem);
  Dispatcher dispatcher(host);
  Call call;

  for (int n = 0; n < 16 && !in.empty(); ++n) {
    TrapRegs regs{};
    const uint8_t sel = in.u8();
    regs.rax = sel < 240 ? DK_CALL_BASE + sel % 48 : in.u64();
    uint64_t* r[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
    for (uint64_t* p : r) *p = fuzz_register(in, mem);

    CallContext cx{mem, ctl, handles};
    cx.pid = 1;
    cx.tick = static_cast<uint64_t>(n) * 1000;
    cx.now_ns = cx.tick * 10;
    mem.writes.clear();
    const int served_before = host.served;
    const dk_status_t st = dispatcher.dispatch(cx, regs, call);
    const bool served = host.served != served_before;
    const std::string name = call.desc ? std::string(call.desc->name) : "foreign call";

    if (mem.refused_writes) finding(name + ": a write outside writable memory was attempted");
    if (!served) {
      if (st >= 0) finding(name + ": refused before the host with a non-error status");
      if (!mem.writes.empty()) finding(name + ": refused before the host, yet memory was written");
      continue;
    }
    if (st != host.status)
      finding(name + ": complete() changed the host's status " + std::to_string(host.status) +
              " to " + std::to_string(st) + " (a copy-out failed on checked memory)");
    // Writes the host made itself (through cx.mem) come first; the dispatcher's come last.
    const std::vector<WriteRecord> want = expected_writes(call, host.status);
    if (mem.writes.size() < want.size()) finding(name + ": an output was not copied out");
    const size_t first = mem.writes.size() - want.size();
    for (size_t i = 0; i < want.size(); ++i) {
      const WriteRecord& got = mem.writes[first + i];
      if (got.addr != want[i].addr || got.bytes != want[i].bytes)
        finding(name + ": copy-out " + std::to_string(i) + " differs from the call's outputs");
    }
    if (!sim.host && first != 0) finding(name + ": memory written outside the call's outputs");
  }
}

}  // namespace dk::fuzz
