// Tests that unreadable images never abort a load: a corrupt JPEG, truncated files and an
// odd-sized image are skipped with one warning line and reported, the labels of the rest
// stay right, strict mode still fails, and verify_images lists exactly those files.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "data/image_folder.h"
#include "data/verify_images.h"
#include "test_data_helpers.h"
#include "test_image_writers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;
namespace fs = std::filesystem;

namespace {

// Everything written to stderr (file descriptor 2) while f() runs.
template <class F>
std::string stderr_of(F&& f) {
    char name[] = "/tmp/cyclone_stderr_XXXXXX";
    const int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    std::fflush(stderr);
    const int saved = dup(2);
    dup2(fd, 2);
    auto restore = [&] {
        std::fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(fd);
    };
    try {
        f();
    } catch (...) {
        restore();
        unlink(name);
        throw;
    }
    restore();
    const std::vector<uint8_t> bytes = read_bytes(name);
    unlink(name);
    return std::string(bytes.begin(), bytes.end());
}

// A good file cut to `keep` of its length.
void truncate_to(const std::string& path, double keep) {
    fs::resize_file(path, static_cast<uintmax_t>(static_cast<double>(fs::file_size(path)) * keep));
}

// root/<class>/<file>, 8 wide and 6 high: ant {a.jpg (1), b.jpg: corrupt}, bee {a.png (2),
// b.png: truncated}, cat {a.png (3), b.png (4)}.
void make_damaged_folder(const std::string& root) {
    write_jpg(root + "/ant/a.jpg", 1, 8, 6);
    write_bytes(root + "/ant/b.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0,
                                      0, 0xFF, 0xDB, 0x13, 0x37});
    write_png(root + "/bee/a.png", 2, 8, 6);
    write_png(root + "/bee/b.png", 5, 8, 6);
    truncate_to(root + "/bee/b.png", 0.6);
    write_png(root + "/cat/a.png", 3, 8, 6);
    write_png(root + "/cat/b.png", 4, 8, 6);
}

bool same_pixels(const ImageSet& set, int64_t i, int id) {
    for (int k = 0; k < 3; ++k)
        for (int y = 0; y < 6; ++y)
            for (int x = 0; x < 8; ++x)
                if (set.image(i)[(k * 6 + y) * 8 + x] != pixel_value(id, k, y, x)) return false;
    return true;
}

std::vector<std::string> relative_paths(const std::vector<SkippedFile>& files, const std::string& root) {
    std::vector<std::string> out;
    for (const SkippedFile& f : files) out.push_back(fs::path(f.path).lexically_relative(root).generic_string());
    return out;
}

}  // namespace

TEST_CASE("image folder: a corrupt JPEG and a truncated PNG are skipped, the rest keep their labels") {
    TempDir dir;
    make_damaged_folder(dir / "img");
    for (int threads : {1, 3}) {
        std::vector<SkippedFile> skipped;
        ImageSet set;
        const std::string err = stderr_of([&] {
            set = load_image_folder(dir / "img", LoadOptions{.threads = threads}, &skipped);
        });
        CHECK(set.n == 4);
        CHECK(set.labels == std::vector<int64_t>{0, 1, 2, 2});  // ant/a, bee/a, cat/a, cat/b
        CHECK(set.height == 6);
        CHECK(set.width == 8);
        CHECK(same_pixels(set, 1, 2));
        CHECK(same_pixels(set, 2, 3));
        CHECK(same_pixels(set, 3, 4));
        CHECK(std::abs(int(set.image(0)[0]) - int(pixel_value(1, 0, 0, 0))) < 12);  // the JPEG, lossy
        CHECK(relative_paths(skipped, dir / "img") == std::vector<std::string>{"ant/b.jpg", "bee/b.png"});
        REQUIRE(skipped.size() == 2);
        CHECK(contains(skipped[0].reason, "cannot decode image"));
        CHECK(contains(skipped[1].reason, "cannot decode image"));
        // One warning line: the folder, the counts, the paths and why.
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
        CHECK(contains(err, "warning: " + (dir / "img") + ": skipped 2 of 6 files that are not readable images: "));
        CHECK(contains(err, "ant/b.jpg (cannot decode image ("));
        CHECK(contains(err, "bee/b.png (cannot decode image ("));
    }
    // Strict mode: the first bad file in listing order is the error, whatever the threads.
    for (int threads : {1, 4}) {
        const std::string err = error_of(
            [&] { load_image_folder(dir / "img", LoadOptions{.threads = threads, .skip_unreadable = false}); });
        CHECK(contains(err, "ant/b.jpg: cannot decode image"));
    }
}

