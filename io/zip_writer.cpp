// Zip writer: local headers + member data as they are added, then the central directory,
// with zip64 extra fields and end records where sizes or offsets need them.
#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "io/byte_cursor.h"
#include "io/zip.h"

namespace cyclone::io {
namespace {

constexpr uint64_t kMax32 = 0xFFFFFFFF;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the earliest DOS date
constexpr uint16_t kVersionDefault = 20;
constexpr uint16_t kVersionZip64 = 45;

std::vector<uint8_t> deflate_raw(std::span<const uint8_t> in, int level, const std::string& name) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::invalid_argument("zip: cannot start deflate for member '" + name + "' (level " +
                                std::to_string(level) + ")");
  struct End {
    z_stream* z;
    ~End() { deflateEnd(z); }
  } end{&zs};
  constexpr size_t kChunk = size_t{1} << 30;
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(std::min<size_t>(kChunk, in.size() + in.size() / 1000 + 1024));
  size_t in_pos = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min(kChunk, in.size() - in_pos);
      zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    const int ret = deflate(&zs, in_pos == in.size() ? Z_FINISH : Z_NO_FLUSH);
    if (ret == Z_STREAM_ERROR) throw std::runtime_error("zip: deflate failed for member '" + name + "'");
    out.insert(out.end(), buf.data(), buf.data() + (buf.size() - zs.avail_out));
    if (ret == Z_STREAM_END) return out;
  }
}

}  // namespace

ZipWriter::ZipWriter(std::ostream& out, ZipWriteOptions options) : out_(out), options_(options) {}

void ZipWriter::write(std::span<const uint8_t> bytes) {
  out_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw std::runtime_error("zip: write failed after " + std::to_string(offset_) + " bytes");
  offset_ += bytes.size();
}

void ZipWriter::write(const std::vector<uint8_t>& bytes) { write(std::span<const uint8_t>(bytes)); }

void ZipWriter::add(const std::string& name, std::span<const uint8_t> data) {
  if (finished_) throw std::logic_error("zip: add('" + name + "') after finish()");
  if (name.empty() || name.size() > 0xFFFF)
    throw std::invalid_argument("zip: member name must be 1 to 65535 bytes, got " + std::to_string(name.size()));
  for (const Record& r : records_)
    if (r.name == name) throw std::invalid_argument("zip: duplicate member name '" + name + "'");

  Record rec;
  rec.name = name;
  rec.method = options_.compress ? 8 : 0;
  rec.flags = std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })
                  ? 0x0800  // name is UTF-8
                  : 0;
  rec.crc32 = crc32_of(data);
  rec.uncompressed_size = data.size();
  rec.offset = offset_;
  std::vector<uint8_t> packed;
  if (options_.compress) packed = deflate_raw(data, options_.level, name);
  const std::span<const uint8_t> body = options_.compress ? std::span<const uint8_t>(packed) : data;
  rec.compressed_size = body.size();

  // The local header carries both sizes in a zip64 extra field when either is too big.
  const bool zip64 = options_.force_zip64 || rec.uncompressed_size >= kMax32 || rec.compressed_size >= kMax32;
  std::vector<uint8_t> h;
  put_le(h, 0x04034b50, 4);
  put_le(h, zip64 ? kVersionZip64 : kVersionDefault, 2);
  put_le(h, rec.flags, 2);
  put_le(h, rec.method, 2);
  put_le(h, 0, 2);  // time 00:00:00
  put_le(h, kDosDate1980, 2);
  put_le(h, rec.crc32, 4);
  put_le(h, zip64 ? kMax32 : rec.compressed_size, 4);
  put_le(h, zip64 ? kMax32 : rec.uncompressed_size, 4);
  put_le(h, name.size(), 2);
  put_le(h, zip64 ? 20 : 0, 2);
  h.insert(h.end(), name.begin(), name.end());
  if (zip64) {
    put_le(h, 0x0001, 2);
    put_le(h, 16, 2);
    put_le(h, rec.uncompressed_size, 8);
    put_le(h, rec.compressed_size, 8);
  }
  write(h);
  write(body);
  records_.push_back(std::move(rec));
}

