// libFuzzer target fuzz_instructions (see instructions_entry.h).
#include "instructions_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_instructions)
