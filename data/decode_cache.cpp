// Decode cache file: "CYCDCACH" magic, version, fingerprint, n/c/h/w, class names, the
// skipped files' count and byte length, then n records of 1 label byte + C*H*W pixel bytes
// (the CIFAR record layout), then the skipped files (relative path, reason). Little-endian.
#include "data/decode_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "data/cifar_binary.h"
#include "data/file_io.h"
#include "data/image_scan.h"

namespace cyclone::data {
namespace {

constexpr char kMagic[8] = {'C', 'Y', 'C', 'D', 'C', 'A', 'C', 'H'};
constexpr uint32_t kVersion = 2;
constexpr uint64_t kMaxSide = 1u << 16;
constexpr uint64_t kMaxNameBytes = 4096;
constexpr uint64_t kMaxHeaderBytes = 64 + 256 * (4 + kMaxNameBytes);

// FNV-1a, 64-bit.
struct Fnv1a {
  uint64_t h = 14695981039346656037ull;
  void bytes(const void* data, size_t count) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < count; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void text(const std::string& s) { bytes(s.data(), s.size() + 1); }  // with the '\0' as separator
  void u64(uint64_t v) { bytes(&v, sizeof v); }
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// A file-name-safe copy of `name`: characters other than [A-Za-z0-9._-] become '_'.
std::string safe_name(const std::string& name) {
  std::string out = name;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') ch = '_';
  return out;
}

// Saves the cache; a folder or file that cannot be written is one warning line.
CacheStatus save_cache(const ImageSet& set, uint64_t fingerprint, const std::string& path,
                       const std::vector<SkippedFile>& skipped) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::string problem = ec ? "cannot create " + parent.string() + " (" + ec.message() + ")" : "";
  if (problem.empty()) {
    try {
      write_cache(set, fingerprint, path, skipped);
      return CacheStatus::built;
    } catch (const std::runtime_error& e) {
      problem = e.what();
    }
  }
  std::fprintf(stderr, "warning: decode cache not saved: %s; the folder will be decoded again next time\n",
               problem.c_str());
  return CacheStatus::unsaved;
}

// The cache at `path` if it exists and its header matches the listing (`skipped` gets its
// skipped files, paths relative to the folder); nothing if not, or if it does not check out.
std::optional<ImageSet> read_matching_cache(const std::string& path, uint64_t fingerprint, const FolderListing& listing,
                                            const LoadOptions& options, std::vector<SkippedFile>& skipped) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    const CacheHeader header = read_cache_header(path);
    if (header.fingerprint != fingerprint || header.class_names != listing.class_names ||
        header.n + static_cast<int64_t>(header.skipped_count) != static_cast<int64_t>(listing.files.size()) ||
        header.channels != options.channels)
      return std::nullopt;
    skipped = read_cache_skipped(path, header);
    return read_cache_body(path, header);
  } catch (const std::runtime_error&) {
    return std::nullopt;  // a damaged cache is simply rebuilt
  }
}

}  // namespace

uint64_t folder_fingerprint(const FolderListing& listing, const std::string& folder, const LoadOptions& options) {
  Fnv1a f;
  f.u64(kVersion);
  f.u64(static_cast<uint64_t>(options.channels));
  f.u64(static_cast<uint64_t>(options.limit_per_class));
  f.u64(static_cast<uint64_t>(options.limit));
  for (const std::string& name : listing.class_names) f.text(name);
  for (const FolderEntry& entry : listing.files) {
    f.text(std::filesystem::path(entry.path).lexically_relative(folder).generic_string());
    f.u64(entry.bytes);
    f.u64(static_cast<uint64_t>(entry.mtime_ns));
    f.u64(static_cast<uint64_t>(entry.label));
  }
  return f.h;
}

void convert_image_folder_to_cifar(const std::string& folder, const std::string& out_path, const LoadOptions& options) {
  save_cifar10_binary(load_image_folder(folder, options), out_path);
}

std::string default_cache_dir() {
  if (const std::string dir = env("CYCLONE_CACHE_DIR"); !dir.empty()) return dir;
  if (const std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty() && std::filesystem::path(xdg).is_absolute())
    return (std::filesystem::path(xdg) / "cyclone").string();
  if (const std::string home = env("HOME"); !home.empty())
    return (std::filesystem::path(home) / ".cache" / "cyclone").string();
  return "";
}

