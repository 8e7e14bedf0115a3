// Turns PlotSpecs into shapes: grid, clipped data lines, markers, axes,
// tick labels, titles and a legend placed in the emptiest corner.
#include <algorithm>
#include <cmath>

#include "report/plot_scene.h"

namespace cyclone::report::plot_detail {
namespace {

const Rgb kWhite{255, 255, 255};
const Rgb kInk{40, 40, 40};
const Rgb kFrame{90, 90, 90};
const Rgb kGrid{225, 225, 225};
const Rgb kMinorGrid{242, 242, 242};
const Rgb kMarker{70, 70, 70};

struct Box {
  double x0, y0, x1, y1;
  bool contains(Point p) const { return p.first >= x0 && p.first <= x1 && p.second >= y0 && p.second <= y1; }
};

Box plot_box(const Axes& ax) {
  return {double(ax.left), double(ax.top), double(ax.left + ax.width), double(ax.top + ax.height)};
}

// Liang-Barsky: clips segment a-b to the box; false when nothing is inside.
bool clip_segment(Point& a, Point& b, const Box& box) {
  const double dx = b.first - a.first, dy = b.second - a.second;
  double t0 = 0, t1 = 1;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.first - box.x0, box.x1 - a.first, a.second - box.y0, box.y1 - a.second};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  const Point start = a;
  a = {start.first + t0 * dx, start.second + t0 * dy};
  b = {start.first + t1 * dx, start.second + t1 * dy};
  return true;
}

// Pixel position of a usable data point, kept finite for far-off values.
Point pixel(const Axes& ax, double x, double y) {
  auto [px, py] = ax.to_pixel(x, y);
  return {std::clamp(px, -1e9, 1e9), std::clamp(py, -1e9, 1e9)};
}

// Polylines of one series: broken at unusable points, clipped to the box.
std::vector<std::vector<Point>> series_paths(const Series& s, const Axes& ax) {
  const Box box = plot_box(ax);
  std::vector<std::vector<Point>> paths;
  std::vector<Point> cur;
  auto flush = [&] {
    if (!cur.empty()) paths.push_back(std::move(cur));
    cur.clear();
  };
  bool have_prev = false;
  Point prev{};
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    if (!ax.usable_x(s.x[i]) || !ax.usable_y(s.y[i])) {
      flush();
      have_prev = false;
      continue;
    }
    const Point p = pixel(ax, s.x[i], s.y[i]);
    if (!have_prev) {
      if (box.contains(p)) cur = {p};  // a lone point still shows as a dot
    } else {
      Point a = prev, b = p;
      if (!clip_segment(a, b, box)) {
        flush();
      } else {
        if (cur.empty() || cur.back() != a) {
          flush();
          cur.push_back(a);
        }
        cur.push_back(b);
      }
    }
    prev = p;
    have_prev = true;
  }
  flush();
  return paths;
}

void add_grid(const Axes& ax, Scene& sc) {
  const Box box = plot_box(ax);
  auto minor = [](double lo, double hi, std::vector<double>& out) {
    if (std::log10(hi / lo) > 12) return;
    for (double d = std::pow(10.0, std::floor(std::log10(lo))); d < hi; d *= 10)
      for (int m = 2; m <= 9; ++m)
        if (d * m > lo && d * m < hi) out.push_back(d * m);
  };
  std::vector<double> mx, my;
  if (ax.log_x) minor(ax.x_lo, ax.x_hi, mx);
  if (ax.log_y) minor(ax.y_lo, ax.y_hi, my);
  for (double x : mx) {
    const double px = ax.to_pixel(x, ax.y_hi).first;
    sc.shapes.push_back(Line{{px, box.y0}, {px, box.y1}, kMinorGrid});
  }
  for (double y : my) {
    const double py = ax.to_pixel(ax.x_lo, y).second;
    sc.shapes.push_back(Line{{box.x0, py}, {box.x1, py}, kMinorGrid});
  }
  for (double x : ax.x_ticks) {
    const double px = ax.to_pixel(x, ax.y_hi).first;
    sc.shapes.push_back(Line{{px, box.y0}, {px, box.y1}, kGrid});
  }
  for (double y : ax.y_ticks) {
    const double py = ax.to_pixel(ax.x_lo, y).second;
    sc.shapes.push_back(Line{{box.x0, py}, {box.x1, py}, kGrid});
  }
}

