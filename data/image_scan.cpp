// Which files of an image folder are readable images: headers first (the size most files
// share), then full decodes with stb_image, in parallel and independent of the thread count.
#include "data/image_scan.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include "data/file_io.h"

namespace cyclone::data::detail {
namespace {

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

// Calls fn(i) for every i in [0, n) on `threads` threads. Indices are handed out in
// increasing order, so when `stop` is set after fn(i), every index below i still completes.
void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn, const std::atomic<bool>& stop) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n && !stop; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

ImageProbe probe_file(const FolderEntry& entry) {
  ImageProbe p;
  if (entry.bytes == 0) {
    p.error = "empty file";
    return p;
  }
  std::FILE* f = std::fopen(entry.path.c_str(), "rb");
  if (!f) {
    p.error = std::string("cannot open for reading (") + std::strerror(errno) + ")";
    return p;
  }
  const int ok = stbi_info_from_file(f, &p.width, &p.height, &p.channels);
  std::fclose(f);
  if (!ok) p.error = std::string("cannot decode image (") + stbi_failure_reason() + ")";
  return p;
}

// One decoded image in HWC order, freed by stbi_image_free.
using StbPixels = std::unique_ptr<uint8_t, void (*)(void*)>;

// Decodes `path` into `out`; returns why not ("" on success).
std::string decode_file(const std::string& path, int channels, int& w, int& h, StbPixels& out) {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(path);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return what.rfind(path + ": ", 0) == 0 ? what.substr(path.size() + 2) : what;
  }
  if (bytes.empty()) return "empty file";
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return "file too large to decode";
  int file_channels = 0;
  uint8_t* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels, channels);
  if (!data) return std::string("cannot decode image (") + stbi_failure_reason() + ")";
  out = StbPixels(data, stbi_image_free);
  return "";
}

}  // namespace

std::string relative_path(const std::string& path, const std::string& root) {
  if (root.empty()) return path;
  const std::filesystem::path rel = std::filesystem::path(path).lexically_relative(root);
  return rel.empty() ? path : rel.generic_string();
}

int resolve_threads(int threads, size_t work) {
  if (threads < 0) throw std::invalid_argument("LoadOptions::threads must be >= 0, got " + std::to_string(threads));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(work, 1)));
}

FolderScan scan_headers(const std::vector<FolderEntry>& files, const std::string& root, int threads) {
  FolderScan scan;
  scan.probes.resize(files.size());
  scan.reasons.resize(files.size());
  const std::atomic<bool> never{false};
  parallel_for(
      files.size(), resolve_threads(threads, files.size()), [&](size_t i) { scan.probes[i] = probe_file(files[i]); },
      never);
  // The most common size; on a tie the one whose first file comes first.
  std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> sizes;  // (w, h) -> (count, first file)
  for (size_t i = 0; i < files.size(); ++i) {
    const ImageProbe& p = scan.probes[i];
    if (!p.error.empty()) continue;
    ++sizes.try_emplace({p.width, p.height}, 0, static_cast<int64_t>(i)).first->second.first;
  }
  int64_t best = 0;
  for (const auto& [size, seen] : sizes) {
    if (seen.first > best || (seen.first == best && seen.second < scan.reference)) {
      best = seen.first;
      scan.reference = seen.second;
      scan.width = size.first;
      scan.height = size.second;
    }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const ImageProbe& p = scan.probes[i];
    if (!p.error.empty()) {
      scan.reasons[i] = p.error;
    } else if (p.width != scan.width || p.height != scan.height) {
      scan.reasons[i] = "image is " + size_text(p.width, p.height) + " (WxH), but most images in the folder are " +
                        size_text(scan.width, scan.height) + " (e.g. " +
                        relative_path(files[static_cast<size_t>(scan.reference)].path, root) + ")";
    }
  }
  return scan;
}

void decode_kept(const std::vector<FolderEntry>& files, FolderScan& scan, int channels, int threads, bool stop_at_first,
                 const std::function<void(size_t, const uint8_t*)>& keep) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < files.size(); ++i) {
    if (scan.reasons[i].empty()) {
      todo.push_back(i);
    } else if (stop_at_first) {
      break;  // nothing after the first bad file is needed
    }
  }
  std::atomic<bool> stop{false};
  parallel_for(
      todo.size(), resolve_threads(threads, todo.size()),
      [&](size_t k) {
        const size_t i = todo[k];
        StbPixels pixels(nullptr, stbi_image_free);
        int w = 0, h = 0;
        std::string error = decode_file(files[i].path, channels, w, h, pixels);
        if (error.empty() && (w != scan.width || h != scan.height))
          error =
              "decodes to " + size_text(w, h) + " (WxH) though its header says " + size_text(scan.width, scan.height);
        if (error.empty()) {
          if (keep) keep(i, pixels.get());
        } else {
          scan.reasons[i] = std::move(error);
          if (stop_at_first) stop = true;
        }
      },
      stop);
}

std::vector<SkippedFile> bad_files(const std::vector<FolderEntry>& files, const FolderScan& scan) {
  std::vector<SkippedFile> bad;
  for (size_t i = 0; i < files.size(); ++i)
    if (!scan.reasons[i].empty()) bad.push_back({files[i].path, scan.reasons[i]});
  return bad;
}

}  // namespace cyclone::data::detail
