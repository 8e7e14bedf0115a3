// Image-folder listing and parallel, deterministic decoding with stb_image.
#include "data/image_folder.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include "data/file_io.h"

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

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// One decoded image in HWC order, freed by stbi_image_free.
using StbPixels = std::unique_ptr<uint8_t, void (*)(void*)>;

StbPixels decode_file(const std::string& path, int channels, int& w, int& h) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) throw std::runtime_error(path + ": file too large to decode");
  int file_channels = 0;
  uint8_t* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels, channels);
  if (!data) throw std::runtime_error(path + ": cannot decode image (" + stbi_failure_reason() + ")");
  return StbPixels(data, stbi_image_free);
}

// HWC interleaved -> CHW planes.
void hwc_to_chw(const uint8_t* hwc, int64_t c, int64_t h, int64_t w, uint8_t* chw) {
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) chw[(k * h + y) * w + x] = hwc[(y * w + x) * c + k];
}

int resolve_threads(int threads, size_t work) {
  if (threads < 0) throw std::invalid_argument("LoadOptions::threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(work, 1)));
}

}  // namespace

FolderListing list_image_folder(const std::string& dir, int64_t limit_per_class) {
  if (limit_per_class < 0)
    throw std::invalid_argument("limit_per_class must be >= 0, got " + std::to_string(limit_per_class));
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": image folder not found");
  FolderListing listing;
  for (const fs::path& class_dir : sorted_entries(dir, /*want_dirs=*/true)) {
    const auto label = static_cast<int64_t>(listing.class_names.size());
    listing.class_names.push_back(class_dir.filename().string());
    int64_t taken = 0;
    for (const fs::path& file : sorted_entries(class_dir, /*want_dirs=*/false)) {
      if (limit_per_class > 0 && taken == limit_per_class) break;
      listing.files.push_back({file.string(), label, static_cast<uint64_t>(fs::file_size(file))});
      ++taken;
    }
  }
  if (listing.class_names.empty()) throw std::runtime_error(dir + ": no class subfolders found");
  if (listing.files.empty()) throw std::runtime_error(dir + ": no image files found in its class subfolders");
  return listing;
}

ImageSet decode_image_folder(const FolderListing& listing, const LoadOptions& options) {
  if (options.channels < 1 || options.channels > 4)
    throw std::invalid_argument("LoadOptions::channels must be 1..4, got " + std::to_string(options.channels));
  if (listing.files.empty()) throw std::invalid_argument("decode_image_folder: the listing has no files");
  const std::vector<FolderEntry>& files = listing.files;
  ImageSet set;
  set.n = static_cast<int64_t>(files.size());
  set.channels = options.channels;
  set.class_names = listing.class_names;
  set.labels.resize(files.size());

  // The first image fixes the size for all the others.
  int w0 = 0, h0 = 0;
  StbPixels first = decode_file(files[0].path, options.channels, w0, h0);
  set.height = h0;
  set.width = w0;
  set.pixels.resize(static_cast<size_t>(set.n * set.image_size()));

  std::vector<std::string> errors(files.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    // Indices are handed out in increasing order, so after a failure at i every index
    // below i still completes and the lowest failing index is found whatever the timing.
    for (size_t i = next++; i < files.size() && !failed; i = next++) {
      try {
        int w = w0, h = h0;
        StbPixels decoded = i == 0 ? std::move(first) : decode_file(files[i].path, options.channels, w, h);
        if (w != w0 || h != h0)
          throw std::runtime_error(files[i].path + ": image is " + size_text(w, h) + " (WxH) but " + files[0].path +
                                   " is " + size_text(w0, h0) + "; all images in a folder must share one size");
        hwc_to_chw(decoded.get(), set.channels, set.height, set.width, set.image(static_cast<int64_t>(i)));
        set.labels[i] = files[i].label;
      } catch (const std::exception& e) {
        errors[i] = e.what();
        failed = true;
      }
    }
  };
  const int threads = resolve_threads(options.threads, files.size());
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::string& error : errors)
    if (!error.empty()) throw std::runtime_error(error);
  return set;
}

ImageSet load_image_folder(const std::string& dir, const LoadOptions& options) {
  return decode_image_folder(list_image_folder(dir, options.limit_per_class), options);
}

ImageSet load_image_folder(const std::string& dir, Split split, const LoadOptions& options) {
  return load_image_folder(dir + "/" + split_name(split), options);
}

}  // namespace cyclone::data
