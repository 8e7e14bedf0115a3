// The image grid: each tile's CHW pixels become an RGB Bitmap (grey repeated for one
// channel), framed, with its caption lines centred under it.
#include "report/image_grid.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "report/plot_scene.h"

namespace cyclone::report {
namespace {
using namespace plot_detail;

const Rgb kInk{40, 40, 40};
const Rgb kFrame{170, 170, 170};
constexpr int kMargin = 16, kGap = 8, kPad = 12;
constexpr int kCaptionScale = kLabelScale;

void check_tile(const ImageTile& t, std::size_t i) {
  const std::string what = "image grid: tile " + std::to_string(i) + " ";
  if (t.channels != 1 && t.channels != 3)
    throw std::invalid_argument(what + "has " + std::to_string(t.channels) + " channels (1 or 3 wanted)");
  if (t.height < 1 || t.width < 1 || t.pixels.size() != static_cast<std::size_t>(t.channels * t.height * t.width))
    throw std::invalid_argument(what + "has " + std::to_string(t.pixels.size()) + " bytes for " +
                                std::to_string(t.channels) + "x" + std::to_string(t.height) + "x" +
                                std::to_string(t.width));
}

int caption_height(std::size_t lines) { return int(lines) * (text_height(kCaptionScale) + 4); }

// CHW bytes as interleaved RGB rows.
std::vector<std::uint8_t> to_rgb(const ImageTile& t) {
  const std::size_t plane = static_cast<std::size_t>(t.height * t.width);
  std::vector<std::uint8_t> rgb(plane * 3);
  for (std::size_t p = 0; p < plane; ++p)
    for (std::size_t c = 0; c < 3; ++c) rgb[p * 3 + c] = t.pixels[(t.channels == 3 ? c : 0) * plane + p];
  return rgb;
}

}  // namespace

int ImageGridLayout::image_x(int i) const { return left + (i % columns) * cell_width + (cell_width - image_width) / 2; }
int ImageGridLayout::image_y(int i) const { return top + (i / columns) * cell_height + kPad; }

ImageGridLayout layout_image_grid(const std::vector<ImageTile>& tiles, const std::string& title, int zoom) {
  if (tiles.empty()) throw std::invalid_argument("image grid: no images");
  int64_t tall = 0, wide = 0;
  std::size_t lines = 0;
  int caption_w = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    check_tile(tiles[i], i);
    tall = std::max(tall, tiles[i].height);
    wide = std::max(wide, tiles[i].width);
    lines = std::max(lines, tiles[i].caption.size());
    for (const std::string& line : tiles[i].caption) caption_w = std::max(caption_w, text_width(line, kCaptionScale));
  }
  ImageGridLayout l;
  l.zoom = zoom > 0 ? zoom : std::max(1, int(128 / std::max(tall, wide)));
  l.image_width = int(wide) * l.zoom;
  l.columns = int(std::ceil(std::sqrt(double(tiles.size()))));
  const int rows = (int(tiles.size()) + l.columns - 1) / l.columns;
  l.cell_width = std::max(l.image_width, caption_w) + 2 * kPad;
  l.cell_height = kPad + int(tall) * l.zoom + kGap + caption_height(lines);
  l.width = std::max(2 * kMargin + l.columns * l.cell_width, std::min(text_width(title, kTitleScale) + 40, 1000));
  l.left = (l.width - l.columns * l.cell_width) / 2;
  l.top = kMargin + fit_title(title, l.width).height(kGap);
  l.height = l.top + rows * l.cell_height + kMargin;
  return l;
}

void save_image_grid(const std::vector<ImageTile>& tiles, const std::string& title, const std::string& path,
                     int zoom) {
  const ImageGridLayout l = layout_image_grid(tiles, title, zoom);
  Scene sc{l.width, l.height, {}, {}};
  const TitleLines t = fit_title(title, l.width);
  for (std::size_t i = 0; i < t.lines.size(); ++i)
    sc.shapes.push_back(Text{{l.width / 2.0, double(kMargin) + double(i) * (text_height(t.scale) + kGap)},
                             t.lines[i], kInk, t.scale, Anchor::Center});
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const ImageTile& tile = tiles[i];
    const double x = l.image_x(int(i)), y = l.image_y(int(i));
    const double w = double(tile.width * l.zoom), h = double(tile.height * l.zoom);
    sc.bitmaps.push_back(Bitmap{{x, y}, int(tile.width), int(tile.height), l.zoom, to_rgb(tile)});
    sc.shapes.push_back(Rect{x - 1, y - 1, w + 1, h + 1, kFrame, false});
    const double centre = x + l.image_width / 2.0;
    for (std::size_t k = 0; k < tile.caption.size(); ++k)
      sc.shapes.push_back(Text{{centre, y + h + kGap + double(caption_height(k))}, tile.caption[k], kInk,
                               kCaptionScale, Anchor::Center});
  }
  save_scene(sc, path);
}

}  // namespace cyclone::report
