// Small file helpers shared by the dataset readers and writers: whole-file reads,
// atomic writes (temp file + rename), and a bounds-checked byte cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace cyclone::data {

// Whole file as bytes; throws std::runtime_error naming the file if it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Whole file through zlib, so gzipped and plain files both work.
std::vector<uint8_t> read_maybe_gzipped(const std::string& path);

// Calls write(stream) on a temp file next to `path`, then renames it over `path`,
// so readers never see a half-written file. Throws naming the file on any error.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

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
