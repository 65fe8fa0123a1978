// Reports of an escape run: a table per family with counts, JSON (totals attempts,
// contained, deviations, escapes, host_failures and every row) and JUnit XML.
#pragma once

#include <string>
#include <vector>

#include "dk/escape/runner.h"

namespace dk::escape {

struct Totals {
  size_t attempts = 0, contained = 0, deviations = 0, escapes = 0, host_failures = 0;
  bool clean() const { return deviations + escapes + host_failures == 0; }
};
Totals totals(const std::vector<AttemptResult>& results);

// `runtime` is the runtime the attempts ran on ("emu" or "native"): the JSON's "runtime",
// the table's last line and, for "native", the JUnit suites' prefix ("native-runtime.").
std::string table_report(const std::vector<AttemptResult>& results, const std::string& host,
                         bool color, const std::string& runtime = "emu");
std::string json_report(const std::vector<AttemptResult>& results, const std::string& host,
                        const std::string& runtime = "emu");
std::string junit_report(const std::vector<AttemptResult>& results, const std::string& host,
                         const std::string& runtime = "emu");

}  // namespace dk::escape
