// PNG files read back as RGB pixels with stb_image (a private copy per test file), for the
// tests that check what a picture shows pixel by pixel.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "report/plot.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace cyclone::test {

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> rgb;
  report::Rgb at(double x, double y) const {
    const long px = std::lround(x), py = std::lround(y);
    REQUIRE(px >= 0);
    REQUIRE(py >= 0);
    REQUIRE(px < w);
    REQUIRE(py < h);
    const unsigned char* p = &rgb[(static_cast<std::size_t>(py) * w + px) * 3];
    return {p[0], p[1], p[2]};
  }
};

inline Image load_png(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
  REQUIRE_MESSAGE(data != nullptr, "cannot read back " << path);
  CHECK(channels == 3);
  Image img{w, h, std::vector<unsigned char>(data, data + static_cast<std::size_t>(w) * h * 3)};
  stbi_image_free(data);
  return img;
}

}  // namespace cyclone::test
