// Small helpers shared by the course examples: argument handling and data.
#pragma once
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "data/idx.h"
#include "data/synthetic.h"
#include "tensor/rng.h"
#include "train/data_loader.h"

namespace example {

// Examples take "--small" (fast, for tests) and an output folder.
struct Args {
  bool small = false;
  std::string out = "example_out";
};

inline Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--small") == 0) a.small = true;
    else a.out = argv[i];
  }
  std::filesystem::create_directories(a.out);
  return a;
}

// Fashion-MNIST from Debian's dataset-fashion-mnist, or a synthetic 28x28 stand-in.
inline std::shared_ptr<const cyclone::data::ImageSet> fashion(bool train, int64_t limit) {
  using namespace cyclone::data;
  ImageSet s;
  if (std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    s = load_fashion_mnist(kFashionMnistDir, train ? Split::train : Split::test);
  } else {
    std::printf("(Fashion-MNIST not installed: using synthetic 28x28 images)\n");
    s = make_synthetic(limit > 0 ? limit : (train ? 6000 : 1000), 1, 28, 28, 10, train ? 1 : 2);
  }
  if (limit > 0 && limit < s.n) s = subset_first(s, limit);
  return std::make_shared<const ImageSet>(std::move(s));
}

inline std::shared_ptr<cyclone::train::DataLoader> loader(std::shared_ptr<const cyclone::data::ImageSet> s, bool shuffle,
                                                          int64_t bs = 128) {
  cyclone::train::LoaderOptions o;
  o.batch_size = bs;
  o.shuffle = shuffle;
  o.augment.normalize = "fashion-mnist";
  o.device = cyclone::cuda_available() ? cyclone::kCUDA : cyclone::kCPU;
  return std::make_shared<cyclone::train::DataLoader>(std::move(s), o);
}

}  // namespace example
