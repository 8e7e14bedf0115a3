// verify_images: checks every file of an image folder, as fastai's verify_images does, and
// lists the files that loading would skip, with the reasons. Nothing is modified.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/image_folder.h"

namespace cyclone::data {

struct VerifyReport {
  std::string folder;
  int64_t checked = 0;        // files listed and checked
  int width = 0, height = 0;  // the size most images have (0 when none is readable)
  std::map<int, int64_t>
      file_channels;             // channels stored in the good files -> how many (all decode to options.channels)
  std::vector<SkippedFile> bad;  // in listing order: exactly the files load_image_folder skips
};

// Lists `dir` with `options` (limits apply) and decodes every file, keeping no pixels.
// Throws only when the folder cannot be listed (missing, no classes, no image files).
VerifyReport verify_images(const std::string& dir, const LoadOptions& options = {});

}  // namespace cyclone::data
