// Tests for the image-folder loader and the decode cache, on PNGs written here with
// stb_image_write into a temp dir.
#include <doctest/doctest.h>

#include <filesystem>

#include "data/cifar_binary.h"
#include "data/decode_cache.h"
#include "data/image_folder.h"
#include "test_data_helpers.h"
#include "test_image_writers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;

namespace {

// root/<class>/<file>: dog {b(2), a(1)}, ant {z(3)}, cat {c(4), a(5), b(6)}; 5 wide, 3 high.
void make_folder(const std::string& root) {
    write_png(root + "/dog/b.png", 2, 5, 3);
    write_png(root + "/dog/a.png", 1, 5, 3);
    write_png(root + "/ant/z.png", 3, 5, 3);
    write_png(root + "/cat/c.png", 4, 5, 3);
    write_png(root + "/cat/a.png", 5, 5, 3);
    write_png(root + "/cat/b.png", 6, 5, 3);
    write_bytes(root + "/cat/notes.txt", {'h', 'i'});  // not an image: ignored
    write_bytes(root + "/README", {'x'});              // not a class folder: ignored
}

}  // namespace

TEST_CASE("image folder: sorted classes, sorted files, exact CHW pixels") {
    TempDir dir;
    make_folder(dir.str());
    ImageSet set = load_image_folder(dir.str());
    CHECK(set.class_names == std::vector<std::string>{"ant", "cat", "dog"});
    CHECK(set.n == 6);
    CHECK(set.channels == 3);
    CHECK(set.height == 3);
    CHECK(set.width == 5);
    CHECK(set.labels == std::vector<int64_t>{0, 1, 1, 1, 2, 2});
    const int ids[] = {3, 5, 6, 4, 1, 2};  // ant/z, cat/a, cat/b, cat/c, dog/a, dog/b
    bool all_equal = true;
    for (int i = 0; i < 6; ++i)
        for (int k = 0; k < 3; ++k)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 5; ++x)
                    all_equal &= set.image(i)[(k * 3 + y) * 5 + x] == pixel_value(ids[i], k, y, x);
    CHECK(all_equal);
    CHECK(set.image(1)[(2 * 3 + 1) * 5 + 4] == static_cast<uint8_t>(5 * 31 + 100 + 7 + 4));
}

TEST_CASE("image folder: limit per class, grey decoding, thread count does not matter") {
    TempDir dir;
    make_folder(dir.str());
    ImageSet limited = load_image_folder(dir.str(), LoadOptions{.limit_per_class = 1});
    CHECK(limited.n == 3);
    CHECK(limited.labels == std::vector<int64_t>{0, 1, 2});
    CHECK(limited.image(1)[0] == pixel_value(5, 0, 0, 0));  // cat/a.png

    ImageSet one = load_image_folder(dir.str(), LoadOptions{.threads = 1});
    ImageSet three = load_image_folder(dir.str(), LoadOptions{.threads = 3});
    CHECK(one.pixels == three.pixels);
    CHECK(one.labels == three.labels);

    write_png(dir / "grey/g/a.png", 9, 4, 2, 1);
    ImageSet grey = load_image_folder(dir / "grey", LoadOptions{.channels = 1});
    CHECK(grey.channels == 1);
    CHECK(grey.image(0)[1 * 4 + 3] == pixel_value(9, 0, 1, 3));
    ImageSet rgb = load_image_folder(dir / "grey");  // grey file, RGB requested: replicated
    CHECK(rgb.channels == 3);
    CHECK(rgb.image(0)[2 * 8 + 1 * 4 + 3] == pixel_value(9, 0, 1, 3));
}

TEST_CASE("image folder: split argument reads DIR/train or DIR/test") {
    TempDir dir;
    write_png(dir / "train/a/0.png", 1, 4, 4);
    write_png(dir / "train/b/0.png", 2, 4, 4);
    write_png(dir / "test/a/0.png", 3, 4, 4);
    CHECK(load_image_folder(dir.str(), Split::train).n == 2);
    ImageSet test = load_image_folder(dir.str(), Split::test);
    CHECK(test.n == 1);
    CHECK(test.image(0)[0] == pixel_value(3, 0, 0, 0));
}

