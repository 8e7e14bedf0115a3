// Tests of the decode cache with unreadable files: the skipped files are remembered.
#include <doctest/doctest.h>

#include <filesystem>

#include "data/decode_cache.h"
#include "data/image_folder.h"
#include "test_data_helpers.h"
#include "test_image_writers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;

namespace {

// root/{a,b,c}: a {0,1,2}, b {0: corrupt, 1, 2}, c {0}; ids are 10 * class + file, 4x4.
void make_folder(const std::string& root) {
    for (int c = 0; c < 3; ++c)
        for (int f = 0; f < (c == 2 ? 1 : 3); ++f)
            write_png(root + "/" + char('a' + c) + "/" + std::to_string(f) + ".png", 10 * c + f, 4, 4);
    write_bytes(root + "/b/0.png", {0x89, 'P', 'N', 'G', 9, 9, 9});
}

}  // namespace

TEST_CASE("decode cache: skipped files are remembered, so a reused cache reports them too") {
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
}
