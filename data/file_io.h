// Small file helpers for the dataset readers and writers: gzip-transparent reads.
// Whole-file reads and atomic writes come from io/file_io.h, and the bounds-checked
// byte reading and writing from io/byte_cursor.h.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "io/byte_cursor.h"
#include "io/file_io.h"

namespace cyclone::data {

using io::read_file_bytes;
using io::write_file_atomic;

// Whole file through zlib, so gzipped and plain files both work.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path);

}  // namespace cyclone::data
