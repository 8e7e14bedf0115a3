// Bounds-checked little-endian reading of a byte buffer, and appending little-endian
// integers to one; shared by the zip, npy and protobuf code in io/.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace cyclone::io {

// Reads little-endian integers from a fixed window of bytes. Every read is checked
// against the window and throws std::runtime_error("<context>: truncated ...") if short.
class ByteCursor {
 public:
  ByteCursor(std::span<const uint8_t> data, std::string context, size_t pos = 0)
      : data_(data), context_(std::move(context)), pos_(pos) {
    if (pos_ > data_.size()) fail("offset " + std::to_string(pos_) + " is past the end");
  }

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  uint16_t u16() { return static_cast<uint16_t>(read_le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(read_le(4)); }
  uint64_t u64() { return read_le(8); }

  std::span<const uint8_t> bytes(uint64_t n) {
    need(n);
    auto out = data_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  void skip(uint64_t n) { bytes(n); }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(context_ + ": " + what);
  }

 private:
  void need(uint64_t n) const {
    if (n > remaining())
      fail("truncated: need " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
           ", only " + std::to_string(remaining()) + " left");
  }
  uint64_t read_le(int n) {
    need(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += static_cast<size_t>(n);
    return v;
  }

  std::span<const uint8_t> data_;
  std::string context_;
  size_t pos_;
};

// Appends the low `n` bytes of `v` to `out`, little-endian.
inline void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace cyclone::io
