// numpy .npy format: parse and write single arrays (format versions 1.0, 2.0 and 3.0 read;
// 1.0 written, with the header padded so the data starts on a 64-byte boundary).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/ndarray.h"

namespace cyclone::io {

// Parses a complete .npy image. Supported descr: '<f4' '<f8' '<i8' '<i4' '|u1' '<u1' '|b1'
// ('=' and '|' are accepted as little-endian; big-endian '>' descr of multi-byte types is
// rejected). Arrays saved with fortran_order=True are transposed into C order, so the result
// always holds C-order bytes for the stated shape. The data must be exactly
// numel * itemsize bytes. Every error is a std::runtime_error whose message starts with
// `context` (a file name, or "file.npz: member 'x.npy'").
NdArray parse_npy(std::span<const uint8_t> data, const std::string& context);

// Serialises an array as .npy version 1.0 (2.0 only if the header exceeds 65535 bytes).
// Throws std::invalid_argument if array.bytes does not match its shape and dtype.
std::vector<uint8_t> serialize_npy(const NdArray& array);

// File versions of the above; save_npy writes atomically (path.tmp, then rename).
NdArray load_npy(const std::string& path);
void save_npy(const std::string& path, const NdArray& array);

// The numpy descr string written for a dtype, e.g. "<f4" or "|b1".
const char* npy_descr(DType dtype);

}  // namespace cyclone::io
