// The libFuzzer entry point around one target's entry function. An exception that escapes
// the entry function (a Finding, or an error type the parser should never let out) is
// printed and turned into an abort, which libFuzzer reports as a crash with the input saved.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <typeinfo>

#define DK_FUZZ_TARGET(entry)                                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {                    \
    try {                                                                                       \
      entry(std::span<const uint8_t>(data, size));                                              \
    } catch (const std::exception& e) {                                                         \
      std::fprintf(stderr, "\n==dk-fuzz== %s escaped %s: %s\n", typeid(e).name(), #entry,      \
                   e.what());                                                                   \
      std::abort();                                                                             \
    } catch (...) {                                                                             \
      std::fprintf(stderr, "\n==dk-fuzz== a non-std exception escaped %s\n", #entry);          \
      std::abort();                                                                             \
    }                                                                                           \
    return 0;                                                                                   \
  }
