// Verdicts and the Mann-Whitney U test (dk/perf/compare.h).
#include "dk/perf/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace dk::perf {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Same: return "same";
    case Verdict::Regression: return "REGRESSION";
    case Verdict::Improvement: return "improvement";
    case Verdict::Changed: return "changed";
    case Verdict::TooFew: return "too-few";
    case Verdict::New: return "new";
    case Verdict::Gone: return "gone";
    case Verdict::Unstable: return "unstable";
  }
  return "?";
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {

constexpr size_t kExactMax = 20;

// P(U <= u) for samples of n1 and n2 values without ties: the number of arrangements with
// U = k, for every k, by the recurrence f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k).
std::vector<double> u_distribution(size_t n1, size_t n2) {
  const size_t top = n1 * n2;
  // f[j][k] for the current i.
  std::vector<std::vector<double>> f(n2 + 1, std::vector<double>(top + 1, 0.0));
  for (size_t j = 0; j <= n2; ++j) f[j][0] = 1;  // i = 0: one arrangement, U = 0
  for (size_t i = 1; i <= n1; ++i) {
    std::vector<std::vector<double>> g(n2 + 1, std::vector<double>(top + 1, 0.0));
    g[0][0] = 1;  // j = 0
    for (size_t j = 1; j <= n2; ++j)
      for (size_t k = 0; k <= i * j; ++k) g[j][k] = (k >= j ? f[j][k - j] : 0.0) + g[j - 1][k];
    f = std::move(g);
  }
  std::vector<double> cdf(top + 1);
  double total = 0;
  for (size_t k = 0; k <= top; ++k) total += f[n2][k];
  double run = 0;
  for (size_t k = 0; k <= top; ++k) {
    run += f[n2][k];
    cdf[k] = run / total;
  }
  return cdf;
}

}  // namespace

double mann_whitney_min_p(size_t n1, size_t n2) {
  if (n1 == 0 || n2 == 0) return 1;
  // Both extremes: 2 / C(n1 + n2, n1).
  double c = 1;
  for (size_t k = 1; k <= n1; ++k) c = c * static_cast<double>(n2 + k) / static_cast<double>(k);
  return std::min(1.0, 2.0 / c);
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n1 = a.size(), n2 = b.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) return 1;
  std::vector<std::pair<double, int>> all;
  all.reserve(n);
  for (double v : a) all.push_back({v, 0});
  for (double v : b) all.push_back({v, 1});
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  double r1 = 0, ties = 0;
  bool tied = false;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && all[j].first == all[i].first) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // average
    const double t = static_cast<double>(j - i);
    if (t > 1) {
      tied = true;
      ties += t * t * t - t;
    }
    for (size_t k = i; k < j; ++k)
      if (all[k].second == 0) r1 += rank;
    i = j;
  }
  const double u1 = r1 - static_cast<double>(n1 * (n1 + 1)) / 2;
  const double nn = static_cast<double>(n1) * static_cast<double>(n2);
  if (!tied && n1 <= kExactMax && n2 <= kExactMax) {
    const std::vector<double> cdf = u_distribution(n1, n2);
    const size_t u = static_cast<size_t>(std::llround(u1));
    const double lower = cdf[u];                      // P(U <= u)
    const double upper = 1 - (u > 0 ? cdf[u - 1] : 0);  // P(U >= u)
    return std::min(1.0, 2 * std::min(lower, upper));
  }
  const double mu = nn / 2;
  const double dn = static_cast<double>(n);
  const double var = nn / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
  if (var <= 0) return 1;  // every value equal
  const double z = (std::fabs(u1 - mu) - 0.5) / std::sqrt(var);
  if (z <= 0) return 1;
  return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
}

std::vector<FigureVerdict> compare(const std::vector<FigureValue>& base,
                                   const std::vector<FigureValue>& head,
                                   const CompareOptions& opts) {
  struct Side {
    std::vector<double> values;
    bool exact = false;
    Better better = Better::Unknown;
  };
  std::map<std::pair<std::string, std::string>, std::pair<Side, Side>> figures;
  for (int s = 0; s < 2; ++s)
    for (const FigureValue& v : s == 0 ? base : head) {
      auto& [b, h] = figures[{v.benchmark, v.figure}];
      Side& side = s == 0 ? b : h;
      side.values.push_back(v.value);
      side.exact = v.exact;
      side.better = v.better;
    }
  std::vector<FigureVerdict> out;
  for (auto& [key, sides] : figures) {
    const Side &b = sides.first, &h = sides.second;
    FigureVerdict f;
    f.benchmark = key.first;
    f.figure = key.second;
    f.base_n = b.values.size();
    f.head_n = h.values.size();
    const Side& known = h.values.empty() ? b : h;
    f.exact = known.exact;
    f.better = known.better;
    if (b.values.empty() || h.values.empty()) {
      f.verdict = b.values.empty() ? Verdict::New : Verdict::Gone;
      f.base = median(b.values);
      f.head = median(h.values);
      out.push_back(f);
      continue;
    }
    f.base = median(b.values);
    f.head = median(h.values);
    f.change = f.base != 0 ? (f.head - f.base) / std::fabs(f.base) : 0;
    auto direction = [&] {
      if (f.better == Better::Unknown) return Verdict::Changed;
      const bool up = f.head > f.base;
      return (up == (f.better == Better::Higher)) ? Verdict::Improvement : Verdict::Regression;
    };
    if (f.exact) {
      auto uniform = [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
      };
      f.p = 0;
      if (!uniform(b.values) || !uniform(h.values))
        f.verdict = Verdict::Unstable;
      else
        f.verdict = f.head == f.base ? Verdict::Same : direction();
      out.push_back(f);
      continue;
    }
    f.p = mann_whitney_p(b.values, h.values);
    if (mann_whitney_min_p(f.base_n, f.head_n) > opts.alpha && f.head != f.base)
      f.verdict = Verdict::TooFew;
    else if (f.p < opts.alpha && std::fabs(f.change) >= opts.min_change)
      f.verdict = direction();
    else
      f.verdict = Verdict::Same;
    out.push_back(f);
  }
  return out;
}

}  // namespace dk::perf
