// Reports of a conformance run: the terminal table, JUnit XML (as CI systems read it), TAP
// version 13, JSON, and the per-call coverage matrix. Each takes results of one or more
// hosts and returns the text.
#pragma once

#include <string>
#include <vector>

#include "dk/conformance/runner.h"

namespace dk::conformance {

struct Summary {
  size_t pass = 0, fail = 0, broken = 0, not_applicable = 0;
  size_t total() const { return pass + fail + broken + not_applicable; }
};
Summary summarize(const std::vector<CaseResult>& results);

std::string table_report(const std::vector<CaseResult>& results, bool color);
std::string junit_report(const std::vector<CaseResult>& results);
std::string tap_report(const std::vector<CaseResult>& results);
std::string json_report(const std::vector<CaseResult>& results);
// Per call: cases touching it, and per host how many of those pass.
std::string matrix_report(const std::vector<CaseResult>& results, bool json);

}  // namespace dk::conformance
