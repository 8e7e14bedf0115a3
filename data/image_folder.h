// Image-folder datasets: DIR/<class>/<file>, one subfolder per class. Labels follow the
// sorted subfolder names and files are taken in sorted name order; decoded with stb_image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_set.h"

namespace cyclone::data {

struct LoadOptions {
  int64_t limit_per_class = 0;  // keep the first N files of each class; 0 keeps all
  int64_t limit = 0;            // then keep N files spread evenly over the listing (spread_indices); 0 keeps all
  int channels = 3;             // decode to this many channels (1 = grey, 3 = RGB, 4 = RGBA)
  int threads = 1;              // decode threads; 0 = one per hardware thread
  // Files that are not readable images (cannot be read or decoded, or are not the size most
  // images of the folder have) are skipped, with one warning line on stderr per load and the
  // list in `skipped`; false makes the first such file (in listing order) an error.
  bool skip_unreadable = true;
};

struct FolderEntry {
  std::string path;      // full path of the image file
  int64_t label = 0;     // index into FolderListing::class_names
  uint64_t bytes = 0;    // file size
  int64_t mtime_ns = 0;  // last modification time, in the file system's clock
};

struct FolderListing {
  std::string root;                      // the folder listed
  std::vector<std::string> class_names;  // sorted subfolder names
  std::vector<FolderEntry> files;        // class by class, each class in file-name order
};

// A listed file that was left out, and why ("cannot decode image (...)", "image is 4x3 ...").
struct SkippedFile {
  std::string path;  // full path, as in FolderEntry
  std::string reason;
};

// Lists the image files (by extension: png, jpg, jpeg, bmp, gif, tga, ppm, pgm, pnm, psd,
// hdr, pic; hidden files are skipped) without decoding them, applying options.limit_per_class
// and then options.limit.
FolderListing list_image_folder(const std::string& dir, const LoadOptions& options = {});

// Decodes every listed file. All images of the result share one size: the size most files
// have (ties: the earlier file's). Other files are skipped as options.skip_unreadable says,
// and listed in `skipped` if given. Throws when no file is left, naming the first few bad
// files. The result does not depend on options.threads.
ImageSet decode_image_folder(const FolderListing& listing, const LoadOptions& options = {},
                             std::vector<SkippedFile>* skipped = nullptr);

// list_image_folder + decode_image_folder.
ImageSet load_image_folder(const std::string& dir, const LoadOptions& options = {},
                           std::vector<SkippedFile>* skipped = nullptr);

// For the DIR/{train,test}/<class>/<file> layout: loads DIR/train or DIR/test.
ImageSet load_image_folder(const std::string& dir, Split split, const LoadOptions& options = {},
                           std::vector<SkippedFile>* skipped = nullptr);

// The warning line for skipped files: the folder, how many of how many, and the first few
// paths (relative to the folder) with their reasons.
std::string skipped_warning(const FolderListing& listing, const std::vector<SkippedFile>& skipped);

}  // namespace cyclone::data
