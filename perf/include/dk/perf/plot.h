// A figure's history as a picture (dk perf plot): an SVG drawn here, no plotting program
// needed, viewable offline (alone, or inline in a small HTML page).
#pragma once

#include <string>
#include <vector>

#include "dk/perf/compare.h"

namespace dk::perf {

struct PlotPoint {
  std::string commit;           // as stored
  std::string date;             // of its first run
  std::vector<double> values;   // every value of the figure the commit's runs hold
  Verdict verdict = Verdict::Same;  // against the commit before it on the same series
};

struct PlotSeries {
  std::string name;  // the benchmark
  std::vector<PlotPoint> points;  // in history order
};

struct PlotSpec {
  std::string title;   // the figure's name
  std::string y_label;
  std::vector<PlotSeries> series;
};

// The SVG document: each value a dot, each commit's median joined by a line per series,
// regressions ringed in red and improvements in green (with a legend), commits on the x axis.
std::string plot_svg(const PlotSpec& spec);
// The same SVG inline in a minimal HTML page.
std::string plot_html(const PlotSpec& spec);

}  // namespace dk::perf
