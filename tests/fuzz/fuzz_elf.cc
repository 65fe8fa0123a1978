// libFuzzer target fuzz_elf (see elf_entry.h).
#include "elf_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_elf)
