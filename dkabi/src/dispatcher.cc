// Decoding by argument kind: each kind says how its register is checked and copied. The
// order is the argument order, and the first failing argument decides the status, so a
// call is refused before the host sees anything.
#include "dk/dispatcher.h"

#include <cstring>

namespace dk {
namespace {

constexpr uint32_t R = DK_PROT_READ;
constexpr uint32_t W = DK_PROT_WRITE;
constexpr uint32_t RW = DK_PROT_READ | DK_PROT_WRITE;

// Reads a u64 that the call will also write back (count, ns, addr).
bool read_inout(const GuestMemory& mem, uint64_t addr, uint64_t& out) {
  return mem.check(addr, 8, RW) && mem.read(addr, &out, 8);
}

// Every pointer is required (ABI.md section 2): NULL fails even with a zero length.
bool check_ptr(const GuestMemory& mem, uint64_t addr, uint64_t len, uint32_t access) {
  return addr != 0 && mem.check(addr, len, access);
}

dk_status_t copy_in(const GuestMemory& mem, uint64_t addr, uint64_t len, std::vector<uint8_t>& dst) {
  if (!check_ptr(mem, addr, len, R)) return -DK_E_FAULT;
  dst.resize(len);
  if (len != 0 && !mem.read(addr, dst.data(), len)) return -DK_E_FAULT;
  return 0;
}

}  // namespace

dk_status_t Dispatcher::decode(const GuestMemory& mem, const TrapRegs& regs, Call& call) {
  call.reset();
  call.desc = call_desc_for_number(regs.rax);
  if (!call.desc) return -DK_E_NOTSUP;
  call.index = call.desc->index;
  const uint64_t r[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  for (int a = 0; a < 6; ++a) call.reg[a] = call.val[a] = r[a];

  for (int a = 0; a < call.desc->nargs; ++a) {
    const uint64_t v = r[a];
    const uint64_t next = a + 1 < 6 ? r[a + 1] : 0;
    switch (call.desc->kinds[a]) {
      case DK_ARG_U32:
        call.val[a] = v & 0xffffffffu;
        break;
      case DK_ARG_U64:
      case DK_ARG_I64:
      case DK_ARG_HANDLE:
      case DK_ARG_ADDR:
        break;
      case DK_ARG_URI: {
        dk_status_t st = mem.read_cstr(v, DK_URI_MAX, call.uri);
        if (st) return st;
        break;
      }
      case DK_ARG_BUF_IN_LEN_NEXT: {
        dk_status_t st = copy_in(mem, v, next, call.in_bytes);
        if (st) return st;
        break;
      }
      case DK_ARG_BUF_IN_COUNT_NEXT: {
        uint64_t len = 0;
        if (!read_inout(mem, next, len)) return -DK_E_FAULT;
        dk_status_t st = copy_in(mem, v, len, call.in_bytes);
        if (st) return st;
        break;
      }
      case DK_ARG_BUF_OUT_LEN_NEXT:
        // Only DkRandomBitsRead has this shape; its size limit is part of the contract.
        if (next > DK_RANDOM_MAX) return -DK_E_INVAL;
        if (!check_ptr(mem, v, next, W)) return -DK_E_FAULT;
        call.room = next;
        break;
      case DK_ARG_BUF_OUT_COUNT_NEXT: {
        uint64_t room = 0;
        if (!read_inout(mem, next, room)) return -DK_E_FAULT;
        if (!check_ptr(mem, v, room, W)) return -DK_E_FAULT;
        call.room = room;
        break;
      }
      case DK_ARG_U64_INOUT:
      case DK_ARG_ADDR_INOUT:
        if (!read_inout(mem, v, call.val[a])) return -DK_E_FAULT;
        break;
      case DK_ARG_HANDLE_OUT:
      case DK_ARG_I64_OUT:
      case DK_ARG_U64_OUT:
        if (!mem.check(v, 8, W)) return -DK_E_FAULT;
        call.val[a] = 0;
        break;
      case DK_ARG_U32_OUT:
        if (!mem.check(v, 4, W)) return -DK_E_FAULT;
        call.val[a] = 0;
        break;
      case DK_ARG_U32_OUT_OPT:
        if (v != 0 && !mem.check(v, 4, W)) return -DK_E_FAULT;
        call.val[a] = 0;
        break;
      case DK_ARG_HANDLES_IN: {
        const uint64_t n = call.val[0];  // the count is always the first argument
        if (n < 1 || n > DK_WAIT_MAX) return -DK_E_INVAL;
        if (!mem.check(v, n * sizeof(dk_handle_t), R)) return -DK_E_FAULT;
        call.handles.resize(n);
        if (!mem.read(v, call.handles.data(), n * sizeof(dk_handle_t))) return -DK_E_FAULT;
        break;
      }
      case DK_ARG_CONTEXT_IN:
        if (!mem.read(v, &call.ctx, sizeof(call.ctx))) return -DK_E_FAULT;
        break;
      case DK_ARG_ATTR_IN:
        if (!mem.read(v, &call.attr, sizeof(call.attr))) return -DK_E_FAULT;
        break;
      case DK_ARG_ATTR_OUT:
        if (!mem.check(v, sizeof(dk_stream_attr), W)) return -DK_E_FAULT;
        call.attr = {};
        break;
      case DK_ARG_SYSINFO_OUT: {
        const uint64_t room = next < sizeof(dk_system_info) ? next : sizeof(dk_system_info);
        if (!check_ptr(mem, v, room, W)) return -DK_E_FAULT;
        call.room = room;
        call.sysinfo = {};
        break;
      }
      default:
        return -DK_E_INVAL;
    }
  }
  return 0;
}

dk_status_t Dispatcher::complete(GuestMemory& mem, const Call& call, dk_status_t status) {
  bool ok = true;
  for (int a = 0; a < call.desc->nargs; ++a) {
    const uint64_t p = call.reg[a];
    const uint64_t v = call.val[a];
    switch (call.desc->kinds[a]) {
      // In/out values go back whenever the host set them, failure included (the size
      // needed on OVERFLOW, the time left on INTERRUPTED); pure outputs only on success.
      case DK_ARG_U64_INOUT:
      case DK_ARG_ADDR_INOUT:
        if (call.written[a]) ok &= mem.write(p, &v, 8);
        break;
      case DK_ARG_HANDLE_OUT:
      case DK_ARG_I64_OUT:
      case DK_ARG_U64_OUT:
        if (status == 0 && call.written[a]) ok &= mem.write(p, &v, 8);
        break;
      case DK_ARG_U32_OUT:
      case DK_ARG_U32_OUT_OPT:
        if (status == 0 && call.written[a] && p != 0) {
          const uint32_t v32 = static_cast<uint32_t>(v);
          ok &= mem.write(p, &v32, 4);
        }
        break;
      case DK_ARG_BUF_OUT_LEN_NEXT:
      case DK_ARG_BUF_OUT_COUNT_NEXT:
        if (status == 0 && !call.out_bytes.empty()) {
          const uint64_t n = call.out_bytes.size() < call.room ? call.out_bytes.size() : call.room;
          ok &= mem.write(p, call.out_bytes.data(), n);
        }
        break;
      case DK_ARG_ATTR_OUT:
        if (status == 0) ok &= mem.write(p, &call.attr, sizeof(call.attr));
        break;
      case DK_ARG_SYSINFO_OUT:
        if (status == 0) ok &= mem.write(p, &call.sysinfo, call.room);
        break;
      default:
        break;
    }
  }
  // Outputs were checked writable before the host ran; only a host call that changed the
  // mappings under them (DkVirtualMemoryAllocate with REPLACE) can make a copy-out fail.
  return ok ? status : -DK_E_FAULT;
}

dk_status_t Dispatcher::dispatch(CallContext& cx, const TrapRegs& regs, Call& call) {
  dk_status_t st = decode(cx.mem, regs, call);
  if (st) return st;
  st = host_.serve(cx, call);
  return complete(cx.mem, call, st);
}

}  // namespace dk
