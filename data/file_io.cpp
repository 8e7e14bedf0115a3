// Gzip-transparent whole-file reads, a bounds-checked byte cursor and little-endian writers.
#include "data/file_io.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace cyclone::data {
namespace {

// zlib's error text without the "path: " prefix it adds itself.
std::string gz_message(gzFile file, const std::string& path, int& code) {
  std::string msg = gzerror(file, &code);
  if (msg.rfind(path + ": ", 0) == 0) msg.erase(0, path.size() + 2);
  return msg;
}

}  // namespace

std::vector<uint8_t> read_maybe_gzipped(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  std::vector<uint8_t> bytes;
  constexpr size_t chunk = 1 << 20;
  while (true) {
    const size_t old = bytes.size();
    bytes.resize(old + chunk);
    const int got = gzread(file, bytes.data() + old, static_cast<unsigned>(chunk));
    if (got < 0) {
      int code = 0;
      const std::string msg = gz_message(file, path, code);
      gzclose(file);
      throw std::runtime_error(path + ": corrupt or unreadable data (" + msg + ")");
    }
    bytes.resize(old + static_cast<size_t>(got));
    if (got == 0) break;
  }
  int code = 0;
  const std::string msg = gz_message(file, path, code);
  gzclose(file);
  if (code != Z_OK && code != Z_STREAM_END)
    throw std::runtime_error(path + ": corrupt or truncated data (" + msg + ")");
  return bytes;
}

const uint8_t* ByteReader::take(size_t count, const char* what) {
  if (count > remaining())
    throw std::runtime_error(file_ + ": truncated: needs " + std::to_string(count) + " bytes for " + what +
                             " at offset " + std::to_string(pos_) + ", only " + std::to_string(remaining()) + " left");
  const uint8_t* p = bytes_.data() + pos_;
  pos_ += count;
  return p;
}

uint32_t ByteReader::u32_be(const char* what) {
  const uint8_t* p = take(4, what);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uint32_t ByteReader::u32_le(const char* what) {
  const uint8_t* p = take(4, what);
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[0]};
}

uint64_t ByteReader::u64_le(const char* what) {
  const uint64_t lo = u32_le(what);
  const uint64_t hi = u32_le(what);
  return lo | (hi << 32);
}

std::string ByteReader::string_le32(const char* what, size_t max_len) {
  const uint32_t len = u32_le(what);
  if (len > max_len)
    throw std::runtime_error(file_ + ": " + what + " has length " + std::to_string(len) + ", more than the limit " +
                             std::to_string(max_len));
  const uint8_t* p = take(len, what);
  return std::string(reinterpret_cast<const char*>(p), len);
}

void put_u32_le(std::ostream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}

void put_u64_le(std::ostream& out, uint64_t v) {
  put_u32_le(out, static_cast<uint32_t>(v));
  put_u32_le(out, static_cast<uint32_t>(v >> 32));
}

void put_string_le32(std::ostream& out, const std::string& s) {
  put_u32_le(out, static_cast<uint32_t>(s.size()));
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace cyclone::data
