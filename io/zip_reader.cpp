// Zip reader: locates the (zip64) end-of-central-directory record, parses the central
// directory, and extracts stored or raw-deflated members with CRC-32 verification.
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "io/byte_cursor.h"
#include "io/zip.h"

namespace cyclone::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kMax32 = 0xFFFFFFFF;
constexpr size_t kEndRecordSize = 22;
// Deflate cannot expand data by more than about 1032:1; a larger claimed ratio is corrupt.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint32_t read_u32_at(std::span<const uint8_t> d, size_t pos) {
  return static_cast<uint32_t>(d[pos]) | static_cast<uint32_t>(d[pos + 1]) << 8 |
         static_cast<uint32_t>(d[pos + 2]) << 16 | static_cast<uint32_t>(d[pos + 3]) << 24;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Applies a zip64 extended-information extra field (id 0x0001): each 32-bit field that
// holds the 0xFFFFFFFF marker is replaced by the next 64-bit value, in spec order.
void apply_zip64_extra(std::span<const uint8_t> extra, ZipEntry& e, const std::string& context) {
  ByteCursor cur(extra, context + ": extra field");
  while (cur.remaining() >= 4) {
    const uint16_t id = cur.u16();
    const uint16_t size = cur.u16();
    const auto body = cur.bytes(size);
    if (id != 0x0001) continue;
    ByteCursor z(body, context + ": zip64 extra field");
    if (e.uncompressed_size == kMax32) e.uncompressed_size = z.u64();
    if (e.compressed_size == kMax32) e.compressed_size = z.u64();
    if (e.local_header_offset == kMax32) e.local_header_offset = z.u64();
  }
}

std::vector<uint8_t> inflate_raw(std::span<const uint8_t> in, uint64_t expected_size,
                                 const std::string& context) {
  std::vector<uint8_t> out(static_cast<size_t>(expected_size));
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw std::runtime_error(context + ": zlib inflateInit2 failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&zs};
  constexpr size_t kChunk = size_t{1} << 30;  // z_stream counts are 32-bit
  size_t in_pos = 0, out_pos = 0;
  uint8_t probe = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min(kChunk, in.size() - in_pos);
      zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    bool probing = false;
    if (zs.avail_out == 0) {
      if (out_pos < out.size()) {
        const size_t n = std::min(kChunk, out.size() - out_pos);
        zs.next_out = out.data() + out_pos;
        zs.avail_out = static_cast<uInt>(n);
        out_pos += n;
      } else {  // output is full: any further byte means the sizes lie
        zs.next_out = &probe;
        zs.avail_out = 1;
        probing = true;
      }
    }
    const int ret = inflate(&zs, Z_NO_FLUSH);
    if (probing && zs.avail_out == 0)
      throw std::runtime_error(context + ": decompresses to more than the declared " +
                               std::to_string(expected_size) + " bytes");
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR) throw std::runtime_error(context + ": compressed data is truncated");
    throw std::runtime_error(context + ": corrupt deflate data (" + (zs.msg ? zs.msg : "zlib error") + ")");
  }
  const size_t produced = out_pos - (zs.next_out == &probe ? 0 : zs.avail_out);
  if (produced != expected_size)
    throw std::runtime_error(context + ": decompresses to " + std::to_string(produced) +
                             " bytes, the directory says " + std::to_string(expected_size));
  return out;
}

// The end-of-central-directory record is the last thing in the file, followed only by an
// optional comment of up to 65535 bytes: scan backwards for its signature.
size_t find_end_record(std::span<const uint8_t> archive, const std::string& source) {
  if (archive.size() < kEndRecordSize)
    throw std::runtime_error(source + ": not a zip file (only " + std::to_string(archive.size()) +
                             " bytes; truncated?)");
  const size_t lowest = archive.size() > kEndRecordSize + 65535 ? archive.size() - kEndRecordSize - 65535 : 0;
  for (size_t pos = archive.size() - kEndRecordSize + 1; pos-- > lowest;) {
    if (read_u32_at(archive, pos) != kEndSig) continue;
    const size_t comment_len = archive[pos + 20] | archive[pos + 21] << 8;
    if (pos + kEndRecordSize + comment_len <= archive.size()) return pos;
  }
  throw std::runtime_error(source + ": not a zip file or truncated (end of central directory record not found)");
}

}  // namespace

