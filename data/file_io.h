// Small file helpers for the dataset readers and writers: gzip-transparent reads,
// a bounds-checked byte cursor and little-endian writers. Whole-file reads and
// atomic writes come from io/file_io.h.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "io/file_io.h"

namespace cyclone::data {

using io::read_file_bytes;
using io::write_file_atomic;

// Whole file through zlib, so gzipped and plain files both work.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path);

// Reads fixed-size fields from a byte buffer; every overrun throws naming the file.
class ByteReader {
 public:
  ByteReader(const std::vector<uint8_t>& bytes, std::string file) : bytes_(bytes), file_(std::move(file)) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  const uint8_t* take(size_t count, const char* what);  // pointer to the next `count` bytes
  uint32_t u32_be(const char* what);
  uint32_t u32_le(const char* what);
  uint64_t u64_le(const char* what);
  std::string string_le32(const char* what, size_t max_len);  // u32 length + bytes

 private:
  const std::vector<uint8_t>& bytes_;
  std::string file_;
  size_t pos_ = 0;
};

// Little-endian writers matching ByteReader.
void put_u32_le(std::ostream& out, uint32_t v);
void put_u64_le(std::ostream& out, uint64_t v);
void put_string_le32(std::ostream& out, const std::string& s);

}  // namespace cyclone::data
