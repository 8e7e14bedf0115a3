// Line plots written as PNG or SVG files: loss curves, LR-finder curves,
// schedules. Axis layout and tick helpers are public so tests can check them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cyclone::report {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// Colour of the i-th series (a small palette of distinct colours, cycled).
Rgb series_color(std::size_t i);

struct Series {
  std::string label;            // empty: not shown in the legend
  std::vector<double> x, y;     // same length; NaN/Inf points break the line
  bool points = false;          // true: draw a marker at each point, no line
};

// A vertical line across the plot with a label, e.g. an LR-finder suggestion.
struct Marker {
  double x = 0;
  std::string label;
};

// One marked point, e.g. an LR-finder suggestion on its curve: a large square with an
// outline, in a colour of its own, with its label in the legend after the series.
struct Highlight {
  double x = 0, y = 0;
  std::string label;
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  std::vector<Marker> markers;
  std::vector<Highlight> highlights;  // drawn over the series; colours follow the series'
  int width = 1100, height = 680;
  std::optional<double> y_min, y_max;  // fixed y limits; otherwise from the data
  bool clip_outliers = false;  // y range ends 2 IQRs beyond the quartiles (log10 IQRs on log y)
};

// Writes the plot as PNG or SVG, chosen by the extension (.png / .svg).
// Throws std::invalid_argument (unknown extension, bad spec) or
// std::runtime_error (write failure); both messages name the path.
void save_plot(const PlotSpec& spec, const std::string& path);

// Several plots stacked top to bottom in one image (e.g. lr above momentum).
// The image is as wide as the widest spec; the y axes are aligned.
void save_plots_vertical(const std::vector<PlotSpec>& specs, const std::string& path);

// The same plots rendered to an in-memory SVG document.
std::string plots_to_svg(const std::vector<PlotSpec>& specs);

// --- Axis helpers -----------------------------------------------------------

// About `max_intervals` ticks on a 1-2-5 grid covering [lo, hi] (the first
// tick is <= lo and the last >= hi). lo < hi must hold.
std::vector<double> nice_ticks(double lo, double hi, int max_intervals = 5);

// Decade ticks 10^k covering [lo, hi] (0 < lo < hi), thinned to every
// n-th decade when there are more than `max_ticks`.
std::vector<double> log_ticks(double lo, double hi, int max_ticks = 10);

// Tick label text: decades as "1e-07"; linear ticks with just enough
// decimals for `step` (e.g. 0.2 -> "0.4", 50 -> "150").
std::string format_tick(double value, double step, bool log_axis);

// One panel's data ranges, ticks and plot rectangle (pixels, y down).
struct Axes {
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;  // data limits of the plot area
  bool log_x = false, log_y = false;
  int left = 0, top = 0, width = 1, height = 1;   // plot rectangle in the image
  std::vector<double> x_ticks, y_ticks;

  // Maps a data point to image pixel coordinates (x right, y down).
  // (x_lo, y_lo) maps to (left, top + height), (x_hi, y_hi) to (left + width, top).
  std::pair<double, double> to_pixel(double x, double y) const;
  bool usable_x(double x) const;  // finite, and positive on a log axis
  bool usable_y(double y) const;
};

// Image size and one Axes per panel for a vertical stack of specs.
struct Layout {
  int width = 0, height = 0;
  std::vector<Axes> panels;
};
Layout layout_plots(const std::vector<PlotSpec>& specs);

// Axes of a single plot, as save_plot lays it out.
Axes layout_axes(const PlotSpec& spec);

}  // namespace cyclone::report
