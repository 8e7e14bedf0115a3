// IDX files (MNIST, Fashion-MNIST), plain or gzipped: images (magic 2051) and labels (2049).
#pragma once

#include <string>
#include <vector>

#include "data/image_set.h"

namespace cyclone::data {

// Where Debian's dataset-fashion-mnist package installs the four files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
const std::vector<std::string>& fashion_mnist_class_names();

// Reads an idx3 image file and an idx1 label file (either may be gzipped). Images become
// 1-channel; class names are "0".."max label".
ImageSet load_idx(const std::string& images_path, const std::string& labels_path);

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `dir` and sets the
// Fashion-MNIST class names.
ImageSet load_fashion_mnist(const std::string& dir = kFashionMnistDir, Split split = Split::train);

}  // namespace cyclone::data
