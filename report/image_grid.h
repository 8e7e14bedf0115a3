// A grid of small images, each scaled up (nearest neighbour) with a caption of a few lines
// under it, written as PNG or SVG: e.g. a validation set's top losses. The layout is public
// so tests can check it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cyclone::report {

struct ImageTile {
  int64_t channels = 0, height = 0, width = 0;  // channels: 1 (grey) or 3 (RGB)
  std::vector<std::uint8_t> pixels;             // channels * height * width, CHW
  std::vector<std::string> caption;             // lines under the image
};

// Where the grid's parts go, in pixels: tile i sits in column i % columns, row i / columns;
// its image's top-left corner is image_x(i), image_y(i), each pixel a zoom x zoom block.
struct ImageGridLayout {
  int width = 0, height = 0;  // the whole image
  int columns = 0, cell_width = 0, cell_height = 0, left = 0, top = 0, zoom = 1;  // the cells' corner
  int image_width = 0;  // of the largest tile, zoomed
  int image_x(int i) const;
  int image_y(int i) const;
};
// zoom 0 picks the largest whole zoom that keeps the larger side within 128 pixels (4 for 28x28
// and 32x32 images), and 1 for larger images. Columns: ceil(sqrt(n)), as fastai lays out its
// top losses.
ImageGridLayout layout_image_grid(const std::vector<ImageTile>& tiles, const std::string& title, int zoom = 0);

// Throws std::invalid_argument for no tiles, or a tile whose pixels disagree with its shape
// or whose channels are neither 1 nor 3.
void save_image_grid(const std::vector<ImageTile>& tiles, const std::string& title, const std::string& path,
                     int zoom = 0);

}  // namespace cyclone::report
