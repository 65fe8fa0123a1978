// Host defaults: serve() routes by the call table; every call a host does not implement
// answers -DK_E_NOTSUP.
#include "dk/host.h"

namespace dk {

#define DK_X_DEFAULT(idx, name, kinds, names) \
  dk_status_t Host::name(CallContext&, Call&) { return -DK_E_NOTSUP; }
DK_CALL_LIST(DK_X_DEFAULT)
#undef DK_X_DEFAULT

dk_status_t Host::serve(CallContext& cx, Call& call) {
  switch (call.index) {
#define DK_X_CASE(idx, name, kinds, names) \
  case idx:                                \
    return name(cx, call);
    DK_CALL_LIST(DK_X_CASE)
#undef DK_X_CASE
    default:
      return -DK_E_NOTSUP;
  }
}

}  // namespace dk
