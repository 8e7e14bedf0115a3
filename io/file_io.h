// Whole-file reads and atomic writes (write "<path>.tmp", then rename) for the io/ formats.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace cyclone::io {

// The whole file as bytes; throws std::runtime_error naming the file if it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Calls write(stream) on "<path>.tmp", then renames it over `path`, so readers never see a
// half-written file. On any error the temp file is removed and std::runtime_error (naming
// the file) is thrown; exceptions thrown by `write` itself propagate unchanged.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace cyclone::io
