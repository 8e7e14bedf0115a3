// Tests for report/plot: tick generation, axis mapping, and PNG/SVG output read
// back and checked pixel by pixel / element by element.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <unistd.h>

#include "report/plot.h"
#include "report/plot_scene.h"
#include "test_png_reader.h"

using namespace cyclone::report;
using cyclone::test::Image;
using cyclone::test::load_png;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cyclone_plot_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("nice_ticks uses 1-2-5 steps covering the range") {
  CHECK(nice_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1});
  CHECK(nice_ticks(0, 7) == std::vector<double>{0, 2, 4, 6, 8});
  CHECK(nice_ticks(-3.2, 4.7) == std::vector<double>{-4, -2, 0, 2, 4, 6});
  CHECK(nice_ticks(0.013, 0.087) == std::vector<double>{0, 0.02, 0.04, 0.06, 0.08, 0.1});
  CHECK(nice_ticks(0, 1000) == std::vector<double>{0, 200, 400, 600, 800, 1000});
  CHECK(nice_ticks(0.85, 0.95) == std::vector<double>{0.84, 0.86, 0.88, 0.9, 0.92, 0.94, 0.96});
  CHECK_THROWS_AS(nice_ticks(1, 1), std::invalid_argument);
  CHECK_THROWS_AS(nice_ticks(0, kNaN), std::invalid_argument);
}

TEST_CASE("log_ticks gives decades, thinned when there are many") {
  const std::vector<double> lr = log_ticks(1e-7, 10);
  REQUIRE(lr.size() == 9);
  for (int i = 0; i < 9; ++i) CHECK(lr[i] == doctest::Approx(std::pow(10.0, i - 7)).epsilon(1e-12));
  const std::vector<double> partial = log_ticks(3e-6, 2);
  REQUIRE(partial.size() == 8);
  CHECK(partial.front() == doctest::Approx(1e-6));
  CHECK(partial.back() == doctest::Approx(10));
  const std::vector<double> wide = log_ticks(1e-20, 1e20, 10);
  REQUIRE(wide.size() == 9);  // every 5th decade
  CHECK(wide[0] == doctest::Approx(1e-20));
  CHECK(wide[1] == doctest::Approx(1e-15));
  CHECK_THROWS_AS(log_ticks(0, 1), std::invalid_argument);
}

TEST_CASE("format_tick") {
  CHECK(format_tick(0.4, 0.2, false) == "0.4");
  CHECK(format_tick(1, 0.2, false) == "1.0");
  CHECK(format_tick(150, 50, false) == "150");
  CHECK(format_tick(0.15, 0.05, false) == "0.15");
  CHECK(format_tick(-1e-17, 0.2, false) == "0");
  CHECK(format_tick(2.5e6, 5e5, false) == "2.5e+06");
  CHECK(format_tick(1e-7, 0, true) == "1e-07");
  CHECK(format_tick(10, 0, true) == "1e+01");
  CHECK(format_tick(1, 0, true) == "1e+00");
}

TEST_CASE("Axes maps data to pixels; log-x puts decades evenly apart") {
  PlotSpec spec;
  spec.log_x = true;
  spec.series.push_back({"a", {1e-5, 1e-3, 1e-1}, {1, 2, 3}});
  const Axes ax = layout_axes(spec);
  CHECK(ax.x_lo == doctest::Approx(1e-5));
  CHECK(ax.x_hi == doctest::Approx(1e-1));
  const double lo = ax.to_pixel(1e-5, 2).first, mid = ax.to_pixel(1e-3, 2).first,
               hi = ax.to_pixel(1e-1, 2).first;
  CHECK(mid - lo == doctest::Approx(hi - mid));
  CHECK(mid - lo > 100);
  const auto corner = ax.to_pixel(ax.x_lo, ax.y_lo);
  CHECK(corner.first == doctest::Approx(ax.left));
  CHECK(corner.second == doctest::Approx(ax.top + ax.height));
  const auto far = ax.to_pixel(ax.x_hi, ax.y_hi);
  CHECK(far.first == doctest::Approx(ax.left + ax.width));
  CHECK(far.second == doctest::Approx(ax.top));
  CHECK(ax.y_lo == 1);
  CHECK(ax.y_hi == 3);
}

