// CIFAR-10 binary batches: load the standard split files, save one file of records.
#include "data/cifar_binary.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "data/file_io.h"

namespace cyclone::data {
namespace {

constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarImageBytes = 3 * kCifarSide * kCifarSide;
constexpr int64_t kCifarRecordBytes = 1 + kCifarImageBytes;

// Class names from batches.meta.txt, or the standard ten if the file is absent.
std::vector<std::string> read_class_names(const std::string& dir) {
  const std::string meta = dir + "/batches.meta.txt";
  if (!std::filesystem::exists(meta)) return cifar10_class_names();
  std::ifstream in(meta);
  if (!in) throw std::runtime_error(meta + ": cannot open for reading");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.empty()) throw std::runtime_error(meta + ": no class names found");
  if (names.size() > 256)
    throw std::runtime_error(meta + ": " + std::to_string(names.size()) +
                             " class names, but a CIFAR label byte holds at most 256");
  return names;
}

void append(ImageSet& all, const ImageSet& part) {
  all.pixels.insert(all.pixels.end(), part.pixels.begin(), part.pixels.end());
  all.labels.insert(all.labels.end(), part.labels.begin(), part.labels.end());
  all.n += part.n;
}

}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

void read_label_records(const uint8_t* records, int64_t n, int64_t image_size, uint8_t* pixels, int64_t* labels) {
  const uint8_t* p = records;
  for (int64_t i = 0; i < n; ++i, p += 1 + image_size) {
    labels[i] = p[0];
    std::memcpy(pixels + i * image_size, p + 1, static_cast<size_t>(image_size));
  }
}

ImageSet load_cifar10_file(const std::string& path, const std::vector<std::string>& class_names) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  if (bytes.empty() || bytes.size() % kCifarRecordBytes != 0)
    throw std::runtime_error(path + ": size " + std::to_string(bytes.size()) +
                             " bytes is not a positive multiple of the CIFAR record size " +
                             std::to_string(kCifarRecordBytes) + " (truncated or not a CIFAR batch?)");
  ImageSet set;
  set.n = static_cast<int64_t>(bytes.size() / kCifarRecordBytes);
  set.channels = 3;
  set.height = set.width = kCifarSide;
  set.class_names = class_names;
  set.pixels.resize(static_cast<size_t>(set.n * kCifarImageBytes));
  set.labels.resize(static_cast<size_t>(set.n));
  read_label_records(bytes.data(), set.n, kCifarImageBytes, set.pixels.data(), set.labels.data());
  for (int64_t i = 0; i < set.n; ++i) {
    if (set.labels[i] >= static_cast<int64_t>(class_names.size()))
      throw std::runtime_error(path + ": record " + std::to_string(i) + " has label " + std::to_string(set.labels[i]) +
                               " but there are only " + std::to_string(class_names.size()) + " classes");
  }
  return set;
}

ImageSet load_cifar10_binary(const std::string& dir, Split split) {
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error(dir + ": CIFAR-10 directory not found");
  const std::vector<std::string> names = read_class_names(dir);
  std::vector<std::string> files;
  if (split == Split::train) {
    for (int i = 1; i <= 5; ++i) files.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    files.push_back(dir + "/test_batch.bin");
  }
  ImageSet all;
  all.channels = 3;
  all.height = all.width = kCifarSide;
  all.class_names = names;
  for (const std::string& file : files) {
    if (!std::filesystem::exists(file))
      throw std::runtime_error(file + ": missing CIFAR-10 " + split_name(split) + " batch file");
    append(all, load_cifar10_file(file, names));
  }
  return all;
}

void write_label_records(const ImageSet& set, std::ostream& out, const std::string& path) {
  check_image_set(set, path);
  for (int64_t i = 0; i < set.n; ++i) {
    if (set.labels[i] > 255)
      throw std::invalid_argument(path + ": label " + std::to_string(set.labels[i]) + " of image " + std::to_string(i) +
                                  " does not fit the record's label byte");
    const char label = static_cast<char>(set.labels[i]);
    out.write(&label, 1);
    out.write(reinterpret_cast<const char*>(set.image(i)), set.image_size());
  }
}

void save_cifar10_binary(const ImageSet& set, const std::string& path) {
  if (set.channels != 3 || set.height != kCifarSide || set.width != kCifarSide)
    throw std::invalid_argument(path + ": CIFAR binary needs 3x32x32 images, got " + std::to_string(set.channels) +
                                "x" + std::to_string(set.height) + "x" + std::to_string(set.width));
  check_image_set(set, path);  // before opening, so a bad set leaves no file behind
  write_file_atomic(path, [&](std::ostream& out) { write_label_records(set, out, path); });
}

}  // namespace cyclone::data
