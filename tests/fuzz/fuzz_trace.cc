// libFuzzer target fuzz_trace (see trace_entry.h).
#include "trace_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_trace)
