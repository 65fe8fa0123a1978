// Verdicts between two sets of results (dk perf compare): per (benchmark, figure), exact
// counters compared exactly, measured figures with a two-sided Mann-Whitney U test over their
// repetitions (as Google Benchmark's compare.py does), so noise is not called a regression
// and a real change is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dk/perf/history.h"

namespace dk::perf {

enum class Verdict {
  Same,         // exact: equal; measured: no significant change, or smaller than min_change
  Regression,   // worse, by the figure's direction
  Improvement,  // better
  Changed,      // a significant or exact change of a figure whose direction is not known
  TooFew,       // measured, but too few repetitions for the test ever to reach alpha
  New,          // only in HEAD
  Gone,         // only in BASE
  Unstable,     // exact, but one side holds different values (different seeds or builds)
};
const char* verdict_name(Verdict v);

struct CompareOptions {
  double alpha = 0.05;       // significance level of the U test
  double min_change = 0.01;  // a significant change smaller than this fraction is Same
};

struct FigureVerdict {
  Verdict verdict = Verdict::Same;
  std::string benchmark, figure;
  bool exact = false;
  Better better = Better::Unknown;
  size_t base_n = 0, head_n = 0;      // values on each side
  double base = 0, head = 0;          // exact: the value; measured: the median
  double change = 0;                  // (head - base) / base; 0 when base is 0
  double p = 1;                       // measured figures: the U test's p-value
};

// Every (benchmark, figure) of either side, in name order.
std::vector<FigureVerdict> compare(const std::vector<FigureValue>& base,
                                   const std::vector<FigureValue>& head,
                                   const CompareOptions& opts = {});

// The two-sided p-value of the Mann-Whitney U test of samples a and b: exact (the
// distribution of U counted) when neither has ties and both hold at most 20 values, else the
// normal approximation with the tie and continuity corrections. 1 when either is empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);
// The smallest p-value the test can give for samples of these sizes (no ties).
double mann_whitney_min_p(size_t n1, size_t n2);

double median(std::vector<double> v);

}  // namespace dk::perf
