// Minimal zip container support for .npz: a reader for stored/deflated members (zip64 and
// data descriptors included, CRC-32 verified) and a writer for stored/deflated members.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace cyclone::io {

// One member, as described by the archive's central directory.
struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored, 8 = deflated
  uint16_t flags = 0;   // general purpose bit flags
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// Reads an archive held in memory. The central directory is authoritative for sizes and
// CRCs, so members written with data descriptors (flag bit 3) need no special handling.
// Zip64 extra fields and the zip64 end-of-central-directory record are honoured.
// Every error is a std::runtime_error whose message starts with `source_name`.
class ZipReader {
 public:
  // Parses the central directory. `archive` must outlive the reader.
  ZipReader(std::span<const uint8_t> archive, std::string source_name);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry named `name`, or nullptr.
  const ZipEntry* find(const std::string& name) const;

  // Decompressed contents of a member; verifies the local header and the CRC-32.
  std::vector<uint8_t> read(const ZipEntry& entry) const;
  // Same, by name; throws if there is no such member.
  std::vector<uint8_t> read(const std::string& name) const;

 private:
  void parse_central_directory(uint64_t offset, uint64_t size, uint64_t count);
  void check_no_overlap(uint64_t cd_offset) const;

  std::span<const uint8_t> archive_;
  std::string source_;
  std::vector<ZipEntry> entries_;
};

struct ZipWriteOptions {
  bool compress = false;     // deflate members (method 8) instead of storing them (method 0)
  int level = 6;             // zlib compression level when compressing
  bool force_zip64 = false;  // emit zip64 extra fields and records even for small archives
};

// Streams an archive to `out`. Zip64 fields are written when a size or offset reaches
// 0xFFFFFFFF (or always, with force_zip64). Timestamps are fixed at 1980-01-01 so the same
// input always gives the same bytes. Call finish() once, after the last add().
class ZipWriter {
 public:
  explicit ZipWriter(std::ostream& out, ZipWriteOptions options = {});

  void add(const std::string& name, std::span<const uint8_t> data);
  void finish();

 private:
  struct Record {
    std::string name;
    uint16_t method, flags;
    uint32_t crc32;
    uint64_t compressed_size, uncompressed_size, offset;
  };
  void write(const std::vector<uint8_t>& bytes);
  void write(std::span<const uint8_t> bytes);

  std::ostream& out_;
  ZipWriteOptions options_;
  uint64_t offset_ = 0;
  std::vector<Record> records_;
  bool finished_ = false;
};

// CRC-32 (zip / zlib polynomial) of a buffer of any size.
uint32_t crc32_of(std::span<const uint8_t> data);

}  // namespace cyclone::io