void ZipWriter::finish() {
  if (finished_) throw std::logic_error("zip: finish() called twice");
  finished_ = true;
  const uint64_t cd_start = offset_;
  for (const Record& r : records_) {
    const bool force = options_.force_zip64;
    const bool big_usize = force || r.uncompressed_size >= kMax32;
    const bool big_csize = force || r.compressed_size >= kMax32;
    const bool big_offset = force || r.offset >= kMax32;
    std::vector<uint8_t> extra;
    if (big_usize) put_le(extra, r.uncompressed_size, 8);
    if (big_csize) put_le(extra, r.compressed_size, 8);
    if (big_offset) put_le(extra, r.offset, 8);
    const bool zip64 = !extra.empty();

    std::vector<uint8_t> h;
    put_le(h, 0x02014b50, 4);
    put_le(h, zip64 ? kVersionZip64 : kVersionDefault, 2);  // made by (MS-DOS host)
    put_le(h, zip64 ? kVersionZip64 : kVersionDefault, 2);  // needed to extract
    put_le(h, r.flags, 2);
    put_le(h, r.method, 2);
    put_le(h, 0, 2);
    put_le(h, kDosDate1980, 2);
    put_le(h, r.crc32, 4);
    put_le(h, big_csize ? kMax32 : r.compressed_size, 4);
    put_le(h, big_usize ? kMax32 : r.uncompressed_size, 4);
    put_le(h, r.name.size(), 2);
    put_le(h, zip64 ? extra.size() + 4 : 0, 2);
    put_le(h, 0, 2);  // comment length
    put_le(h, 0, 2);  // disk number start
    put_le(h, 0, 2);  // internal attributes
    put_le(h, 0, 4);  // external attributes
    put_le(h, big_offset ? kMax32 : r.offset, 4);
    h.insert(h.end(), r.name.begin(), r.name.end());
    if (zip64) {
      put_le(h, 0x0001, 2);
      put_le(h, extra.size(), 2);
      h.insert(h.end(), extra.begin(), extra.end());
    }
    write(h);
  }
  const uint64_t cd_size = offset_ - cd_start;
  const uint64_t count = records_.size();
  const bool zip64_end = options_.force_zip64 || count >= 0xFFFF || cd_start >= kMax32 || cd_size >= kMax32;
  std::vector<uint8_t> h;
  if (zip64_end) {
    const uint64_t record_pos = offset_;
    put_le(h, 0x06064b50, 4);
    put_le(h, 44, 8);  // size of the rest of this record
    put_le(h, kVersionZip64, 2);
    put_le(h, kVersionZip64, 2);
    put_le(h, 0, 4);  // this disk
    put_le(h, 0, 4);  // disk with the central directory
    put_le(h, count, 8);
    put_le(h, count, 8);
    put_le(h, cd_size, 8);
    put_le(h, cd_start, 8);
    put_le(h, 0x07064b50, 4);  // zip64 end of central directory locator
    put_le(h, 0, 4);
    put_le(h, record_pos, 8);
    put_le(h, 1, 4);  // total number of disks
  }
  put_le(h, 0x06054b50, 4);
  put_le(h, 0, 2);
  put_le(h, 0, 2);
  put_le(h, zip64_end ? 0xFFFF : count, 2);
  put_le(h, zip64_end ? 0xFFFF : count, 2);
  put_le(h, zip64_end ? kMax32 : cd_size, 4);
  put_le(h, zip64_end ? kMax32 : cd_start, 4);
  put_le(h, 0, 2);  // comment length
  write(h);
  out_.flush();
  if (!out_) throw std::runtime_error("zip: flush failed");
}

}  // namespace cyclone::io
