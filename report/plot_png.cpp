// Rasterises a plot Scene into an RGB image and writes it with stb_image_write;
// text comes from the stb_easy_font bitmap font.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "io/file_io.h"
#include "report/plot_scene.h"

// The stb implementations are static to this file so they cannot clash with
// another part of the program that also compiles them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

namespace cyclone::report::plot_detail {
namespace {

struct Quad {
  float x0, y0, x1, y1;  // unscaled font pixels, text origin at (0, 0)
};

// The glyph rectangles of `text`, from stb_easy_font's quad list.
std::vector<Quad> glyph_quads(const std::string& text) {
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  std::vector<unsigned char> vertices(600 * text.size() + 64);
  const int n = stb_easy_font_print(0, 0, buf.data(), nullptr, vertices.data(),
                                    static_cast<int>(vertices.size()));
  std::vector<Quad> quads;
  for (int q = 0; q < n; ++q) {
    Quad r{1e9f, 1e9f, -1e9f, -1e9f};
    for (int v = 0; v < 4; ++v) {
      float xy[2];
      std::memcpy(xy, vertices.data() + (q * 4 + v) * 16, sizeof xy);
      r = {std::min(r.x0, xy[0]), std::min(r.y0, xy[1]), std::max(r.x1, xy[0]), std::max(r.y1, xy[1])};
    }
    quads.push_back(r);
  }
  return quads;
}

class Raster {
 public:
  Raster(int w, int h) : w_(w), h_(h), rgb_(static_cast<std::size_t>(w) * h * 3, 255) {}

  void set(long x, long y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * w_ + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }

  // Fills pixels [x0, x1) x [y0, y1), clamped to the image.
  void fill(long x0, long y0, long x1, long y1, Rgb c) {
    x0 = std::max(x0, 0L), y0 = std::max(y0, 0L);
    x1 = std::min(x1, long(w_)), y1 = std::min(y1, long(h_));
    for (long y = y0; y < y1; ++y)
      for (long x = x0; x < x1; ++x) set(x, y, c);
  }

  // A square brush of `width` pixels swept along the segment; every vertex
  // pixel is covered. Dashes are 6 px on, 4 px off.
  void line(Point a, Point b, Rgb c, int width, bool dashed) {
    const double dx = b.first - a.first, dy = b.second - a.second;
    const long steps = std::max(1L, std::lround(std::ceil(std::max(std::abs(dx), std::abs(dy)))));
    const double off = (width - 1) / 2.0;
    for (long i = 0; i <= steps; ++i) {
      if (dashed && i % 10 >= 6) continue;
      const double t = double(i) / double(steps);
      const long x = std::lround(a.first + t * dx - off), y = std::lround(a.second + t * dy - off);
      fill(x, y, x + width, y + width, c);
    }
  }

  void draw(const Line& l) { line(l.a, l.b, l.color, l.width, l.dashed); }

  void draw(const Polyline& p) {
    for (std::size_t i = 1; i < p.points.size(); ++i) line(p.points[i - 1], p.points[i], p.color, p.width, false);
  }

  void draw(const Rect& r) {
    const long x0 = std::lround(r.x), y0 = std::lround(r.y);
    const long x1 = std::lround(r.x + r.w), y1 = std::lround(r.y + r.h);
    if (r.filled) {
      fill(x0, y0, x1, y1, r.color);
      return;
    }
    fill(x0, y0, x1 + 1, y0 + 1, r.color);
    fill(x0, y1, x1 + 1, y1 + 1, r.color);
    fill(x0, y0, x0 + 1, y1 + 1, r.color);
    fill(x1, y0, x1 + 1, y1 + 1, r.color);
  }

  void draw(const Text& t) {
    const int s = t.scale;
    const long w = text_width(t.text, s);
    for (const Quad& q : glyph_quads(t.text)) {
      const long u0 = std::lround(q.x0 * s), u1 = std::lround(q.x1 * s);
      const long v0 = std::lround(q.y0 * s), v1 = std::lround(q.y1 * s);
      if (t.vertical) {  // rotated a quarter turn anticlockwise, centred on at.y
        const long ox = std::lround(t.at.first), oy = std::lround(t.at.second + w / 2.0);
        fill(ox + v0, oy - u1, ox + v1, oy - u0, t.color);
      } else {
        const double shift = t.anchor == Anchor::Center ? w / 2.0 : t.anchor == Anchor::Right ? w : 0;
        const long ox = std::lround(t.at.first - shift), oy = std::lround(t.at.second);
        fill(ox + u0, oy + v0, ox + u1, oy + v1, t.color);
      }
    }
  }

  void draw(const Bitmap& b) {
    const long ox = std::lround(b.at.first), oy = std::lround(b.at.second), z = b.zoom;
    for (long y = 0; y < b.height; ++y)
      for (long x = 0; x < b.width; ++x) {
        const std::uint8_t* p = &b.rgb[(static_cast<std::size_t>(y) * b.width + x) * 3];
        fill(ox + x * z, oy + y * z, ox + (x + 1) * z, oy + (y + 1) * z, Rgb{p[0], p[1], p[2]});
      }
  }

  const std::uint8_t* data() const { return rgb_.data(); }

 private:
  int w_, h_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace

int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  return stb_easy_font_width(buf.data()) * scale;
}

int text_height(int scale) { return 10 * scale; }

std::vector<unsigned char> encode_png(int width, int height, const std::uint8_t* rgb, const std::string& path) {
  std::vector<unsigned char> png;
  auto append = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(ctx);
    out->insert(out->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
  };
  if (!stbi_write_png_to_func(append, &png, width, height, 3, rgb, width * 3)) {
    throw std::runtime_error("save_plot: cannot encode PNG '" + path + "'");
  }
  return png;
}

void write_png(const Scene& scene, const std::string& path) {
  Raster raster(scene.width, scene.height);
  for (const Bitmap& b : scene.bitmaps) raster.draw(b);
  for (const Shape& shape : scene.shapes) std::visit([&](const auto& s) { raster.draw(s); }, shape);
  // Encoded in memory, then written atomically: an existing plot survives a failed write.
  const std::vector<unsigned char> png = encode_png(scene.width, scene.height, raster.data(), path);
  io::write_file_atomic(path, png.data(), png.size());
}

}  // namespace cyclone::report::plot_detail