TEST_CASE("y range: fixed limits, outlier clipping, invalid input") {
  PlotSpec spec;
  Series s{"loss", {}, {}};
  for (int i = 0; i < 100; ++i) {
    s.x.push_back(i);
    s.y.push_back(i < 95 ? 2.0 - 0.01 * i : 1e6);  // diverges at the end
  }
  spec.series.push_back(s);
  CHECK(layout_axes(spec).y_hi >= 1e6);
  spec.clip_outliers = true;
  const Axes clipped = layout_axes(spec);
  CHECK(clipped.y_hi < 5);
  CHECK(clipped.y_lo <= 1.06);
  spec.y_min = 0.5;
  spec.y_max = 1.5;
  const Axes fixed = layout_axes(spec);
  CHECK(fixed.y_lo == 0.5);
  CHECK(fixed.y_hi == 1.5);
  CHECK(fixed.y_ticks == std::vector<double>{0.6, 0.8, 1.0, 1.2, 1.4});

  PlotSpec bad;
  bad.series.push_back({"short", {1, 2, 3}, {1, 2}});
  CHECK_THROWS_AS(layout_axes(bad), std::invalid_argument);
}

TEST_CASE("PNG output: size, background and series pixels at their data locations") {
  PlotSpec spec;
  spec.title = "known plot";
  spec.xlabel = "x";
  spec.ylabel = "y";
  spec.width = 400;
  spec.height = 300;
  Series diag{"diagonal", {0, 10}, {0, 10}};
  Series flat{"flat with gap", {}, {}};
  for (int i = 0; i <= 10; ++i) {
    flat.x.push_back(i);
    flat.y.push_back(i == 5 ? kNaN : 3.0);
  }
  spec.series = {diag, flat};
  const std::string path = temp_path("known.png");
  save_plot(spec, path);
  const Image img = load_png(path);
  CHECK(img.w == 400);
  CHECK(img.h == 300);
  CHECK(img.at(0, 0) == Rgb{255, 255, 255});
  CHECK(img.at(399, 299) == Rgb{255, 255, 255});

  const Axes ax = layout_axes(spec);
  CHECK(ax.x_lo == 0);
  CHECK(ax.x_hi == 10);
  auto [dx, dy] = ax.to_pixel(5, 5);
  CHECK(img.at(dx, dy) == series_color(0));
  auto [fx, fy] = ax.to_pixel(2.5, 3);
  CHECK(img.at(fx, fy) == series_color(1));
  // The NaN at x = 5 breaks the flat line: nothing drawn between x = 4 and 6.
  auto [gx, gy] = ax.to_pixel(5, 3);
  CHECK(img.at(gx, gy) != series_color(1));
  CHECK(img.at(gx, gy) == Rgb{255, 255, 255});
  std::filesystem::remove(path);
}

TEST_CASE("PNG output: two stacked panels, markers and far-off values") {
  PlotSpec top, bottom;
  top.title = "lr";
  top.height = 250;
  bottom.height = 200;
  bottom.xlabel = "step";
  top.series.push_back({"lr", {0, 1, 2, 3}, {0.1, 0.4, 1e300, 0.2}});
  top.markers = {{1.5, "here"}};
  bottom.series.push_back({"momentum", {0, 1, 2, 3}, {0.95, 0.85, 0.9, 0.95}});
  const std::string path = temp_path("stacked.png");
  save_plots_vertical({top, bottom}, path);
  const Image img = load_png(path);
  CHECK(img.w == 1100);  // PlotSpec's default width
  CHECK(img.h == 450);
  const Layout layout = layout_plots({top, bottom});
  REQUIRE(layout.panels.size() == 2);
  CHECK(layout.panels[0].left == layout.panels[1].left);
  CHECK(layout.panels[1].top > 250);
  CHECK(layout.panels[0].top + layout.panels[0].height < 250);
  auto [mx, my] = layout.panels[1].to_pixel(1, 0.85);
  CHECK(img.at(mx, my) == series_color(0));
  // The dashed marker line starts at the top edge of the plot area.
  const Axes& ax = layout.panels[0];
  auto [kx, ky] = ax.to_pixel(1.5, ax.y_hi);
  CHECK(img.at(kx, ky + 1) != Rgb{255, 255, 255});
  std::filesystem::remove(path);
}

