// Tests of the shared decode cache: where it lives (environment, XDG, HOME), one file per
// folder and selection, subsets decoded and cached alone, staleness by modification time,
// skipped files remembered, and a cache that cannot be written.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "data/decode_cache.h"
#include "data/image_folder.h"
#include "test_data_helpers.h"
#include "test_image_writers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;
namespace fs = std::filesystem;

namespace {

// Sets (or, with nullopt, unsets) environment variables, restoring them on destruction.
class EnvGuard {
public:
    void set(const char* name, std::optional<std::string> value) {
        const char* old = std::getenv(name);
        saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
        if (value) {
            setenv(name, value->c_str(), 1);
        } else {
            unsetenv(name);
        }
    }
    ~EnvGuard() {
        for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
            if (it->second) {
                setenv(it->first.c_str(), it->second->c_str(), 1);
            } else {
                unsetenv(it->first.c_str());
            }
        }
    }

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// root/{a,b,c}: a {0,1,2}, b {0: corrupt, 1, 2}, c {0}; ids are 10 * class + file, 4x4.
void make_folder(const std::string& root) {
    for (int c = 0; c < 3; ++c)
        for (int f = 0; f < (c == 2 ? 1 : 3); ++f)
            write_png(root + "/" + char('a' + c) + "/" + std::to_string(f) + ".png", 10 * c + f, 4, 4);
    write_bytes(root + "/b/0.png", {0x89, 'P', 'N', 'G', 9, 9, 9});
}

}  // namespace

TEST_CASE("decode cache: the cache folder comes from CYCLONE_CACHE_DIR, XDG_CACHE_HOME or HOME") {
    EnvGuard env;
    env.set("CYCLONE_CACHE_DIR", "/tmp/c1");
    env.set("XDG_CACHE_HOME", "/tmp/xdg");
    env.set("HOME", "/tmp/home");
    CHECK(default_cache_dir() == "/tmp/c1");
    env.set("CYCLONE_CACHE_DIR", "");  // empty counts as unset
    CHECK(default_cache_dir() == "/tmp/xdg/cyclone");
    env.set("XDG_CACHE_HOME", "relative/xdg");  // the XDG spec ignores relative paths
    CHECK(default_cache_dir() == "/tmp/home/.cache/cyclone");
    env.set("XDG_CACHE_HOME", std::nullopt);
    CHECK(default_cache_dir() == "/tmp/home/.cache/cyclone");
    env.set("HOME", std::nullopt);
    CHECK(default_cache_dir().empty());
}

TEST_CASE("decode cache: one file per folder and selection, whatever the folder's spelling") {
    TempDir dir;
    make_folder(dir / "images");
    const std::string all = cache_path_for("/caches", dir / "images", {});
    CHECK(fs::path(all).parent_path() == "/caches");
    const std::string name = fs::path(all).filename().string();
    CHECK(name.rfind(fs::path(dir.str()).filename().string() + "_images-", 0) == 0);
    CHECK(name.ends_with(".bin"));
    CHECK(cache_path_for("/caches", dir.str() + "/./images/", {}) == all);
    const std::string subset = cache_path_for("/caches", dir / "images", LoadOptions{.limit = 3});
    CHECK(contains(subset, "_images-limit3-"));
    CHECK(subset != all);
    CHECK(cache_path_for("/caches", dir / "images", LoadOptions{.limit = 4}) != subset);
    CHECK(cache_path_for("/caches", dir / "images", LoadOptions{.channels = 1}) != all);
    CHECK(cache_path_for("/caches", dir / "other", {}) != all);
}

TEST_CASE("decode cache: a subset is chosen from the listing, and only it is decoded and cached") {
    TempDir dir;
    make_folder(dir / "images");
    // 7 files; 3 spread evenly are files 0, 2 and 4 (i * 7 / 3): a/0, a/2, b/1. The corrupt b/0 is not among them.
    const FolderListing listing = list_image_folder(dir / "images", LoadOptions{.limit = 3});
    REQUIRE(listing.files.size() == 3);
    CHECK(fs::path(listing.files[2].path).lexically_relative(dir / "images") == "b/1.png");
    const std::string cache = cache_path_for(dir / "cache", dir / "images", LoadOptions{.limit = 3});
    CacheStatus status{};
    std::vector<SkippedFile> skipped{{"x", "y"}};
    ImageSet set = load_or_build_cache(dir / "images", cache, LoadOptions{.limit = 3}, &status, &skipped);
    CHECK(status == CacheStatus::built);  // the cache folder was created
    CHECK(skipped.empty());               // b/0 was never decoded
    CHECK(set.n == 3);
    CHECK(set.labels == std::vector<int64_t>{0, 0, 1});
    CHECK(set.image(1)[0] == pixel_value(2, 0, 0, 0));
    CHECK(set.image(2)[0] == pixel_value(11, 0, 0, 0));
    const CacheHeader header = read_cache_header(cache);
    CHECK(header.n == 3);
    CHECK(fs::file_size(cache) == header.data_offset + 3 * (1 + 3 * 4 * 4));
    ImageSet again = load_or_build_cache(dir / "images", cache, LoadOptions{.limit = 3}, &status);
    CHECK(status == CacheStatus::reused);
    CHECK(again.pixels == set.pixels);
}

TEST_CASE("decode cache: skipped files are remembered, and a file touched in place rebuilds it") {
    TempDir dir;
    make_folder(dir / "images");
    const std::string cache = dir / "cache.bin";
    CacheStatus status{};
    std::vector<SkippedFile> skipped;
    ImageSet built = load_or_build_cache(dir / "images", cache, {}, &status, &skipped);
    CHECK(status == CacheStatus::built);
    CHECK(built.n == 6);
    REQUIRE(skipped.size() == 1);
    const SkippedFile bad = skipped[0];
    CHECK(bad.path == dir / "images/b/0.png");
    skipped.clear();
    ImageSet reused = load_or_build_cache(dir / "images", cache, {}, &status, &skipped);
    CHECK(status == CacheStatus::reused);
    CHECK(reused.labels == built.labels);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].path == bad.path);
    CHECK(skipped[0].reason == bad.reason);
    CHECK(contains(error_of([&] { load_or_build_cache(dir / "images", cache, LoadOptions{.skip_unreadable = false}); }),
                   "b/0.png: cannot decode image"));

    // Same size, same name, new modification time: the cache is stale.
    const std::string file = dir / "images/a/1.png";
    fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(10));
    load_or_build_cache(dir / "images", cache, {}, &status);
    CHECK(status == CacheStatus::built);
}

TEST_CASE("decode cache: a cache that cannot be written is a warning, and the folder still loads") {
    TempDir dir;
    make_folder(dir / "images");
    write_bytes(dir / "blocker", {'x'});  // a file where the cache folder should be
    CacheStatus status{};
    ImageSet set = load_or_build_cache(dir / "images", dir / "blocker/cache/c.bin", {}, &status);
    CHECK(status == CacheStatus::unsaved);
    CHECK(set.n == 6);
    CHECK(read_bytes(dir / "blocker") == std::vector<uint8_t>{'x'});
}
