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

std::string table_report(const std::vector<AttemptResult>& results, const std::string& host,
                         bool color);
std::string json_report(const std::vector<AttemptResult>& results, const std::string& host);
std::string junit_report(const std::vector<AttemptResult>& results, const std::string& host);

}  // namespace dk::escape