std::string cache_path_for(const std::string& cache_dir, const std::string& folder, const LoadOptions& options) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::weakly_canonical(std::filesystem::absolute(folder), ec);
  if (ec) abs = std::filesystem::absolute(folder).lexically_normal();
  if (!abs.has_filename()) abs = abs.parent_path();  // a trailing '/'
  std::string name = safe_name(abs.parent_path().filename().string() + "_" + abs.filename().string());
  if (options.limit > 0) name += "-limit" + std::to_string(options.limit);
  if (options.limit_per_class > 0) name += "-perclass" + std::to_string(options.limit_per_class);
  if (options.channels != 3) name += "-c" + std::to_string(options.channels);
  Fnv1a f;
  f.text(abs.string());
  for (int64_t v : {int64_t{options.channels}, options.limit_per_class, options.limit}) f.u64(static_cast<uint64_t>(v));
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(f.h));
  return (std::filesystem::path(cache_dir) / (name + "-" + hash + ".bin")).string();
}

void write_cache(const ImageSet& set, uint64_t fingerprint, const std::string& path,
                 const std::vector<SkippedFile>& skipped) {
  check_image_set(set, path);
  std::ostringstream notes;
  for (const SkippedFile& file : skipped) {
    io::put_string_le32(notes, file.path);
    io::put_string_le32(notes, file.reason);
  }
  const std::string skipped_bytes = notes.str();
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(kMagic, sizeof kMagic);
    io::put_le(out, kVersion, 4);
    io::put_le(out, fingerprint, 8);
    for (int64_t v : {set.n, set.channels, set.height, set.width}) io::put_le(out, static_cast<uint64_t>(v), 8);
    io::put_le(out, set.class_names.size(), 4);
    for (const std::string& name : set.class_names) io::put_string_le32(out, name);
    io::put_le(out, skipped.size(), 8);
    io::put_le(out, skipped_bytes.size(), 8);
    write_label_records(set, out, path);
    out.write(skipped_bytes.data(), static_cast<std::streamsize>(skipped_bytes.size()));
  });
}

CacheHeader read_cache_header(const std::string& path) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error(path + ": cannot read decode cache (" + ec.message() + ")");
  std::ifstream file(path, std::ios::binary);
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(file_size, kMaxHeaderBytes)));
  if (!file || !file.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size())))
    throw std::runtime_error(path + ": cannot read decode cache header");
  io::ByteCursor in(head, path);
  const uint8_t* magic = in.bytes(sizeof kMagic, "magic").data();
  if (!std::equal(magic, magic + sizeof kMagic, kMagic))
    throw std::runtime_error(path + ": not a decode cache (bad magic)");
  const uint32_t version = in.u32("version");
  if (version != kVersion)
    throw std::runtime_error(path + ": cache version " + std::to_string(version) + ", expected " +
                             std::to_string(kVersion));
  CacheHeader h;
  h.fingerprint = in.u64("fingerprint");
  uint64_t dims[4];
  for (uint64_t& d : dims) d = in.u64("n/c/h/w");
  if (dims[1] < 1 || dims[1] > 4 || dims[2] > kMaxSide || dims[3] > kMaxSide || dims[0] > file_size)
    throw std::runtime_error(path + ": implausible shape " + std::to_string(dims[0]) + "x" + std::to_string(dims[1]) +
                             "x" + std::to_string(dims[2]) + "x" + std::to_string(dims[3]));
  const uint32_t classes = in.u32("class count");
  if (classes > 256) throw std::runtime_error(path + ": " + std::to_string(classes) + " classes, at most 256 fit");
  for (uint32_t k = 0; k < classes; ++k) h.class_names.push_back(in.string_le32("class name", kMaxNameBytes));
  h.skipped_count = in.u64("skipped count");
  h.skipped_bytes = in.u64("skipped bytes");
  h.n = static_cast<int64_t>(dims[0]);
  h.channels = static_cast<int64_t>(dims[1]);
  h.height = static_cast<int64_t>(dims[2]);
  h.width = static_cast<int64_t>(dims[3]);
  h.data_offset = in.pos();
  const uint64_t record = 1 + dims[1] * dims[2] * dims[3];
  const uint64_t body = file_size - h.data_offset;
  const uint64_t records = body >= h.skipped_bytes ? body - h.skipped_bytes : 1;  // 1: never a whole record
  if (records % record != 0 || records / record != dims[0] || h.skipped_count > h.skipped_bytes / 8)
    throw std::runtime_error(path + ": header promises " + std::to_string(dims[0]) + " records of " +
                             std::to_string(record) + " bytes and " + std::to_string(h.skipped_bytes) +
                             " bytes of skipped files, but " + std::to_string(body) + " bytes follow (truncated?)");
  return h;
}

