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

}  // namespace cyclone::data