TEST_CASE("SVG output: one polyline per unbroken run, title, escaping") {
  PlotSpec spec;
  spec.title = "loss <train> & valid";
  Series s{"train", {}, {}};
  for (int i = 0; i < 7; ++i) {
    s.x.push_back(i);
    s.y.push_back(1.0 / (i + 1));
  }
  spec.series.push_back(s);
  const std::string path = temp_path("known.svg");
  save_plot(spec, path);
  const std::string svg = read_text(path);
  std::filesystem::remove(path);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("width=\"1100\" height=\"680\"") != std::string::npos);  // PlotSpec's defaults
  CHECK(svg.find(">loss &lt;train&gt; &amp; valid</text>") != std::string::npos);
  REQUIRE(count(svg, "<polyline") == 1);
  const auto start = svg.find("points=\"", svg.find("<polyline")) + 8;
  const std::string points = svg.substr(start, svg.find('"', start) - start);
  CHECK(count(points, ",") == 7);
  CHECK(count(points, " ") == 6);

  spec.series[0].y[3] = std::numeric_limits<double>::infinity();
  CHECK(count(plots_to_svg({spec}), "<polyline") == 2);
  spec.series[0].points = true;
  CHECK(count(plots_to_svg({spec}), "<polyline") == 0);
}

TEST_CASE("empty plots and series still render") {
  PlotSpec spec;
  spec.title = "nothing yet";
  spec.series.push_back({"empty", {}, {}});
  const std::string svg = plots_to_svg({spec});
  CHECK(svg.find(">no data</text>") != std::string::npos);
  CHECK(count(svg, "<polyline") == 0);
  spec.log_x = spec.log_y = true;
  spec.series.push_back({"non-positive", {0, -1}, {1, 2}});
  CHECK(plots_to_svg({spec}).find(">no data</text>") != std::string::npos);
}

TEST_CASE("save_plot errors name the path") {
  PlotSpec spec;
  spec.series.push_back({"a", {0, 1}, {0, 1}});
  try {
    save_plot(spec, "curve.jpg");
    FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("curve.jpg") != std::string::npos);
  }
  for (const std::string path : {"/nonexistent-dir/x/plot.png", "/nonexistent-dir/x/plot.svg"}) {
    try {
      save_plot(spec, path);
      FAIL("expected an error");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
  }
  spec.width = 10;
  CHECK_THROWS_AS(save_plot(spec, temp_path("tiny.png")), std::invalid_argument);
}

TEST_CASE("titles too wide for the image wrap at a smaller size instead of being clipped") {
  using namespace cyclone::report::plot_detail;
  const TitleLines short_title = fit_title("learning rate", 800);
  CHECK(short_title.scale == kTitleScale);
  CHECK(short_title.lines == std::vector<std::string>{"learning rate"});
  std::string long_title = "onecycle(";
  for (int i = 0; i < 12; ++i) long_title += "key_" + std::to_string(i) + "=0.125, ";
  const TitleLines wrapped = fit_title(long_title, 400);
  CHECK(wrapped.scale == kLabelScale);
  CHECK(wrapped.lines.size() > 2);
  std::string joined;
  for (const std::string& line : wrapped.lines) {
    CHECK(text_width(line, wrapped.scale) <= 380);
    joined += line;
  }
  CHECK(joined == long_title);  // nothing dropped
  CHECK(fit_title("", 400).lines.empty());
}

TEST_CASE("highlights are large outlined squares in colours after the series', listed in the legend") {
  PlotSpec spec;
  spec.series.push_back({"loss", {1, 2, 3, 4}, {1, 2, 3, 4}});
  spec.highlights.push_back({2.5, 2.5, "here 2.5"});
  const std::string path = temp_path("highlight.png");
  save_plot(spec, path);
  const Image img = load_png(path);
  std::filesystem::remove(path);
  const Axes ax = layout_axes(spec);
  const auto [px, py] = ax.to_pixel(2.5, 2.5);
  // Off the line through (2.5, 2.5), still inside the square.
  CHECK(img.at(px + 3, py - 3) == series_color(1));
}