uint32_t crc32_of(std::span<const uint8_t> data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t pos = 0; pos < data.size(); pos += kChunk)
    crc = crc32(crc, data.data() + pos, static_cast<uInt>(std::min(kChunk, data.size() - pos)));
  return static_cast<uint32_t>(crc);
}

ZipReader::ZipReader(std::span<const uint8_t> archive, std::string source_name)
    : archive_(archive), source_(std::move(source_name)) {
  const size_t end_pos = find_end_record(archive_, source_);
  ByteCursor end(archive_, source_ + ": end of central directory", end_pos + 4);
  const uint16_t disk = end.u16(), cd_disk = end.u16();
  end.skip(2);
  uint64_t count = end.u16();
  uint64_t cd_size = end.u32();
  uint64_t cd_offset = end.u32();
  uint64_t limit = end_pos;  // the central directory must end before this offset

  if (end_pos >= 20 && read_u32_at(archive_, end_pos - 20) == kZip64LocatorSig) {
    ByteCursor loc(archive_, source_ + ": zip64 end of central directory locator", end_pos - 16);
    loc.skip(4);  // disk holding the zip64 record
    const uint64_t z64_pos = loc.u64();
    if (z64_pos > end_pos - 20)
      throw std::runtime_error(source_ + ": zip64 end of central directory offset " +
                               std::to_string(z64_pos) + " is past the locator");
    ByteCursor z(archive_.first(end_pos - 20), source_ + ": zip64 end of central directory",
                 static_cast<size_t>(z64_pos));
    if (z.u32() != kZip64EndSig)
      throw std::runtime_error(source_ + ": bad zip64 end of central directory signature");
    z.skip(8 + 2 + 2);  // record size, version made by, version needed
    const uint32_t z_disk = z.u32(), z_cd_disk = z.u32();
    if (z_disk != 0 || z_cd_disk != 0) throw std::runtime_error(source_ + ": multi-disk zip archives are not supported");
    z.skip(8);  // entries on this disk
    count = z.u64();
    cd_size = z.u64();
    cd_offset = z.u64();
    limit = z64_pos;
  } else if (disk != 0 || cd_disk != 0) {
    throw std::runtime_error(source_ + ": multi-disk zip archives are not supported");
  }
  if (cd_offset > limit || cd_size > limit - cd_offset)
    throw std::runtime_error(source_ + ": central directory (offset " + std::to_string(cd_offset) + ", " +
                             std::to_string(cd_size) + " bytes) lies outside the file; truncated?");
  parse_central_directory(cd_offset, cd_size, count);
}

void ZipReader::parse_central_directory(uint64_t offset, uint64_t size, uint64_t count) {
  constexpr size_t kCentralHeaderSize = 46;
  if (count > size / kCentralHeaderSize)
    throw std::runtime_error(source_ + ": central directory of " + std::to_string(size) +
                             " bytes cannot hold " + std::to_string(count) + " entries");
  ByteCursor cur(archive_.subspan(static_cast<size_t>(offset), static_cast<size_t>(size)),
                 source_ + ": central directory");
  entries_.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    if (cur.u32() != kCentralSig)
      throw std::runtime_error(source_ + ": bad central directory signature for entry " + std::to_string(i));
    ZipEntry e;
    cur.skip(4);  // version made by, version needed
    e.flags = cur.u16();
    e.method = cur.u16();
    cur.skip(4);  // time, date
    e.crc32 = cur.u32();
    e.compressed_size = cur.u32();
    e.uncompressed_size = cur.u32();
    const uint16_t name_len = cur.u16(), extra_len = cur.u16(), comment_len = cur.u16();
    cur.skip(8);  // disk start, internal and external attributes
    e.local_header_offset = cur.u32();
    const auto name = cur.bytes(name_len);
    e.name.assign(name.begin(), name.end());
    apply_zip64_extra(cur.bytes(extra_len), e, source_ + ": member '" + e.name + "'");
    cur.skip(comment_len);
    entries_.push_back(std::move(e));
  }
  check_no_overlap(offset);
}

