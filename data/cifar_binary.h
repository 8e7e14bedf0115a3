// CIFAR-10 binary format: each record is 1 label byte followed by 3072 bytes
// (the 32x32 R, G and B planes). Reader for the standard batch files and a writer.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/image_set.h"

namespace cyclone::data {

// airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.
const std::vector<std::string>& cifar10_class_names();

// Reads DIR/data_batch_1..5.bin (train) or DIR/test_batch.bin (test). Class names come
// from DIR/batches.meta.txt (one per line, blank lines ignored) when present.
ImageSet load_cifar10_binary(const std::string& dir, Split split);

// Reads one file of CIFAR records; labels must index class_names.
ImageSet load_cifar10_file(const std::string& path, const std::vector<std::string>& class_names);

// Writes `set` (must be 3x32x32, labels < 256) as one file of CIFAR records, atomically.
void save_cifar10_binary(const ImageSet& set, const std::string& path);

// Writes each image as 1 label byte + its C*H*W bytes: the CIFAR record layout for any
// image size (used by the decode cache). Labels must be < 256.
void write_label_records(const ImageSet& set, std::ostream& out, const std::string& path);

// Splits `n` such records (images of `image_size` bytes) at `records` into pixels
// (n * image_size bytes) and labels (n entries).
void read_label_records(const uint8_t* records, int64_t n, int64_t image_size, uint8_t* pixels, int64_t* labels);

}  // namespace cyclone::data
