// Decode cache for image folders: decode once, store the pixels as CIFAR-style records
// behind a validated header, and reuse that file while the folder listing is unchanged.
// One cache file per folder and selection, shared by every run, in a per-user cache folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_folder.h"
#include "data/image_set.h"

namespace cyclone::data {

// reused: read from the cache; built: decoded and saved; unsaved: decoded, but the cache
// could not be written (one warning line on stderr says why).
enum class CacheStatus { reused, built, unsaved };

// Hash of what the cache depends on: every listed file's path relative to the folder, its
// size and modification time, the class names, and the options that select files or change
// the decoded pixels.
uint64_t folder_fingerprint(const FolderListing& listing, const std::string& folder, const LoadOptions& options);

// Decodes `folder` (an image folder) and converts it to one CIFAR binary file
// (requires 3x32x32 images).
void convert_image_folder_to_cifar(const std::string& folder, const std::string& out_path,
                                   const LoadOptions& options = {});

// Loads the cache at cache_path if its header (magic, version, n/c/h/w, class names,
// fingerprint) matches `folder` and its length is right; otherwise decodes the folder (as
// load_image_folder does, skipping unreadable files) and rewrites the cache atomically,
// creating its folder. A cache that cannot be written is a warning, not an error. The
// cache remembers the skipped files, so a reused cache warns and fills `skipped` as
// decoding did. `status`, if given, says which happened.
ImageSet load_or_build_cache(const std::string& folder, const std::string& cache_path, const LoadOptions& options = {},
                             CacheStatus* status = nullptr, std::vector<SkippedFile>* skipped = nullptr);

// The per-user cache folder: $CYCLONE_CACHE_DIR, else $XDG_CACHE_HOME/cyclone (when that is
// an absolute path), else $HOME/.cache/cyclone; empty when none of these is set.
std::string default_cache_dir();

// The cache file for `folder` loaded with `options`, in cache_dir: named after the folder
// (its parent and its own name), the selection (limit, limit_per_class, channels) and a
// hash of the folder's absolute path and those options, e.g.
// cache_dir/cifar10-jpg_train-limit1000-0123456789abcdef.bin.
std::string cache_path_for(const std::string& cache_dir, const std::string& folder, const LoadOptions& options);

// The cache file's header: everything but the pixel records and the skipped-file list.
struct CacheHeader {
  uint64_t fingerprint = 0;
  int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<std::string> class_names;
  uint64_t skipped_count = 0, skipped_bytes = 0;  // the list after the records
  uint64_t data_offset = 0;                       // where the records start
};

// The cache file format, for tools and tests. The readers throw std::runtime_error naming
// the file if anything does not check out (magic, version, shape, length, labels). The
// skipped files are stored with paths relative to the folder.
void write_cache(const ImageSet& set, uint64_t fingerprint, const std::string& path,
                 const std::vector<SkippedFile>& skipped = {});
CacheHeader read_cache_header(const std::string& path);
ImageSet read_cache_body(const std::string& path, const CacheHeader& header);
std::vector<SkippedFile> read_cache_skipped(const std::string& path, const CacheHeader& header);
ImageSet read_cache(const std::string& path, uint64_t& fingerprint);

}  // namespace cyclone::data
