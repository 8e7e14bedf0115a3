// Internal to the plot writers: a plot as a list of simple shapes in pixel
// coordinates, built once and drawn by the PNG rasteriser or the SVG writer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "report/plot.h"

namespace cyclone::report::plot_detail {

using Point = std::pair<double, double>;

struct Line {
  Point a, b;
  Rgb color;
  int width = 1;
  bool dashed = false;
};

struct Polyline {
  std::vector<Point> points;
  Rgb color;
  int width = 2;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  Rgb color;
  bool filled = true;  // false: 1 px outline only
};

enum class Anchor { Left, Center, Right };

// Horizontal text: `at` is the anchor point on the text's top edge.
// Vertical text (reads bottom to top): `at` is the left edge, centred in y.
struct Text {
  Point at;
  std::string text;
  Rgb color;
  int scale = 1;
  Anchor anchor = Anchor::Left;
  bool vertical = false;
};

// An RGB picture (rows top to bottom, 3 bytes a pixel) drawn with its top-left corner at
// `at`, each pixel as a zoom x zoom block (nearest neighbour, so small images stay sharp).
// The SVG writer embeds it as a PNG.
struct Bitmap {
  Point at;
  int width = 0, height = 0, zoom = 1;
  std::vector<std::uint8_t> rgb;  // width * height * 3
};

using Shape = std::variant<Line, Polyline, Rect, Text>;

struct Scene {
  int width = 0, height = 0;
  std::vector<Shape> shapes;    // drawn in order, later shapes on top
  std::vector<Bitmap> bitmaps;  // drawn first, under the shapes
};

// Font metrics of the bitmap font used for PNG text (SVG text matches it
// approximately): width of `text` and height of one line, in pixels.
int text_width(const std::string& text, int scale);
int text_height(int scale);

// Text sizes used by the layout.
inline constexpr int kTickScale = 2;
inline constexpr int kLabelScale = 2;
inline constexpr int kTitleScale = 3;

// A title as drawn in `width` pixels: one line at kTitleScale when it fits, else smaller
// (kLabelScale) and wrapped after commas or spaces, so that no title is ever clipped.
struct TitleLines {
  int scale = kTitleScale;
  std::vector<std::string> lines;  // empty for no title
  int height(int gap) const { return lines.empty() ? 0 : int(lines.size()) * (text_height(scale) + gap); }
};
TitleLines fit_title(const std::string& title, int width);

Scene build_scene(const std::vector<PlotSpec>& specs);
void write_png(const Scene& scene, const std::string& path);
std::string to_svg(const Scene& scene);
// Writes the scene as PNG or SVG, chosen by the extension of `path` (.png / .svg); throws
// std::invalid_argument naming the path for any other.
void save_scene(const Scene& scene, const std::string& path);
// An RGB image (width * height * 3 bytes) as PNG file bytes; `path` is for the error message.
std::vector<unsigned char> encode_png(int width, int height, const std::uint8_t* rgb, const std::string& path);

}  // namespace cyclone::report::plot_detail
