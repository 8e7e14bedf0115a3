// .npz loading and saving on top of the zip container and the .npy codec.
#include "io/npz.h"

#include <stdexcept>

#include "io/file_io.h"
#include "io/npy.h"

namespace cyclone::io {

std::map<std::string, NdArray> parse_npz(std::span<const uint8_t> archive, const std::string& source_name) {
  const ZipReader zip(archive, source_name);
  std::map<std::string, NdArray> arrays;
  for (const ZipEntry& entry : zip.entries()) {
    std::string key = entry.name;
    if (key.size() >= 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    if (arrays.count(key))
      throw std::runtime_error(source_name + ": duplicate array name '" + key + "'");
    const std::vector<uint8_t> member = zip.read(entry);
    arrays.emplace(key, parse_npy(member, source_name + ": member '" + entry.name + "'"));
  }
  return arrays;
}

std::map<std::string, NdArray> load_npz(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return parse_npz(bytes, path);
}

void write_npz(std::ostream& out, const std::map<std::string, NdArray>& arrays, const ZipWriteOptions& options) {
  ZipWriter zip(out, options);
  for (const auto& [key, array] : arrays) {
    if (!array.consistent())
      throw std::invalid_argument("save_npz: array '" + key + "' has " + std::to_string(array.bytes.size()) +
                                  " bytes, but shape " + shape_to_string(array.shape) + " " +
                                  dtype_name(array.dtype) + " needs " + std::to_string(array.nbytes()));
    zip.add(key + ".npy", serialize_npy(array));
  }
  zip.finish();
}

void save_npz(const std::string& path, const std::map<std::string, NdArray>& arrays, bool compress) {
  ZipWriteOptions options;
  options.compress = compress;
  write_file_atomic(path, [&](std::ostream& out) { write_npz(out, arrays, options); });
}

}  // namespace cyclone::io
