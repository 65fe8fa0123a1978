// libFuzzer target fuzz_uri_namespace (see uri_namespace_entry.h).
#include "uri_namespace_entry.h"
#include "fuzz_driver.h"

DK_FUZZ_TARGET(dk::fuzz::fuzz_uri_namespace)
