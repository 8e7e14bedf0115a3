// Whole-file reads and atomic writes (write a temp file beside the target, then
// rename it over the target), shared by io/ (npy, npz, ONNX), data/ (dataset
// caches), report/ (plots, CSV), schedules/ (dry runs) and train/ (checkpoints).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace cyclone::io {

// The whole file as bytes; throws std::runtime_error naming the file if it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// The temp file write_file_atomic uses for `path`: "<path>.tmp.<pid>", so two processes
// writing the same file never share one.
std::string atomic_temp_path(const std::string& path);

// Calls write(stream) on atomic_temp_path(path), then renames it over `path`, so readers
// never see a half-written file and an existing file survives any failure (the temp file is
// flushed to the disk before the rename, so a crash or power loss leaves the old or the new
// file, never an empty one). On any error
// the temp file is removed and std::runtime_error (naming the file) is thrown; exceptions
// thrown by `write` itself propagate unchanged.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);
// The same for bytes or text already in memory.
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace cyclone::io
