// SVG of a figure's history (dk/perf/plot.h).
#include "dk/perf/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace dk::perf {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (const unsigned char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default:
        if (c < 0x20) o += ' ';
        else o += static_cast<char>(c);
    }
  }
  return o;
}

std::string num(double v) {
  char b[48];
  snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string tick_label(double v) {
  char b[48];
  const double a = std::fabs(v);
  if (a != 0 && (a >= 1e7 || a < 1e-2))
    snprintf(b, sizeof b, "%.3g", v);
  else if (v == std::floor(v))
    snprintf(b, sizeof b, "%.0f", v);
  else
    snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// A "nice" step for about `n` ticks over [lo, hi].
double nice_step(double lo, double hi, int n) {
  const double raw = (hi - lo) / n;
  if (raw <= 0) return 1;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"};

}  // namespace

std::string plot_svg(const PlotSpec& spec) {
  constexpr double W = 900, H = 440, L = 90, R = 90, T = 50, B = 120;
  // The commits on the x axis: every series' points, in first-seen order.
  std::vector<std::string> commits;
  for (const auto& s : spec.series)
    for (const auto& p : s.points)
      if (std::find(commits.begin(), commits.end(), p.commit) == commits.end()) commits.push_back(p.commit);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : spec.series)
    for (const auto& p : s.points)
      for (double v : p.values)
        if (std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(lo, hi, 6);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double pw = W - L - R, ph = H - T - B;
  auto x_of = [&](size_t i) {
    // Half a slot of room at each end, so the first and last commits' marks are whole.
    return L + pw * (static_cast<double>(i) + 0.5) / static_cast<double>(commits.size());
  };
  auto y_of = [&](double v) { return T + ph * (1 - (v - lo) / (hi - lo)); };
  auto index_of = [&](const std::string& c) {
    return static_cast<size_t>(std::find(commits.begin(), commits.end(), c) - commits.begin());
  };

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
       "\" viewBox=\"0 0 " + num(W) + " " + num(H) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += "<text x=\"" + num(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + esc(spec.title) + "</text>\n";
  // Grid and y ticks.
  for (double v = lo; v <= hi + step / 2; v += step) {
    const double y = y_of(v);
    o += "<line x1=\"" + num(L) + "\" y1=\"" + num(y) + "\" x2=\"" + num(W - R) + "\" y2=\"" + num(y) +
         "\" stroke=\"#e5e5e5\"/>\n";
    o += "<text x=\"" + num(L - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" + tick_label(v) + "</text>\n";
  }
  o += "<text transform=\"translate(18," + num(T + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       esc(spec.y_label) + "</text>\n";
  o += "<line x1=\"" + num(L) + "\" y1=\"" + num(T + ph) + "\" x2=\"" + num(W - R) + "\" y2=\"" + num(T + ph) +
       "\" stroke=\"black\"/>\n";
  o += "<line x1=\"" + num(L) + "\" y1=\"" + num(T) + "\" x2=\"" + num(L) + "\" y2=\"" + num(T + ph) +
       "\" stroke=\"black\"/>\n";
  // Commits on the x axis, slanted.
  for (size_t i = 0; i < commits.size(); ++i) {
    const double x = x_of(i);
    o += "<line x1=\"" + num(x) + "\" y1=\"" + num(T + ph) + "\" x2=\"" + num(x) + "\" y2=\"" + num(T + ph + 5) +
         "\" stroke=\"black\"/>\n";
    o += "<text transform=\"translate(" + num(x + 2) + "," + num(T + ph + 18) + ") rotate(40)\">" +
         esc(commits[i].substr(0, 10)) + "</text>\n";
  }
  // Series: values as dots, medians joined, verdicts ringed.
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const PlotSeries& s = spec.series[k];
    const char* colour = kColours[k % (sizeof kColours / sizeof *kColours)];
    std::string path;
    for (const PlotPoint& p : s.points) {
      if (p.values.empty()) continue;
      const double x = x_of(index_of(p.commit)), y = y_of(median(p.values));
      path += (path.empty() ? "M" : " L") + num(x) + " " + num(y);
    }
    o += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
    for (const PlotPoint& p : s.points) {
      const double x = x_of(index_of(p.commit));
      for (double v : p.values)
        o += "<g><title>" + esc(s.name + " @ " + p.commit + " (" + p.date + "): " + tick_label(v)) +
             "</title><circle cx=\"" + num(x) + "\" cy=\"" + num(y_of(v)) + "\" r=\"3\" fill=\"" + colour +
             "\" fill-opacity=\"0.6\"/></g>\n";
      if (p.values.empty()) continue;
      const char* ring = p.verdict == Verdict::Regression    ? "#d62728"
                         : p.verdict == Verdict::Improvement ? "#2ca02c"
                                                             : nullptr;
      if (ring)
        o += std::string("<g><title>") + verdict_name(p.verdict) + " against the commit before</title><circle cx=\"" +
             num(x) + "\" cy=\"" + num(y_of(median(p.values))) + "\" r=\"8\" fill=\"none\" stroke=\"" + ring +
             "\" stroke-width=\"2.5\"/></g>\n";
    }
  }
  // Legend: the series, then the rings.
  double ly = H - 18;
  double lx = L;
  for (size_t k = 0; k < spec.series.size(); ++k) {
    const char* colour = kColours[k % (sizeof kColours / sizeof *kColours)];
    o += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly - 9) + "\" width=\"12\" height=\"4\" fill=\"" + colour + "\"/>\n";
    const std::string name = spec.series[k].name.substr(0, 48);
    o += "<text x=\"" + num(lx + 16) + "\" y=\"" + num(ly - 4) + "\">" + esc(name) + "</text>\n";
    lx += 30 + 6.5 * static_cast<double>(name.size());
  }
  o += "<circle cx=\"" + num(lx + 6) + "\" cy=\"" + num(ly - 7) + "\" r=\"6\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>";
  o += "<text x=\"" + num(lx + 16) + "\" y=\"" + num(ly - 3) + "\">regression</text>\n";
  o += "<circle cx=\"" + num(lx + 100) + "\" cy=\"" + num(ly - 7) + "\" r=\"6\" fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\"/>";
  o += "<text x=\"" + num(lx + 110) + "\" y=\"" + num(ly - 3) + "\">improvement</text>\n";
  o += "</svg>\n";
  return o;
}

std::string plot_html(const PlotSpec& spec) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(spec.title) +
         "</title></head>\n<body>\n" + plot_svg(spec) + "</body></html>\n";
}

}  // namespace dk::perf
