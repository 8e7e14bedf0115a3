// verify_images: the header and decode checks of image_scan, with nothing kept.
#include "data/verify_images.h"

#include <stdexcept>

#include "data/image_scan.h"

namespace cyclone::data {

VerifyReport verify_images(const std::string& dir, const LoadOptions& options) {
  if (options.channels < 1 || options.channels > 4)
    throw std::invalid_argument("LoadOptions::channels must be 1..4, got " + std::to_string(options.channels));
  const FolderListing listing = list_image_folder(dir, options);
  detail::FolderScan scan = detail::scan_headers(listing.files, listing.root, options.threads);
  detail::decode_kept(listing.files, scan, options.channels, options.threads, /*stop_at_first=*/false, {});
  VerifyReport report;
  report.folder = dir;
  report.checked = static_cast<int64_t>(listing.files.size());
  report.bad = detail::bad_files(listing.files, scan);
  if (report.bad.size() < listing.files.size()) {
    report.width = scan.width;
    report.height = scan.height;
  }
  for (size_t i = 0; i < listing.files.size(); ++i)
    if (scan.reasons[i].empty()) ++report.file_channels[scan.probes[i].channels];
  return report;
}

}  // namespace cyclone::data
