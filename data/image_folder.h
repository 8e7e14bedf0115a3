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
  int channels = 3;             // decode to this many channels (1 = grey, 3 = RGB, 4 = RGBA)
  int threads = 1;              // decode threads; 0 = one per hardware thread
};

struct FolderEntry {
  std::string path;    // full path of the image file
  int64_t label = 0;   // index into FolderListing::class_names
  uint64_t bytes = 0;  // file size
};

struct FolderListing {
  std::vector<std::string> class_names;  // sorted subfolder names
  std::vector<FolderEntry> files;        // class by class, each class in file-name order
};

// Lists the image files (by extension: png, jpg, jpeg, bmp, gif, tga, ppm, pgm, pnm, psd,
// hdr, pic; hidden files are skipped) without decoding them.
FolderListing list_image_folder(const std::string& dir, int64_t limit_per_class = 0);

// Decodes every listed file. All images must share one size, else the error names the
// first odd file and both sizes. The result does not depend on options.threads.
ImageSet decode_image_folder(const FolderListing& listing, const LoadOptions& options = {});

// list_image_folder + decode_image_folder.
ImageSet load_image_folder(const std::string& dir, const LoadOptions& options = {});

// For the DIR/{train,test}/<class>/<file> layout: loads DIR/train or DIR/test.
ImageSet load_image_folder(const std::string& dir, Split split, const LoadOptions& options = {});

}  // namespace cyclone::data
