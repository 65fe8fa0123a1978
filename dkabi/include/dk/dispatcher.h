// The dispatcher: the only code that reads a downcall's registers. It decodes them by the
// call table's argument kinds, checks and copies every pointer argument in once, hands the
// checked Call to the Host, and copies results out once. Guest input is hostile: nothing
// behind this line rechecks a pointer or a length.
#pragma once

#include <cstdint>

#include "dk/call.h"
#include "dk/host.h"

namespace dk {

struct TrapRegs {
  uint64_t rax, rdi, rsi, rdx, r10, r8, r9;
};

class Dispatcher {
 public:
  explicit Dispatcher(Host& host) : host_(host) {}
  Host& host() { return host_; }

  // Decodes, checks, serves and completes one downcall whose number is a Dk number.
  // Returns the status for rax. `call` is scratch storage reused across calls.
  dk_status_t dispatch(CallContext& cx, const TrapRegs& regs, Call& call);

  // The two halves, for tools that need them apart (fuzzers, replay checks).
  // decode: 0 or the status the call fails with before reaching the host.
  static dk_status_t decode(const GuestMemory& mem, const TrapRegs& regs, Call& call);
  // complete: copies outputs to guest memory; a copy-out failure gives -DK_E_FAULT.
  static dk_status_t complete(GuestMemory& mem, const Call& call, dk_status_t status);

 private:
  Host& host_;
};

}  // namespace dk
