// cyclone verify folder:DIR: checks every image of an image folder (each split of a parent
// of train/ and test/) and lists the files that training would skip. Modifies nothing.
// Exit status: 0 all files are readable images, 3 some are not (the check ran and found them;
// 2 is a bad command line), 1 the folder cannot be read.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "data/verify_images.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The folders `verify` checks: DIR/train and DIR/test where they exist, else DIR itself.
std::vector<std::string> folders_of(const std::string& dir) {
  std::vector<std::string> folders;
  for (const char* split : {"train", "test"})
    if (fs::is_directory(fs::path(dir) / split)) folders.push_back((fs::path(dir) / split).string());
  if (folders.empty()) folders.push_back(dir);
  return folders;
}

// "3 channels" or "3 channels (4990 files), 1 channel (10 files)".
std::string channels_text(const std::map<int, int64_t>& counts) {
  std::string text;
  for (const auto& [channels, files] : counts) {
    text += (text.empty() ? "" : ", ") + std::to_string(channels) + (channels == 1 ? " channel" : " channels");
    if (counts.size() > 1) text += " (" + std::to_string(files) + " files)";
  }
  return text;
}

}  // namespace

Runner add_verify(CLI::App& app) {
  auto* sub = app.add_subcommand("verify",
                                 "Check that every file of an image folder is a readable image of one size "
                                 "(exit 0: all are, 3: some are not); modifies nothing");
  struct Args {
    std::string spec;
    int threads = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  sub->add_option("SPEC", a->spec, "folder:DIR (an image folder, or the parent of train/ and test/)")->required();
  sub->add_option("--threads", a->threads, "Decode threads (0: all cores)")->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", a->json, "Print one JSON object of the results as the last line");
  return [a] {
    if (a->spec.rfind("folder:", 0) != 0 || a->spec.size() == 7)
      throw std::invalid_argument("verify " + a->spec + ": expected folder:DIR");
    const std::string dir = a->spec.substr(7);
    if (!fs::is_directory(dir)) throw std::runtime_error(a->spec + ": not a directory");
    data::LoadOptions o;
    o.threads = a->threads;
    json folders = json::array(), bad = json::array();
    int64_t checked = 0;
    for (const std::string& folder : folders_of(dir)) {
      const data::VerifyReport r = data::verify_images(folder, o);
      for (const data::SkippedFile& f : r.bad) {
        std::printf("%s: %s\n", f.path.c_str(), f.reason.c_str());
        bad.push_back({{"path", f.path}, {"reason", f.reason}});
      }
      const int64_t good = r.checked - static_cast<int64_t>(r.bad.size());
      if (r.bad.empty()) {
        std::printf("folder:%s: all %lld files are readable %dx%d images, %s\n", folder.c_str(),
                    static_cast<long long>(r.checked), r.width, r.height, channels_text(r.file_channels).c_str());
      } else {
        std::printf("folder:%s: %zu of %lld files are not readable images (loading skips them)", folder.c_str(),
                    r.bad.size(), static_cast<long long>(r.checked));
        if (good > 0)
          std::printf("; the other %lld are %dx%d, %s", static_cast<long long>(good), r.width, r.height,
                      channels_text(r.file_channels).c_str());
        std::printf("\n");
      }
      checked += r.checked;
      folders.push_back({{"folder", folder},
                         {"checked", r.checked},
                         {"bad", r.bad.size()},
                         {"width", r.width},
                         {"height", r.height}});
    }
    if (a->json) {
      std::cout << json{{"command", "verify"},     {"data", a->spec}, {"ok", bad.empty()}, {"checked", checked},
                        {"bad_count", bad.size()}, {"bad", bad},      {"folders", folders}}
                       .dump()
                << std::endl;
    }
    return bad.empty() ? 0 : 3;
  };
}

}  // namespace cyclone::cli