// Members must not share bytes: overlapping entries are how "zip bombs" expand a small file
// into many huge outputs. Each member needs at least 30 + name + compressed bytes.
void ZipReader::check_no_overlap(uint64_t cd_offset) const {
  std::vector<const ZipEntry*> order;
  for (const ZipEntry& e : entries_) {
    if (e.local_header_offset > archive_.size() || e.compressed_size > archive_.size())
      throw std::runtime_error(source_ + ": member '" + e.name + "' lies past the end of the file; truncated?");
    order.push_back(&e);
  }
  std::sort(order.begin(), order.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->local_header_offset < b->local_header_offset;
  });
  for (size_t i = 0; i < order.size(); ++i) {
    const ZipEntry& e = *order[i];
    const uint64_t end = e.local_header_offset + 30 + e.name.size() + e.compressed_size;
    const uint64_t next = i + 1 < order.size() ? order[i + 1]->local_header_offset : cd_offset;
    if (end > next)
      throw std::runtime_error(source_ + ": member '" + e.name + "' overlaps " +
                               (i + 1 < order.size() ? "member '" + order[i + 1]->name + "'" : "the central directory"));
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<uint8_t> ZipReader::read(const std::string& name) const {
  const ZipEntry* e = find(name);
  if (!e) throw std::runtime_error(source_ + ": no member named '" + name + "'");
  return read(*e);
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& e) const {
  const std::string context = source_ + ": member '" + e.name + "'";
  if (e.flags & 0x1) throw std::runtime_error(context + ": encrypted members are not supported");
  if (e.method != 0 && e.method != 8)
    throw std::runtime_error(context + ": unsupported compression method " + std::to_string(e.method) +
                             " (only stored and deflate)");
  if (e.local_header_offset > archive_.size())
    throw std::runtime_error(context + ": local header offset " + std::to_string(e.local_header_offset) +
                             " is past the end of the file");
  ByteCursor cur(archive_, context + ": local header", static_cast<size_t>(e.local_header_offset));
  if (cur.u32() != kLocalSig) throw std::runtime_error(context + ": bad local header signature");
  cur.skip(22);  // version, flags, method, time, date, crc, sizes: the central directory rules
  const uint16_t name_len = cur.u16(), extra_len = cur.u16();
  const auto local_name = cur.bytes(name_len);
  if (!std::equal(local_name.begin(), local_name.end(), e.name.begin(), e.name.end()))
    throw std::runtime_error(context + ": local header names a different member");
  cur.skip(extra_len);
  if (e.compressed_size > cur.remaining())
    throw std::runtime_error(context + ": data of " + std::to_string(e.compressed_size) +
                             " bytes runs past the end of the file; truncated?");
  const auto packed = cur.bytes(e.compressed_size);

  std::vector<uint8_t> data;
  if (e.method == 0) {
    if (e.compressed_size != e.uncompressed_size)
      throw std::runtime_error(context + ": stored member has compressed size " + std::to_string(e.compressed_size) +
                               " but uncompressed size " + std::to_string(e.uncompressed_size));
    data.assign(packed.begin(), packed.end());
  } else {
    if (e.uncompressed_size > e.compressed_size * kMaxDeflateRatio + 1024)
      throw std::runtime_error(context + ": claims " + std::to_string(e.uncompressed_size) + " bytes from " +
                               std::to_string(e.compressed_size) + " compressed bytes, beyond what deflate can do");
    data = inflate_raw(packed, e.uncompressed_size, context);
  }
  const uint32_t crc = crc32_of(data);
  if (crc != e.crc32)
    throw std::runtime_error(context + ": CRC-32 mismatch (directory says " + hex32(e.crc32) + ", data has " +
                             hex32(crc) + "); the file is corrupt");
  return data;
}

}  // namespace cyclone::io
