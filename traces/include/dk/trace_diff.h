// The differences between two traces, in the words `dk trace show` uses: every header field
// that differs by name, then records compared by position (which record, which field, both
// sides rendered). Backs `dk trace diff`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dk/trace_file.h"

namespace dk {

struct TraceDifference {
  bool in_header = false;
  uint64_t record = 0;  // index of the differing record
  std::string field;    // "seed", "launch args", "call", "count", "tick", "end of trace", ...
  std::string a, b;     // both sides rendered ("<end of trace>" past one side's end)
};

struct TraceDiffOptions {
  size_t max = 1;            // differences to list; 0: all of them
  bool past_header = false;  // compare the records even when the headers differ
};

struct TraceDiff {
  bool equal = true;
  std::vector<TraceDifference> differences;  // in order: header fields, then records
  bool more = false;                         // stopped at `max` before the end of both traces
  bool records_compared = true;              // false: a header difference stopped the comparison
  // Header facts that differ without making the traces differ (the command lines).
  std::vector<std::string> notes;
  std::string text() const;  // a few lines per difference, for a person
};

// Compares every header field but the command line (two recordings of one run are usually
// started differently, e.g. `-o a` and `-o b`: that difference is a note), then the records
// in order, position by position. Throws TraceError.
TraceDiff diff_traces(TraceReader& a, TraceReader& b, TraceDiffOptions opts = {});

}  // namespace dk
