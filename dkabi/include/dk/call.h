// One decoded downcall: the trapped registers, every argument checked and copied in, and
// the results a host leaves for the dispatcher to copy out. Hosts and host decorators
// (Recorder, Replayer, Auditor) see only this, never registers or guest memory.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/calls.h"

namespace dk {

struct Call {
  const CallDesc* desc = nullptr;
  uint32_t index = 0;

  uint64_t reg[6]{};  // rdi, rsi, rdx, r10, r8, r9 as trapped
  // Scalars: the register. *_INOUT: the value read from guest memory. *_OUT: what the host
  // sets with set_out(); it is copied out when marked written.
  uint64_t val[6]{};
  std::bitset<6> written;

  std::string uri;                  // the DK_ARG_URI argument, if any
  std::vector<uint8_t> in_bytes;    // the BUF_IN argument, if any
  std::vector<dk_handle_t> handles; // DK_ARG_HANDLES_IN
  dk_context ctx{};                 // DK_ARG_CONTEXT_IN
  dk_stream_attr attr{};            // DK_ARG_ATTR_IN / ATTR_OUT (host fills for OUT)
  dk_system_info sysinfo{};         // DK_ARG_SYSINFO_OUT (host fills; copied up to room)
  uint64_t room = 0;                // BUF_OUT: bytes the guest offered
  std::vector<uint8_t> out_bytes;   // BUF_OUT: what the host produced (<= room)

  uint64_t arg(int i) const { return val[i]; }
  void set_out(int i, uint64_t v) {
    val[i] = v;
    written.set(static_cast<size_t>(i));
  }
  // Reset for reuse without giving back vector capacity (the hot path allocates nothing).
  void reset() {
    desc = nullptr;
    index = 0;
    written.reset();
    uri.clear();
    in_bytes.clear();
    handles.clear();
    room = 0;
    out_bytes.clear();
  }
};

}  // namespace dk
