// libFuzzer target fuzz_dispatcher (see dispatcher_entry.h).
#include "dispatcher_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_dispatcher)
