// IDX reader: validates magic numbers, dimensions, file lengths and image/label counts.
#include "data/idx.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "data/file_io.h"

namespace cyclone::data {
namespace {

constexpr uint32_t kImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dimension

void check_magic(uint32_t got, uint32_t want, const std::string& path, const char* kind) {
  if (got != want)
    throw std::runtime_error(path + ": bad magic number " + std::to_string(got) + ", expected " + std::to_string(want) +
                             " for an IDX " + kind + " file");
}

void check_length(const io::ByteCursor& reader, uint64_t want, const std::string& path) {
  if (reader.remaining() != want)
    throw std::runtime_error(path + ": header promises " + std::to_string(want) + " data bytes but the file has " +
                             std::to_string(reader.remaining()) +
                             (reader.remaining() < want ? " (truncated)" : " (trailing bytes)"));
}

// `name` with ".gz" if that file exists, else the plain name (which then must exist).
std::string pick_file(const std::string& dir, const std::string& name) {
  const std::string gz = dir + "/" + name + ".gz";
  if (std::filesystem::exists(gz)) return gz;
  const std::string plain = dir + "/" + name;
  if (std::filesystem::exists(plain)) return plain;
  throw std::runtime_error(gz + ": file not found (nor " + plain + ")");
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

ImageSet load_idx(const std::string& images_path, const std::string& labels_path) {
  const std::vector<uint8_t> image_bytes = read_maybe_gzipped(images_path);
  io::ByteCursor images(image_bytes, images_path);
  check_magic(images.u32_be("magic number"), kImagesMagic, images_path, "images");
  const uint64_t n = images.u32_be("image count");
  const uint64_t rows = images.u32_be("row count");
  const uint64_t cols = images.u32_be("column count");
  uint64_t image_bytes_total = 0;
  if (__builtin_mul_overflow(n, rows * cols, &image_bytes_total))
    throw std::runtime_error(images_path + ": header sizes " + std::to_string(n) + "x" + std::to_string(rows) + "x" +
                             std::to_string(cols) + " overflow (corrupt header?)");
  check_length(images, image_bytes_total, images_path);

  const std::vector<uint8_t> label_bytes = read_maybe_gzipped(labels_path);
  io::ByteCursor labels(label_bytes, labels_path);
  check_magic(labels.u32_be("magic number"), kLabelsMagic, labels_path, "labels");
  const uint64_t n_labels = labels.u32_be("label count");
  check_length(labels, n_labels, labels_path);
  if (n_labels != n)
    throw std::runtime_error(labels_path + ": has " + std::to_string(n_labels) + " labels but " + images_path +
                             " has " + std::to_string(n) + " images");

  ImageSet set;
  set.n = static_cast<int64_t>(n);
  set.channels = 1;
  set.height = static_cast<int64_t>(rows);
  set.width = static_cast<int64_t>(cols);
  const uint8_t* pixels = images.bytes(n * rows * cols, "pixels").data();
  set.pixels.assign(pixels, pixels + n * rows * cols);
  const uint8_t* label_data = labels.bytes(n, "labels").data();
  set.labels.assign(label_data, label_data + n);
  int64_t max_label = -1;
  for (int64_t label : set.labels) max_label = std::max(max_label, label);
  for (int64_t k = 0; k <= max_label; ++k) set.class_names.push_back(std::to_string(k));
  return set;
}

ImageSet load_fashion_mnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const std::string images = pick_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels = pick_file(dir, prefix + "-labels-idx1-ubyte");
  ImageSet set = load_idx(images, labels);
  const auto& names = fashion_mnist_class_names();
  if (set.class_names.size() > names.size())
    throw std::runtime_error(labels + ": label " + std::to_string(set.class_names.size() - 1) +
                             " is not a Fashion-MNIST class (0..9)");
  set.class_names = names;
  return set;
}

}  // namespace cyclone::data