TEST_CASE("image folder: the size most images have wins, even over the first file's") {
    TempDir dir;
    write_png(dir / "a/0.png", 9, 4, 4);  // first in the listing, but the odd one out
    write_png(dir / "a/1.png", 1, 8, 6);
    write_png(dir / "b/0.png", 2, 8, 6);
    write_jpg(dir / "b/1.jpg", 3, 8, 6);
    truncate_to(dir / "b/1.jpg", 0.7);  // a download cut short
    write_png(dir / "b/2.png", 4, 8, 6);
    std::vector<SkippedFile> skipped;
    ImageSet set;
    stderr_of([&] { set = load_image_folder(dir.str(), {}, &skipped); });
    CHECK(set.n == 3);
    CHECK(set.labels == std::vector<int64_t>{0, 1, 1});
    CHECK(same_pixels(set, 0, 1));
    CHECK(same_pixels(set, 2, 4));
    CHECK(relative_paths(skipped, dir.str()) == std::vector<std::string>{"a/0.png", "b/1.jpg"});
    REQUIRE(skipped.size() == 2);
    CHECK(contains(skipped[0].reason, "image is 4x4 (WxH), but most images in the folder are 8x6 (e.g. a/1.png)"));
    CHECK(contains(skipped[1].reason, "cannot decode image"));
    const std::string err = error_of([&] { load_image_folder(dir.str(), LoadOptions{.skip_unreadable = false}); });
    CHECK(contains(err, "a/0.png: image is 4x4"));
}

TEST_CASE("image folder: a folder where every file is bad is still an error naming them") {
    TempDir dir;
    write_bytes(dir / "a/x.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
    write_bytes(dir / "b/y.jpg", {});
    const std::string err = error_of([&] { load_image_folder(dir.str()); });
    CHECK(contains(err, "none of the 2 files is a readable image"));
    CHECK(contains(err, "a/x.png (cannot decode image"));
    CHECK(contains(err, "b/y.jpg (empty file)"));
}

TEST_CASE("verify_images: lists exactly the files loading skips, and the channels the others store") {
    TempDir dir;
    make_damaged_folder(dir / "img");
    write_png(dir / "img/cat/c.png", 6, 8, 6, 1);  // grey: fine, decoded to RGB
    write_png(dir / "img/cat/d.png", 7, 5, 6);     // odd size
    const VerifyReport report = verify_images(dir / "img", LoadOptions{.threads = 2});
    CHECK(report.checked == 8);
    CHECK(report.width == 8);
    CHECK(report.height == 6);
    CHECK(relative_paths(report.bad, dir / "img") == std::vector<std::string>{"ant/b.jpg", "bee/b.png", "cat/d.png"});
    CHECK(report.file_channels == std::map<int, int64_t>{{1, 1}, {3, 4}});
    std::vector<SkippedFile> skipped;
    stderr_of([&] { load_image_folder(dir / "img", {}, &skipped); });
    REQUIRE(skipped.size() == report.bad.size());
    for (size_t i = 0; i < skipped.size(); ++i) {
        CHECK(skipped[i].path == report.bad[i].path);
        CHECK(skipped[i].reason == report.bad[i].reason);
    }

    fs::remove(dir / "img/ant/b.jpg");
    fs::remove(dir / "img/bee/b.png");
    fs::remove(dir / "img/cat/d.png");
    CHECK(verify_images(dir / "img").bad.empty());
    CHECK(contains(error_of([&] { verify_images(dir / "missing"); }), "missing"));
}
