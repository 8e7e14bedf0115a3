// Test images written with stb_image_write (a private copy per test file): PNG and JPEG
// files of known pixels, for the image-folder tests.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#define STB_IMAGE_WRITE_STATIC  // private copy: the library may hold its own
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cyclone::data::testing {

// Pixel (channel k, y, x) of test image `id` (HWC value = id*31 + 50k + 7y + x, mod 256).
inline uint8_t pixel_value(int id, int k, int y, int x) { return static_cast<uint8_t>(id * 31 + 50 * k + 7 * y + x); }

inline std::vector<uint8_t> test_pixels(int id, int w, int h, int channels) {
    std::vector<uint8_t> hwc(static_cast<size_t>(w * h * channels));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < channels; ++k) hwc[(y * w + x) * channels + k] = pixel_value(id, k, y, x);
    return hwc;
}

inline void write_png(const std::string& path, int id, int w, int h, int channels = 3) {
    const std::vector<uint8_t> hwc = test_pixels(id, w, h, channels);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    REQUIRE(stbi_write_png(path.c_str(), w, h, channels, hwc.data(), w * channels) != 0);
}

// A JPEG (lossy: its pixels are near, not equal to, test_pixels).
inline void write_jpg(const std::string& path, int id, int w, int h) {
    const std::vector<uint8_t> hwc = test_pixels(id, w, h, 3);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    REQUIRE(stbi_write_jpg(path.c_str(), w, h, 3, hwc.data(), 95) != 0);
}

}  // namespace cyclone::data::testing