ImageSet read_cache_body(const std::string& path, const CacheHeader& header) {
  ImageSet set;
  set.n = header.n;
  set.channels = header.channels;
  set.height = header.height;
  set.width = header.width;
  set.class_names = header.class_names;
  set.pixels.resize(static_cast<size_t>(set.n * set.image_size()));
  set.labels.resize(static_cast<size_t>(set.n));
  std::ifstream file(path, std::ios::binary);
  file.seekg(static_cast<std::streamoff>(header.data_offset));
  // Records are read in chunks straight into the set, without a copy of the whole file.
  const int64_t record = 1 + set.image_size();
  const int64_t per_chunk = std::max<int64_t>(1, (int64_t{1} << 22) / record);
  std::vector<uint8_t> chunk(static_cast<size_t>(per_chunk * record));
  for (int64_t first = 0; first < set.n; first += per_chunk) {
    const int64_t count = std::min(per_chunk, set.n - first);
    if (!file.read(reinterpret_cast<char*>(chunk.data()), count * record))
      throw std::runtime_error(path + ": read failed at record " + std::to_string(first) + " (truncated?)");
    read_label_records(chunk.data(), count, set.image_size(), set.image(first), set.labels.data() + first);
  }
  try {
    check_image_set(set, path);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  return set;
}

std::vector<SkippedFile> read_cache_skipped(const std::string& path, const CacheHeader& header) {
  std::vector<uint8_t> bytes(static_cast<size_t>(header.skipped_bytes));
  std::ifstream file(path, std::ios::binary);
  file.seekg(static_cast<std::streamoff>(
      header.data_offset +
      static_cast<uint64_t>(header.n) * static_cast<uint64_t>(1 + header.channels * header.height * header.width)));
  if (!file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw std::runtime_error(path + ": cannot read the skipped-file list (truncated?)");
  io::ByteCursor in(bytes, path + " (skipped files)");
  std::vector<SkippedFile> skipped(static_cast<size_t>(header.skipped_count));
  for (SkippedFile& f : skipped) {
    f.path = in.string_le32("path", kMaxNameBytes);
    f.reason = in.string_le32("reason", kMaxNameBytes);
  }
  if (in.remaining() != 0)
    throw std::runtime_error(path + ": " + std::to_string(in.remaining()) + " bytes after the skipped-file list");
  return skipped;
}

ImageSet read_cache(const std::string& path, uint64_t& fingerprint) {
  const CacheHeader header = read_cache_header(path);
  fingerprint = header.fingerprint;
  return read_cache_body(path, header);
}

ImageSet load_or_build_cache(const std::string& folder, const std::string& cache_path, const LoadOptions& options,
                             CacheStatus* status, std::vector<SkippedFile>* skipped) {
  const FolderListing listing = list_image_folder(folder, options);
  const uint64_t want = folder_fingerprint(listing, folder, options);
  std::vector<SkippedFile> bad;
  std::optional<ImageSet> cached = read_matching_cache(cache_path, want, listing, options, bad);
  if (cached) {
    for (SkippedFile& f : bad) f.path = (std::filesystem::path(folder) / f.path).string();
    if (!bad.empty() && !options.skip_unreadable) throw std::runtime_error(bad[0].path + ": " + bad[0].reason);
    if (!bad.empty()) std::fprintf(stderr, "%s\n", skipped_warning(listing, bad).c_str());
    if (status) *status = CacheStatus::reused;
  } else {
    cached = decode_image_folder(listing, options, &bad);
    std::vector<SkippedFile> relative = bad;
    for (SkippedFile& f : relative) f.path = detail::relative_path(f.path, folder);
    const CacheStatus saved = save_cache(*cached, want, cache_path, relative);
    if (status) *status = saved;
  }
  if (skipped) *skipped = std::move(bad);
  return std::move(*cached);
}

}  // namespace cyclone::data
