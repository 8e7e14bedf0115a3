// Bounds-checked reading of a byte buffer (little-endian, and big-endian for IDX), and
// little-endian writers; shared by the zip and npy code in io/ and the dataset files in data/.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace cyclone::io {

// Reads integers from a fixed window of bytes. Every read is checked against the window
// and throws std::runtime_error("<context>: truncated ...") if short, naming the field
// when the caller gives its name (`what`).
class ByteCursor {
 public:
  ByteCursor(std::span<const uint8_t> data, std::string context, size_t pos = 0)
      : data_(data), context_(std::move(context)), pos_(pos) {
    if (pos_ > data_.size()) fail("offset " + std::to_string(pos_) + " is past the end");
  }

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  uint16_t u16(const char* what = nullptr) { return static_cast<uint16_t>(read_le(2, what)); }
  uint32_t u32(const char* what = nullptr) { return static_cast<uint32_t>(read_le(4, what)); }
  uint64_t u64(const char* what = nullptr) { return read_le(8, what); }
  uint32_t u32_be(const char* what = nullptr) {
    const auto b = bytes(4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }
  // A u32 length, then that many bytes; a length over max_len is an error naming the field.
  std::string string_le32(const char* what, size_t max_len) {
    const uint32_t len = u32(what);
    if (len > max_len) {
      fail(std::string(what) + " has length " + std::to_string(len) + ", more than the limit " +
           std::to_string(max_len));
    }
    const auto b = bytes(len, what);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

  std::span<const uint8_t> bytes(uint64_t n, const char* what = nullptr) {
    need(n, what);
    auto out = data_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  void skip(uint64_t n) { bytes(n); }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(context_ + ": " + what);
  }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      fail("truncated: need " + std::to_string(n) + " bytes" + (what ? std::string(" for ") + what : "") +
           " at offset " + std::to_string(pos_) + ", only " + std::to_string(remaining()) + " left");
  }
  uint64_t read_le(int n, const char* what) {
    need(static_cast<uint64_t>(n), what);
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
inline void put_le(std::ostream& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.put(static_cast<char>(v >> (8 * i)));
}
// A u32 length, then the bytes: what ByteCursor::string_le32 reads.
inline void put_string_le32(std::ostream& out, const std::string& s) {
  put_le(out, s.size(), 4);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace cyclone::io