// Returns the pixel points of all series (lines sampled every 4 px), for legend placement.
std::vector<Point> add_series(const PlotSpec& spec, const Axes& ax, Scene& sc) {
  std::vector<Point> drawn;
  const Box box = plot_box(ax);
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& s = spec.series[i];
    const Rgb color = series_color(i);
    if (s.points) {
      for (std::size_t k = 0; k < s.x.size(); ++k) {
        if (!ax.usable_x(s.x[k]) || !ax.usable_y(s.y[k])) continue;
        const Point p = pixel(ax, s.x[k], s.y[k]);
        if (!box.contains(p)) continue;
        sc.shapes.push_back(Rect{p.first - 2, p.second - 2, 5, 5, color});
        drawn.push_back(p);
      }
      continue;
    }
    for (auto& path : series_paths(s, ax)) {
      for (std::size_t k = 0; k < path.size(); ++k) {
        drawn.push_back(path[k]);
        if (k == 0) continue;
        // Points every 4 px along the segment, so that a steep line through a corner counts.
        const double dx = path[k].first - path[k - 1].first, dy = path[k].second - path[k - 1].second;
        const int n = static_cast<int>(std::hypot(dx, dy) / 4);
        for (int q = 1; q < n; ++q) {
          const double f = double(q) / double(n);
          drawn.push_back({path[k - 1].first + f * dx, path[k - 1].second + f * dy});
        }
      }
      if (path.size() == 1)
        sc.shapes.push_back(Rect{path[0].first - 1, path[0].second - 1, 3, 3, color});
      else
        sc.shapes.push_back(Polyline{std::move(path), color, 2});
    }
  }
  return drawn;
}

constexpr int kHighlightSize = 11;

// Draws each highlight as a filled square with a dark outline; returns its points.
std::vector<Point> add_highlights(const PlotSpec& spec, const Axes& ax, Scene& sc) {
  std::vector<Point> drawn;
  const Box box = plot_box(ax);
  for (std::size_t k = 0; k < spec.highlights.size(); ++k) {
    const Highlight& h = spec.highlights[k];
    if (!ax.usable_x(h.x) || !ax.usable_y(h.y)) continue;
    const Point p = pixel(ax, h.x, h.y);
    if (!box.contains(p)) continue;
    const double half = kHighlightSize / 2.0;
    sc.shapes.push_back(Rect{p.first - half, p.second - half, kHighlightSize, kHighlightSize,
                             series_color(spec.series.size() + k)});
    sc.shapes.push_back(Rect{p.first - half, p.second - half, kHighlightSize, kHighlightSize, kInk, false});
    drawn.push_back(p);
  }
  return drawn;
}

