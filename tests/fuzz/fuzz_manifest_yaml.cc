// libFuzzer target fuzz_manifest_yaml (see manifest_entry.h).
#include "manifest_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_manifest_yaml)
