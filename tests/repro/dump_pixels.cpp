// Helper of the reproduction tests (tests/repro): decodes an image folder exactly as
// `cyclone eval --data folder:DIR` does (stb_image; class order, then file-name order) and
// writes 'pixels' (uint8, N x C x H x W) and 'labels' (int64, N) to an npz for PyTorch.
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>

#include "data/image_folder.h"
#include "io/npz.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IMAGE_FOLDER OUT.npz\n", argv[0]);
    return 2;
  }
  try {
    cyclone::data::LoadOptions options;
    options.threads = 0;
    const cyclone::data::ImageSet set = cyclone::data::load_image_folder(argv[1], options);
    cyclone::io::NdArray pixels, labels;
    pixels.dtype = cyclone::io::DType::u8;
    pixels.shape = {set.n, set.channels, set.height, set.width};
    pixels.bytes = set.pixels;
    labels.dtype = cyclone::io::DType::i64;
    labels.shape = {set.n};
    labels.bytes.resize(set.labels.size() * sizeof(int64_t));
    if (!set.labels.empty()) std::memcpy(labels.bytes.data(), set.labels.data(), labels.bytes.size());
    cyclone::io::save_npz(argv[2], {{"pixels", pixels}, {"labels", labels}}, false);
    std::printf("wrote %s: %lld images from %s\n", argv[2], static_cast<long long>(set.n), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
