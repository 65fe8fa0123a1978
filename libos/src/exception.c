/* LibOsExceptionDispatch's C half: one process-wide handler, as the Dk ABI has one upcall. */
#include <dk/dkcalls.h>
#include <dk/libos.h>

#include "libos_internal.h"

static dk_exception_handler_t libos_handler;

dk_exception_handler_t dk_set_exception_handler(dk_exception_handler_t handler) {
  dk_exception_handler_t old = libos_handler;
  libos_handler = handler;
  return old;
}

void libos_exception_main(dk_exception_info* info) {
  dk_exception_handler_t handler = libos_handler;
  if (!handler || !handler(info)) return; /* unhandled: the entry returns from the upcall */
  DkExceptionReturn(&info->context);
  /* Only a context the host refuses gets here; trapping again ends the picoprocess with a
   * report instead of running on in the handler's frame. */
  LIBOS_UNREACHABLE();
}
