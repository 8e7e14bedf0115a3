// Axis ranges, 1-2-5 and decade ticks, tick labels, and the pixel layout of
// the panels of a plot (margins sized to fit the labels).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "report/plot.h"
#include "report/plot_scene.h"

namespace cyclone::report {

Rgb series_color(std::size_t i) {
  static const Rgb palette[] = {
      {31, 119, 180}, {255, 127, 14}, {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
      {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

std::vector<double> nice_ticks(double lo, double hi, int max_intervals) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw std::invalid_argument("nice_ticks: need finite lo < hi, got [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "]");
  if (max_intervals < 1) throw std::invalid_argument("nice_ticks: max_intervals must be >= 1");
  const double raw = (hi - lo) / max_intervals;
  const int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double mag = std::pow(10.0, exponent);
  const double r = raw / mag;
  const double eps = 1e-9;
  const int mult = r <= 1 + eps ? 1 : r <= 2 + eps ? 2 : r <= 5 + eps ? 5 : 10;
  const double step = mult * mag;
  // Compute k * mult * 10^exponent dividing by an exact power of ten when the
  // exponent is negative, so 0.6 comes out as 0.6 and not 0.6000000000000001.
  const double inv_mag = exponent < 0 ? std::pow(10.0, -exponent) : 0;
  const auto k0 = static_cast<long long>(std::floor(lo / step + eps));
  const auto k1 = static_cast<long long>(std::ceil(hi / step - eps));
  std::vector<double> ticks;
  for (long long k = k0; k <= k1; ++k) {
    const double units = static_cast<double>(k) * mult;
    ticks.push_back(exponent < 0 ? units / inv_mag : units * mag);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo > 0) || !(lo < hi))
    throw std::invalid_argument("log_ticks: need finite 0 < lo < hi, got [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  const int e0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int e1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const int count = e1 - e0 + 1;
  const int stride = std::max(1, (count + std::max(1, max_ticks) - 1) / std::max(1, max_ticks));
  std::vector<double> ticks;
  for (int e = e0; e <= e1; ++e)
    if (((e % stride) + stride) % stride == 0) ticks.push_back(std::pow(10.0, e));
  return ticks;
}

std::string format_tick(double value, double step, bool log_axis) {
  char buf[64];
  if (log_axis) {
    const double e = std::log10(value);
    std::snprintf(buf, sizeof buf, std::abs(e - std::round(e)) < 1e-9 ? "%.0e" : "%.3g", value);
    return buf;
  }
  if (std::abs(value) < std::abs(step) * 1e-9) return "0";
  step = std::abs(step);
  if (step >= 1e-4 && std::abs(value) < 1e6) {
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  } else {
    const int digits = static_cast<int>(std::floor(std::log10(std::abs(value)))) -
                       static_cast<int>(std::floor(std::log10(step))) + 1;
    std::snprintf(buf, sizeof buf, "%.*g", std::clamp(digits, 1, 17), value);
  }
  return buf;
}

bool Axes::usable_x(double x) const { return std::isfinite(x) && (!log_x || x > 0); }
bool Axes::usable_y(double y) const { return std::isfinite(y) && (!log_y || y > 0); }

std::pair<double, double> Axes::to_pixel(double x, double y) const {
  auto frac = [](double v, double lo, double hi, bool log) {
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
               : (v - lo) / (hi - lo);
  };
  return {left + frac(x, x_lo, x_hi, log_x) * width,
          top + height - frac(y, y_lo, y_hi, log_y) * height};
}

namespace {

using plot_detail::text_height;
using plot_detail::text_width;

struct Range {
  double lo, hi;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(pos);
  const double t = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - t) + v[i + 1] * t : v[i];
}

// Range of the drawable values; a single value is widened so lo < hi.
Range data_range(const std::vector<double>& values, bool log, bool clip) {
  if (values.empty()) return log ? Range{1, 10} : Range{0, 1};
  double lo, hi;
  lo = *std::min_element(values.begin(), values.end());
  hi = *std::max_element(values.begin(), values.end());
  if (clip && values.size() >= 8) {
    // Tukey-style fences: values more than 2 interquartile ranges beyond
    // the quartiles (e.g. a diverging loss) fall outside the plot.
    std::vector<double> v = values;
    if (log) std::transform(v.begin(), v.end(), v.begin(), [](double y) { return std::log10(y); });
    const double q1 = percentile(v, 0.25), q3 = percentile(v, 0.75), iqr = q3 - q1;
    auto back = [&](double y) { return log ? std::pow(10.0, y) : y; };
    if (iqr > 0) {
      lo = std::max(lo, back(q1 - 2 * iqr));
      hi = std::min(hi, back(q3 + 2 * iqr));
    }
  }
  if (lo == hi) {
    if (log) return {lo / 2, hi * 2};
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    return {lo - pad, hi + pad};
  }
  return {lo, hi};
}

// Expands a data range to whole ticks (linear) or whole decades (log).
Range loose_range(Range r, bool log, std::vector<double>& ticks) {
  ticks = log ? log_ticks(r.lo, r.hi) : nice_ticks(r.lo, r.hi);
  if (log) {
    return {std::pow(10.0, std::floor(std::log10(r.lo) + 1e-9)),
            std::pow(10.0, std::ceil(std::log10(r.hi) - 1e-9))};
  }
  return {ticks.front(), ticks.back()};
}

void fill_ranges(const PlotSpec& spec, Axes& ax) {
  ax.log_x = spec.log_x;
  ax.log_y = spec.log_y;
  std::vector<double> xs, ys;
  for (const Series& s : spec.series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument("plot '" + spec.title + "': series '" + s.label + "' has " +
                                  std::to_string(s.x.size()) + " x values but " +
                                  std::to_string(s.y.size()) + " y values");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!ax.usable_x(s.x[i]) || !ax.usable_y(s.y[i])) continue;
      xs.push_back(s.x[i]);
      ys.push_back(s.y[i]);
    }
  }
  const Range xr = loose_range(data_range(xs, spec.log_x, false), spec.log_x, ax.x_ticks);
  ax.x_lo = xr.lo;
  ax.x_hi = xr.hi;

  if (spec.log_y && ((spec.y_min && *spec.y_min <= 0) || (spec.y_max && *spec.y_max <= 0)))
    throw std::invalid_argument("plot '" + spec.title + "': y_min/y_max must be > 0 on a log y axis");
  Range yr = data_range(ys, spec.log_y, spec.clip_outliers);
  if (spec.y_min) yr.lo = *spec.y_min;
  if (spec.y_max) yr.hi = *spec.y_max;
  if (!(yr.lo < yr.hi))
    throw std::invalid_argument("plot '" + spec.title + "': empty y range [" +
                                std::to_string(yr.lo) + ", " + std::to_string(yr.hi) + "]");
  if (spec.y_min && spec.y_max) {
    // Both limits fixed: keep them exactly and show the ticks inside.
    auto all = spec.log_y ? log_ticks(yr.lo, yr.hi) : nice_ticks(yr.lo, yr.hi);
    const double tol = (spec.log_y ? 1e-9 * yr.lo : 1e-9 * (yr.hi - yr.lo));
    for (double t : all)
      if (t >= yr.lo - tol && t <= yr.hi + tol) ax.y_ticks.push_back(t);
  } else {
    const Range loose = loose_range(yr, spec.log_y, ax.y_ticks);
    yr.lo = spec.y_min ? yr.lo : loose.lo;
    yr.hi = spec.y_max ? yr.hi : loose.hi;
    std::erase_if(ax.y_ticks, [&](double t) { return t < yr.lo || t > yr.hi; });
  }
  ax.y_lo = yr.lo;
  ax.y_hi = yr.hi;
}

double tick_step(const std::vector<double>& ticks) {
  return ticks.size() >= 2 ? ticks[1] - ticks[0] : 1.0;
}

}  // namespace

// Margins: left fits the y label and the widest y tick label, bottom the x
namespace plot_detail {
TitleLines fit_title(const std::string& title, int width) {
  TitleLines t;
  if (title.empty()) return t;
  const int room = width - 20;
  if (text_width(title, kTitleScale) <= room) {
    t.lines = {title};
    return t;
  }
  t.scale = kLabelScale;
  std::string line;
  for (std::size_t at = 0; at < title.size();) {
    std::size_t end = title.find(' ', at);  // words keep their trailing comma
    end = end == std::string::npos ? title.size() : end + 1;
    const std::string word = title.substr(at, end - at);
    if (!line.empty() && text_width(line + word, t.scale) > room) {
      t.lines.push_back(line);
      line.clear();
    }
    line += word;
    at = end;
  }
  if (!line.empty()) t.lines.push_back(line);
  return t;
}
}  // namespace plot_detail

// tick labels and x label, top the title; all panels share the left margin.
Layout layout_plots(const std::vector<PlotSpec>& specs) {
  if (specs.empty()) throw std::invalid_argument("layout_plots: no plots given");
  Layout layout;
  constexpr int pad = 10, tick_len = 5, gap = 4;
  const int tick_h = text_height(plot_detail::kTickScale);
  const int label_h = text_height(plot_detail::kLabelScale);
  int left = 0, right = 0;
  for (const PlotSpec& spec : specs) {
    if (spec.width < 120 || spec.height < 100 || spec.width > 20000 || spec.height > 20000)
      throw std::invalid_argument("plot '" + spec.title + "': size " + std::to_string(spec.width) +
                                  "x" + std::to_string(spec.height) +
                                  " is outside 120x100 .. 20000x20000");
    Axes ax;
    fill_ranges(spec, ax);
    int widest = 0;
    for (double t : ax.y_ticks)
      widest = std::max(widest, text_width(format_tick(t, tick_step(ax.y_ticks), spec.log_y),
                                           plot_detail::kTickScale));
    left = std::max(left, pad + (spec.ylabel.empty() ? 0 : label_h + gap) + widest + gap + tick_len);
    const std::string last_x =
        format_tick(ax.x_ticks.back(), tick_step(ax.x_ticks), spec.log_x);
    right = std::max(right, std::max(2 * pad, text_width(last_x, plot_detail::kTickScale) / 2 + gap));
    layout.width = std::max(layout.width, spec.width);
    layout.panels.push_back(ax);
  }
  int y = 0;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const PlotSpec& spec = specs[i];
    Axes& ax = layout.panels[i];
    const int top = pad + plot_detail::fit_title(spec.title, layout.width).height(gap);
    const int bottom = tick_len + gap + tick_h + (spec.xlabel.empty() ? 0 : gap + label_h) + pad;
    ax.left = left;
    ax.top = y + top;
    ax.width = std::max(1, layout.width - left - right);
    ax.height = std::max(1, spec.height - top - bottom);
    y += spec.height;
  }
  layout.height = y;
  return layout;
}

Axes layout_axes(const PlotSpec& spec) { return layout_plots({spec}).panels.front(); }

}  // namespace cyclone::report
