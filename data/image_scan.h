// Internal to data/: the per-file checks that decide which files of an image folder are
// readable images, shared by decode_image_folder and verify_images.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/image_folder.h"

namespace cyclone::data::detail {

// What an image file's header says, or why it could not be read.
struct ImageProbe {
  int width = 0, height = 0, channels = 0;  // channels stored in the file
  std::string error;                        // empty when the header was read
};

// The plan for a folder: every file's header, the size the images must share (the most
// common one; ties: the earlier file's), and for each file why it is left out ("" if not).
struct FolderScan {
  std::vector<ImageProbe> probes;
  std::vector<std::string> reasons;
  int width = 0, height = 0;
  int64_t reference = -1;  // the first file of that size; -1 when no header could be read
};

// Reads every file's header (in parallel) and fills the plan's size and the reasons of the
// files whose header is unreadable or whose size differs.
FolderScan scan_headers(const std::vector<FolderEntry>& files, const std::string& root, int threads);

// Decodes the files the plan keeps, in parallel, and hands each one's HWC pixels (with
// `channels` channels) to keep(i, pixels) (called from several threads; may be empty).
// Files that fail to decode get their reason in scan.reasons. With stop_at_first, decoding
// stops at the first bad file: files after it are not decoded and have no reason.
void decode_kept(const std::vector<FolderEntry>& files, FolderScan& scan, int channels, int threads, bool stop_at_first,
                 const std::function<void(size_t, const uint8_t*)>& keep);

// The files with a reason, in listing order.
std::vector<SkippedFile> bad_files(const std::vector<FolderEntry>& files, const FolderScan& scan);

// `path` relative to `root`, for messages.
std::string relative_path(const std::string& path, const std::string& root);

// LoadOptions::threads resolved for `work` items (0: one per hardware thread).
int resolve_threads(int threads, size_t work);

}  // namespace cyclone::data::detail
