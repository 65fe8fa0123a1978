// The first difference between two traces, in the words `dk trace show` uses: which record
// (or the header), which field, and both sides rendered. Backs `dk trace diff`.
#pragma once

#include <cstdint>
#include <string>

#include "dk/trace_file.h"

namespace dk {

struct TraceDiff {
  bool equal = true;
  bool in_header = false;
  uint64_t record = 0;  // index of the first differing record
  std::string field;    // "seed", "call", "count", "tick", "end of trace", ...
  std::string a, b;     // both sides rendered ("<end of trace>" past one side's end)
  std::string text() const;  // a few lines for a person
};

// Reads both traces to their first difference. The command line is not compared (two
// recordings of one run are usually started differently). Throws TraceError.
TraceDiff diff_traces(TraceReader& a, TraceReader& b);

}  // namespace dk
