// libFuzzer target fuzz_archive (see archive_entry.h).
#include "archive_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_archive)
