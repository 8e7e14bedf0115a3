// numpy .npz archives: a zip of .npy members, one per named array (np.savez / np.savez_compressed).
#pragma once

#include <map>
#include <ostream>
#include <span>
#include <string>

#include "io/ndarray.h"
#include "io/zip.h"

namespace cyclone::io {

// Loads every array; keys are the member names without the ".npy" suffix. Reads stored and
// deflated members, zip64 and data descriptors, and verifies CRC-32s. Any problem (missing
// file, truncation, corrupt zip, bad npy header, data size not matching the header,
// unsupported dtype, duplicate names) throws std::runtime_error naming the file, and the
// member where one is at fault; nothing is returned partially.
std::map<std::string, NdArray> load_npz(const std::string& path);

// Same, from an archive already in memory; `source_name` starts every error message.
std::map<std::string, NdArray> parse_npz(std::span<const uint8_t> archive, const std::string& source_name);

// Writes "<key>.npy" members (npy version 1.0), deflated when `compress` is true. The write
// is atomic: the archive goes to path + ".tmp", which is then renamed over `path`.
// Throws std::invalid_argument if an array's bytes do not match its shape and dtype.
void save_npz(const std::string& path, const std::map<std::string, NdArray>& arrays, bool compress);

// Streams an .npz archive to `out` with full control over the zip options (e.g. force_zip64).
void write_npz(std::ostream& out, const std::map<std::string, NdArray>& arrays, const ZipWriteOptions& options);

}  // namespace cyclone::io