// Draws the marker lines, then their labels (so no line crosses a label); returns points
// covering each label's box (every 4 px), so the legend counts a label it would hide as many
// hidden data points.
std::vector<Point> add_markers(const PlotSpec& spec, const Axes& ax, Scene& sc) {
  std::vector<Point> covered;
  const Box box = plot_box(ax);
  const int th = text_height(kLabelScale);
  std::vector<std::pair<double, const Marker*>> shown;
  for (const Marker& m : spec.markers) {
    if (!ax.usable_x(m.x)) continue;
    const double px = ax.to_pixel(m.x, ax.y_hi).first;
    if (px < box.x0 - 0.5 || px > box.x1 + 0.5) continue;
    sc.shapes.push_back(Line{{px, box.y0}, {px, box.y1}, kMarker, 1, true});
    shown.emplace_back(px, &m);
  }
  int row = 0;
  for (const auto& [px, marker] : shown) {
    const Marker& m = *marker;
    if (m.label.empty()) continue;
    const int w = text_width(m.label, kLabelScale);
    const bool fits_right = px + 4 + w <= box.x1 - 2;
    const double tx = fits_right ? px + 4 : px - 4;
    const double ty = box.y0 + 4 + row++ * (th + 4);
    const double bx = fits_right ? tx - 1 : tx - w - 1;
    sc.shapes.push_back(Rect{bx, ty - 2, double(w + 2), double(th + 2), kWhite});
    sc.shapes.push_back(Text{{tx, ty}, m.label, kMarker, kLabelScale,
                             fits_right ? Anchor::Left : Anchor::Right});
    for (double x = bx; x <= bx + w + 2; x += 4) {
      for (double y = ty - 2; y <= ty + th; y += 4) covered.push_back({x, y});
    }
  }
  return covered;
}

void add_axes_frame(const PlotSpec& spec, const Axes& ax, Scene& sc) {
  const Box box = plot_box(ax);
  sc.shapes.push_back(Rect{box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0, kFrame, false});
  const int tick_len = 5, gap = 4;
  const double xstep = ax.x_ticks.size() >= 2 ? ax.x_ticks[1] - ax.x_ticks[0] : 1;
  for (double x : ax.x_ticks) {
    const double px = ax.to_pixel(x, ax.y_lo).first;
    sc.shapes.push_back(Line{{px, box.y1}, {px, box.y1 + tick_len}, kFrame});
    sc.shapes.push_back(Text{{px, box.y1 + tick_len + gap}, format_tick(x, xstep, ax.log_x), kInk,
                             kTickScale, Anchor::Center});
  }
  const double ystep = ax.y_ticks.size() >= 2 ? ax.y_ticks[1] - ax.y_ticks[0] : 1;
  const int th = text_height(kTickScale);
  for (double y : ax.y_ticks) {
    const double py = ax.to_pixel(ax.x_lo, y).second;
    sc.shapes.push_back(Line{{box.x0 - tick_len, py}, {box.x0, py}, kFrame});
    sc.shapes.push_back(Text{{box.x0 - tick_len - gap, py - th / 2.0 + 1},
                             format_tick(y, ystep, ax.log_y), kInk, kTickScale, Anchor::Right});
  }
  const double cx = (box.x0 + box.x1) / 2;
  const TitleLines title = fit_title(spec.title, sc.width);
  const int title_row = text_height(title.scale) + gap;
  for (std::size_t i = 0; i < title.lines.size(); ++i) {
    const double y = box.y0 - double(title_row) * double(title.lines.size() - i);
    sc.shapes.push_back(Text{{sc.width / 2.0, y}, title.lines[i], kInk, title.scale, Anchor::Center});  // fit_title's room
  }
  if (!spec.xlabel.empty())
    sc.shapes.push_back(Text{{cx, box.y1 + tick_len + gap + th + gap}, spec.xlabel, kInk,
                             kLabelScale, Anchor::Center});
  if (!spec.ylabel.empty())
    sc.shapes.push_back(Text{{10, (box.y0 + box.y1) / 2}, spec.ylabel, kInk, kLabelScale,
                             Anchor::Left, true});
}

