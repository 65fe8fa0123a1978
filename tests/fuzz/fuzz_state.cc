// libFuzzer target fuzz_state (see state_entry.h).
#include "state_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_state)
