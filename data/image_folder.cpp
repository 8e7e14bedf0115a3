// Image-folder listing, and decoding that skips (or, strictly, rejects) unreadable files.
#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "data/image_scan.h"

namespace fs = std::filesystem;

namespace cyclone::data {
namespace {

bool is_image_name(const fs::path& path) {
  static const char* const kExtensions[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga",
                                            ".ppm", ".pgm", ".pnm",  ".psd", ".hdr", ".pic"};
  const std::string name = path.filename().string();
  if (name.empty() || name[0] == '.') return false;
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

std::vector<fs::path> sorted_entries(const fs::path& dir, bool want_dirs) {
  std::vector<fs::path> out;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (want_dirs ? entry.is_directory() : (entry.is_regular_file() && is_image_name(entry.path())))
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return out;
}

// HWC interleaved -> CHW planes.
void hwc_to_chw(const uint8_t* hwc, int64_t c, int64_t h, int64_t w, uint8_t* chw) {
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) chw[(k * h + y) * w + x] = hwc[(y * w + x) * c + k];
}

int64_t mtime_ns(const fs::path& file) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(fs::last_write_time(file).time_since_epoch()).count();
}

// "a/x.jpg (reason), b/y.png (reason) and 3 more": the first few of `files`.
std::string first_few(const std::vector<SkippedFile>& files, const std::string& root) {
  constexpr size_t kShown = 3;
  std::string text;
  for (size_t i = 0; i < std::min(files.size(), kShown); ++i)
    text += (i ? ", " : "") + detail::relative_path(files[i].path, root) + " (" + files[i].reason + ")";
  if (files.size() > kShown) text += " and " + std::to_string(files.size() - kShown) + " more";
  return text;
}

}  // namespace

FolderListing list_image_folder(const std::string& dir, const LoadOptions& options) {
  const int64_t limit_per_class = options.limit_per_class;
  if (limit_per_class < 0)
    throw std::invalid_argument("LoadOptions::limit_per_class must be >= 0, got " + std::to_string(limit_per_class));
  if (options.limit < 0)
    throw std::invalid_argument("LoadOptions::limit must be >= 0, got " + std::to_string(options.limit));
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": image folder not found");
  FolderListing listing;
  listing.root = dir;
  for (const fs::path& class_dir : sorted_entries(dir, /*want_dirs=*/true)) {
    const auto label = static_cast<int64_t>(listing.class_names.size());
    listing.class_names.push_back(class_dir.filename().string());
    int64_t taken = 0;
    for (const fs::path& file : sorted_entries(class_dir, /*want_dirs=*/false)) {
      if (limit_per_class > 0 && taken == limit_per_class) break;
      listing.files.push_back({file.string(), label, static_cast<uint64_t>(fs::file_size(file)), mtime_ns(file)});
      ++taken;
    }
  }
  if (listing.class_names.empty()) throw std::runtime_error(dir + ": no class subfolders found");
  if (listing.files.empty()) throw std::runtime_error(dir + ": no image files found in its class subfolders");
  if (options.limit > 0 && options.limit < static_cast<int64_t>(listing.files.size())) {
    std::vector<FolderEntry> kept;
    for (int64_t i : spread_indices(static_cast<int64_t>(listing.files.size()), options.limit))
      kept.push_back(std::move(listing.files[static_cast<size_t>(i)]));
    listing.files = std::move(kept);
  }
  return listing;
}

ImageSet decode_image_folder(const FolderListing& listing, const LoadOptions& options,
                             std::vector<SkippedFile>* skipped) {
  if (options.channels < 1 || options.channels > 4)
    throw std::invalid_argument("LoadOptions::channels must be 1..4, got " + std::to_string(options.channels));
  if (listing.files.empty()) throw std::invalid_argument("decode_image_folder: the listing has no files");
  const std::vector<FolderEntry>& files = listing.files;
  detail::FolderScan scan = detail::scan_headers(files, listing.root, options.threads);

  // Each kept file gets the next slot; files that then fail to decode leave a gap, closed below.
  std::vector<int64_t> slot(files.size(), -1);
  int64_t slots = 0;
  for (size_t i = 0; i < files.size(); ++i)
    if (scan.reasons[i].empty()) slot[i] = slots++;
  ImageSet set;
  set.channels = options.channels;
  set.height = scan.height;
  set.width = scan.width;
  set.class_names = listing.class_names;
  set.pixels.resize(static_cast<size_t>(slots * set.image_size()));
  detail::decode_kept(
      files, scan, options.channels, options.threads, !options.skip_unreadable,
      [&](size_t i, const uint8_t* hwc) { hwc_to_chw(hwc, set.channels, set.height, set.width, set.image(slot[i])); });
  const std::vector<SkippedFile> bad = detail::bad_files(files, scan);
  if (!bad.empty() && !options.skip_unreadable) throw std::runtime_error(bad[0].path + ": " + bad[0].reason);
  if (bad.size() == files.size())
    throw std::runtime_error(listing.root + ": none of the " + std::to_string(files.size()) +
                             " files is a readable image: " + first_few(bad, listing.root));
  set.labels.reserve(files.size() - bad.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (!scan.reasons[i].empty()) continue;
    const int64_t to = set.n++;
    if (to != slot[i]) std::memmove(set.image(to), set.image(slot[i]), static_cast<size_t>(set.image_size()));
    set.labels.push_back(files[i].label);
  }
  set.pixels.resize(static_cast<size_t>(set.n * set.image_size()));
  if (!bad.empty()) std::fprintf(stderr, "%s\n", skipped_warning(listing, bad).c_str());
  if (skipped) *skipped = bad;
  return set;
}

std::string skipped_warning(const FolderListing& listing, const std::vector<SkippedFile>& skipped) {
  return "warning: " + listing.root + ": skipped " + std::to_string(skipped.size()) + " of " +
         std::to_string(listing.files.size()) +
         " files that are not readable images: " + first_few(skipped, listing.root);
}

ImageSet load_image_folder(const std::string& dir, const LoadOptions& options, std::vector<SkippedFile>* skipped) {
  return decode_image_folder(list_image_folder(dir, options), options, skipped);
}

ImageSet load_image_folder(const std::string& dir, Split split, const LoadOptions& options,
                           std::vector<SkippedFile>* skipped) {
  return load_image_folder(dir + "/" + split_name(split), options, skipped);
}

}  // namespace cyclone::data