// Legend box in whichever corner covers the fewest drawn points.
void add_legend(const PlotSpec& spec, const Axes& ax, const std::vector<Point>& drawn, Scene& sc) {
  struct Entry {
    const std::string* label;
    Rgb color;
    enum { line, point, highlight } kind;
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const Series& s = spec.series[i];
    if (!s.label.empty()) entries.push_back({&s.label, series_color(i), s.points ? Entry::point : Entry::line});
  }
  for (std::size_t k = 0; k < spec.highlights.size(); ++k) {
    const Highlight& h = spec.highlights[k];
    if (!h.label.empty()) entries.push_back({&h.label, series_color(spec.series.size() + k), Entry::highlight});
  }
  if (entries.empty()) return;
  int widest = 0;
  for (const Entry& e : entries) widest = std::max(widest, text_width(*e.label, kLabelScale));
  const int th = std::max(text_height(kLabelScale), kHighlightSize), row_h = th + 6, inset = 8, sample = 22;
  const double w = 8 + sample + 6 + widest + 6, h = 6 + row_h * double(entries.size());
  const Box box = plot_box(ax);
  const Box corners[4] = {{box.x1 - inset - w, box.y0 + inset, box.x1 - inset, box.y0 + inset + h},
                          {box.x0 + inset, box.y0 + inset, box.x0 + inset + w, box.y0 + inset + h},
                          {box.x1 - inset - w, box.y1 - inset - h, box.x1 - inset, box.y1 - inset},
                          {box.x0 + inset, box.y1 - inset - h, box.x0 + inset + w, box.y1 - inset}};
  std::size_t best = 0, best_count = SIZE_MAX;
  for (std::size_t c = 0; c < 4; ++c) {
    const auto n = static_cast<std::size_t>(
        std::count_if(drawn.begin(), drawn.end(), [&](Point p) { return corners[c].contains(p); }));
    if (n < best_count) best = c, best_count = n;
  }
  const Box& lb = corners[best];
  sc.shapes.push_back(Rect{lb.x0, lb.y0, w, h, kWhite});
  sc.shapes.push_back(Rect{lb.x0, lb.y0, w, h, Rgb{200, 200, 200}, false});
  for (std::size_t r = 0; r < entries.size(); ++r) {
    const Entry& e = entries[r];
    const double top = lb.y0 + 6 + row_h * double(r), mid = top + th / 2.0 - 1;
    const double cx = lb.x0 + 8 + sample / 2.0;
    if (e.kind == Entry::point) {
      sc.shapes.push_back(Rect{cx - 2, mid - 2, 5, 5, e.color});
    } else if (e.kind == Entry::highlight) {
      const double half = kHighlightSize / 2.0;
      sc.shapes.push_back(Rect{cx - half, mid - half, kHighlightSize, kHighlightSize, e.color});
      sc.shapes.push_back(Rect{cx - half, mid - half, kHighlightSize, kHighlightSize, kInk, false});
    } else {
      sc.shapes.push_back(Line{{lb.x0 + 8, mid}, {lb.x0 + 8 + sample, mid}, e.color, 2});
    }
    sc.shapes.push_back(Text{{lb.x0 + 8 + sample + 6, top + (th - text_height(kLabelScale)) / 2.0}, *e.label, kInk,
                             kLabelScale});
  }
}

}  // namespace

Scene build_scene(const std::vector<PlotSpec>& specs) {
  const Layout layout = layout_plots(specs);
  Scene sc;
  sc.width = layout.width;
  sc.height = layout.height;
  sc.shapes.push_back(Rect{0, 0, double(sc.width), double(sc.height), kWhite});
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const Axes& ax = layout.panels[i];
    add_grid(ax, sc);
    std::vector<Point> drawn = add_series(specs[i], ax, sc);
    const std::vector<Point> marked = add_highlights(specs[i], ax, sc);
    drawn.insert(drawn.end(), marked.begin(), marked.end());
    const bool has_data = !drawn.empty();
    const std::vector<Point> labels = add_markers(specs[i], ax, sc);
    drawn.insert(drawn.end(), labels.begin(), labels.end());
    add_axes_frame(specs[i], ax, sc);
    if (!has_data)
      sc.shapes.push_back(Text{{ax.left + ax.width / 2.0, ax.top + ax.height / 2.0}, "no data",
                               kFrame, kLabelScale, Anchor::Center});
    add_legend(specs[i], ax, drawn, sc);
  }
  return sc;
}

}  // namespace cyclone::report::plot_detail