TEST_CASE("image folder, strict: mismatched sizes and corrupt files are named in the error") {
    TempDir dir;
    make_folder(dir.str());
    write_png(dir / "cat/d.png", 7, 4, 3);
    for (int threads : {1, 4}) {
        const std::string err = error_of(
            [&] { load_image_folder(dir.str(), LoadOptions{.threads = threads, .skip_unreadable = false}); });
        CHECK(contains(err, "cat/d.png"));
        CHECK(contains(err, "4x3"));
        CHECK(contains(err, "5x3"));
        CHECK(contains(err, "ant/z.png"));
    }
    std::filesystem::remove(dir / "cat/d.png");
    write_bytes(dir / "cat/bad.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
    std::string err =
        error_of([&] { load_image_folder(dir.str(), LoadOptions{.threads = 2, .skip_unreadable = false}); });
    CHECK(contains(err, "cat/bad.png"));
    CHECK(contains(err, "decode"));

    CHECK(contains(error_of([&] { load_image_folder(dir / "missing"); }), "missing"));
    std::filesystem::create_directories(dir / "empty/a");
    CHECK(contains(error_of([&] { load_image_folder(dir / "empty"); }), "no image files"));
    CHECK(contains(error_of([&] { load_image_folder(dir.str(), LoadOptions{.channels = 5}); }), "channels"));
}

TEST_CASE("decode cache: built once, then reused; rebuilt when the folder or cache changes") {
    TempDir dir;
    make_folder(dir / "images");
    const std::string cache = dir / "images.cache";
    CacheStatus status{};
    ImageSet built = load_or_build_cache(dir / "images", cache, {}, &status);
    CHECK(status == CacheStatus::built);
    ImageSet reused = load_or_build_cache(dir / "images", cache, {}, &status);
    CHECK(status == CacheStatus::reused);
    CHECK(reused.pixels == built.pixels);
    CHECK(reused.labels == built.labels);
    CHECK(reused.class_names == built.class_names);
    CHECK(reused.height == 3);
    CHECK(reused.width == 5);

    // new options change the fingerprint
    ImageSet grey = load_or_build_cache(dir / "images", cache, LoadOptions{.channels = 1}, &status);
    CHECK(status == CacheStatus::built);
    CHECK(grey.channels == 1);

    // a new file changes the listing
    load_or_build_cache(dir / "images", cache, {}, &status);
    write_png(dir / "images/ant/y.png", 8, 5, 3);
    ImageSet more = load_or_build_cache(dir / "images", cache, {}, &status);
    CHECK(status == CacheStatus::built);
    CHECK(more.n == 7);
    CHECK(more.image(0)[0] == pixel_value(8, 0, 0, 0));

    // a truncated cache is rebuilt, not trusted
    std::filesystem::resize_file(cache, std::filesystem::file_size(cache) - 10);
    uint64_t fingerprint = 0;
    CHECK(contains(error_of([&] { read_cache(cache, fingerprint); }), "truncated"));
    ImageSet again = load_or_build_cache(dir / "images", cache, {}, &status);
    CHECK(status == CacheStatus::built);
    CHECK(again.pixels == more.pixels);

    write_bytes(cache, {'n', 'o', 'p', 'e', 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(contains(error_of([&] { read_cache(cache, fingerprint); }), "magic"));
}

TEST_CASE("decode cache: image folder converted to the CIFAR binary layout") {
    TempDir dir;
    write_png(dir / "f/plane/1.png", 1, 32, 32);
    write_png(dir / "f/ship/1.png", 2, 32, 32);
    convert_image_folder_to_cifar(dir / "f", dir / "out.bin");
    const auto bytes = read_bytes(dir / "out.bin");
    REQUIRE(bytes.size() == 2 * 3073);
    CHECK(bytes[0] == 0);
    CHECK(bytes[3073] == 1);
    CHECK(bytes[3073 + 1 + 1024 + 5 * 32 + 6] == pixel_value(2, 1, 5, 6));  // ship, G plane, y=5, x=6
    ImageSet back = load_cifar10_file(dir / "out.bin", {"plane", "ship"});
    CHECK(back.image(0)[2 * 1024 + 31 * 32 + 31] == pixel_value(1, 2, 31, 31));
    write_png(dir / "small/a/1.png", 1, 5, 3);
    const std::string err = error_of([&] { convert_image_folder_to_cifar(dir / "small", dir / "x.bin"); });
    CHECK(contains(err, "x.bin"));
    CHECK(contains(err, "3x3x5"));
}
