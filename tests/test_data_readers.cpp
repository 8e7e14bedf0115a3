// Tests for the CIFAR-10 binary and IDX readers/writers, on small files built here,
// plus the real Fashion-MNIST from Debian's dataset-fashion-mnist when installed.
#include <doctest/doctest.h>

#include <filesystem>
#include <numeric>

#include "data/cifar_binary.h"
#include "data/idx.h"
#include "test_data_helpers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;

namespace {

// One CIFAR record whose pixel at (c, y, x) is (seed + 7c + 3y + x) mod 256.
std::vector<uint8_t> cifar_record(uint8_t label, int seed) {
    std::vector<uint8_t> r{label};
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x) r.push_back(static_cast<uint8_t>(seed + 7 * c + 3 * y + x));
    return r;
}

std::vector<uint8_t> cifar_file(const std::vector<std::pair<uint8_t, int>>& records) {
    std::vector<uint8_t> bytes;
    for (auto [label, seed] : records) {
        auto r = cifar_record(label, seed);
        bytes.insert(bytes.end(), r.begin(), r.end());
    }
    return bytes;
}

std::vector<uint8_t> idx_images(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols) {
    std::vector<uint8_t> b;
    put_u32_be(b, magic);
    put_u32_be(b, n);
    put_u32_be(b, rows);
    put_u32_be(b, cols);
    for (uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(static_cast<uint8_t>(10 * i + 1));
    return b;
}

std::vector<uint8_t> idx_labels(uint32_t magic, const std::vector<uint8_t>& labels) {
    std::vector<uint8_t> b;
    put_u32_be(b, magic);
    put_u32_be(b, static_cast<uint32_t>(labels.size()));
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

}  // namespace

TEST_CASE("cifar10 binary: train batches are read in order with R,G,B planes") {
    TempDir dir;
    for (int b = 1; b <= 5; ++b)  // batch b holds b records
    {
        std::vector<std::pair<uint8_t, int>> recs;
        for (int i = 0; i < b; ++i) recs.push_back({static_cast<uint8_t>((b + i) % 10), 10 * b + i});
        write_bytes(dir / ("data_batch_" + std::to_string(b) + ".bin"), cifar_file(recs));
    }
    write_bytes(dir / "test_batch.bin", cifar_file({{3, 99}, {9, 5}}));

    ImageSet train = load_cifar10_binary(dir.str(), Split::train);
    CHECK(train.n == 15);
    CHECK(train.channels == 3);
    CHECK(train.height == 32);
    CHECK(train.width == 32);
    CHECK(train.class_names == cifar10_class_names());
    CHECK(train.class_names[0] == "airplane");
    CHECK(train.class_names[9] == "truck");
    // image 1 is batch 2's first record: label (2+0)%10 = 2, seed 20
    CHECK(train.labels[1] == 2);
    CHECK(train.image(1)[0] == 20);
    // G plane, y=2, x=3: 20 + 7 + 6 + 3
    CHECK(train.image(1)[1024 + 2 * 32 + 3] == 36);
    // last image: batch 5 record 4: label 9, seed 54; B plane y=31 x=31 -> (54+14+93+31)%256
    CHECK(train.labels[14] == 9);
    CHECK(train.image(14)[3071] == static_cast<uint8_t>(54 + 14 + 93 + 31));

    ImageSet test = load_cifar10_binary(dir.str(), Split::test);
    CHECK(test.n == 2);
    CHECK(test.labels == std::vector<int64_t>{3, 9});
    CHECK(test.image(0)[5] == 104);
}

TEST_CASE("cifar10 binary: class names from batches.meta.txt") {
    TempDir dir;
    write_bytes(dir / "test_batch.bin", cifar_file({{2, 0}}));
    write_bytes(dir / "batches.meta.txt", {'a', '\n', 'b', '\r', '\n', 'c', '\n', '\n', '\n'});
    ImageSet test = load_cifar10_binary(dir.str(), Split::test);
    CHECK(test.class_names == std::vector<std::string>{"a", "b", "c"});
    write_bytes(dir / "test_batch.bin", cifar_file({{3, 0}}));  // label 3 with only 3 classes
    const std::string err = error_of([&] { load_cifar10_binary(dir.str(), Split::test); });
    CHECK(contains(err, "test_batch.bin"));
    CHECK(contains(err, "label 3"));
}

TEST_CASE("cifar10 binary: truncated, missing and empty files give errors naming the file") {
    TempDir dir;
    auto bytes = cifar_file({{1, 0}, {2, 1}});
    bytes.resize(bytes.size() - 100);
    write_bytes(dir / "test_batch.bin", bytes);
    std::string err = error_of([&] { load_cifar10_binary(dir.str(), Split::test); });
    CHECK(contains(err, "test_batch.bin"));
    CHECK(contains(err, "3073"));

    write_bytes(dir / "test_batch.bin", {});
    CHECK(contains(error_of([&] { load_cifar10_binary(dir.str(), Split::test); }), "test_batch.bin"));

    write_bytes(dir / "data_batch_1.bin", cifar_file({{1, 0}}));
    err = error_of([&] { load_cifar10_binary(dir.str(), Split::train); });
    CHECK(contains(err, "data_batch_2.bin"));
    CHECK(contains(err, "missing"));

    CHECK(contains(error_of([&] { load_cifar10_binary(dir / "nowhere", Split::train); }), "nowhere"));
}

TEST_CASE("cifar10 binary: save writes the exact record bytes, atomically") {
    TempDir dir;
    const auto expected = cifar_file({{4, 17}, {0, 200}, {9, 3}});
    write_bytes(dir / "in.bin", expected);
    ImageSet set = load_cifar10_file(dir / "in.bin", cifar10_class_names());
    save_cifar10_binary(set, dir / "out.bin");
    CHECK(read_bytes(dir / "out.bin") == expected);
    int files = 0;
    for (auto& e : std::filesystem::directory_iterator(dir.str())) files += e.is_regular_file();
    CHECK(files == 2);  // no temp file left behind

    ImageSet wrong = set;
    wrong.channels = 1;
    wrong.pixels.resize(3 * 1024);
    const std::string err = error_of([&] { save_cifar10_binary(wrong, dir / "bad.bin"); });
    CHECK(contains(err, "bad.bin"));
    CHECK(contains(err, "3x32x32"));
    CHECK_FALSE(std::filesystem::exists(dir / "bad.bin"));

    ImageSet inconsistent = set;
    inconsistent.labels.pop_back();
    CHECK(contains(error_of([&] { save_cifar10_binary(inconsistent, dir / "x.bin"); }), "labels"));
}

TEST_CASE("idx: plain and gzipped files give the same images and labels") {
    TempDir dir;
    write_bytes(dir / "img", idx_images(2051, 3, 2, 4));
    write_bytes(dir / "lab", idx_labels(2049, {7, 0, 2}));
    write_gzip(dir / "img.gz", idx_images(2051, 3, 2, 4));
    write_gzip(dir / "lab.gz", idx_labels(2049, {7, 0, 2}));
    for (auto [img, lab] : {std::pair{"img", "lab"}, std::pair{"img.gz", "lab.gz"}}) {
        ImageSet set = load_idx(dir / img, dir / lab);
        CHECK(set.n == 3);
        CHECK(set.channels == 1);
        CHECK(set.height == 2);
        CHECK(set.width == 4);
        CHECK(set.labels == std::vector<int64_t>{7, 0, 2});
        CHECK(set.class_names.size() == 8);
        CHECK(set.class_names[7] == "7");
        CHECK(set.image(1)[0] == 81);  // byte 8 -> 10*8+1
        CHECK(set.pixels.back() == static_cast<uint8_t>(10 * 23 + 1));
    }
}

TEST_CASE("idx: bad magic, count mismatch, truncation and trailing bytes are reported") {
    TempDir dir;
    write_bytes(dir / "lab", idx_labels(2049, {1, 2, 3}));
    write_bytes(dir / "magic", idx_images(2049, 3, 2, 2));
    std::string err = error_of([&] { load_idx(dir / "magic", dir / "lab"); });
    CHECK(contains(err, "magic"));
    CHECK(contains(err, "2051"));
    CHECK(contains(err, dir / "magic"));

    write_bytes(dir / "img4", idx_images(2051, 4, 2, 2));
    err = error_of([&] { load_idx(dir / "img4", dir / "lab"); });
    CHECK(contains(err, "3 labels"));
    CHECK(contains(err, "4 images"));

    auto truncated = idx_images(2051, 3, 2, 2);
    truncated.pop_back();
    write_bytes(dir / "trunc", truncated);
    err = error_of([&] { load_idx(dir / "trunc", dir / "lab"); });
    CHECK(contains(err, dir / "trunc"));
    CHECK(contains(err, "truncated"));

    auto longer = idx_images(2051, 3, 2, 2);
    longer.push_back(0);
    write_bytes(dir / "long", longer);
    CHECK(contains(error_of([&] { load_idx(dir / "long", dir / "lab"); }), "trailing"));

    write_bytes(dir / "tiny", {0, 0, 8});
    CHECK(contains(error_of([&] { load_idx(dir / "tiny", dir / "lab"); }), "truncated"));

    // a gzip stream cut in the middle
    write_gzip(dir / "img.gz", idx_images(2051, 300, 20, 20));
    auto gz = read_bytes(dir / "img.gz");
    gz.resize(gz.size() / 2);
    write_bytes(dir / "cut.gz", gz);
    err = error_of([&] { load_idx(dir / "cut.gz", dir / "lab"); });
    CHECK(contains(err, "cut.gz"));

    // huge dimensions in the header must not allocate or overflow
    std::vector<uint8_t> huge;
    for (uint32_t v : {2051u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}) put_u32_be(huge, v);
    write_bytes(dir / "huge", huge);
    CHECK(contains(error_of([&] { load_idx(dir / "huge", dir / "lab"); }), "huge"));
}

TEST_CASE("fashion-mnist: the real files from Debian's package") {
    if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-labels-idx1-ubyte.gz")) {
        MESSAGE("skipped: Fashion-MNIST not installed in " << kFashionMnistDir
                                                           << " (apt-get install dataset-fashion-mnist)");
        return;
    }
    ImageSet train = load_fashion_mnist(kFashionMnistDir, Split::train);
    CHECK(train.n == 60000);
    CHECK(train.channels == 1);
    CHECK(train.height == 28);
    CHECK(train.width == 28);
    CHECK(train.labels[0] == 9);  // "Ankle boot", from the published file
    CHECK(train.labels[1] == 0);
    CHECK(train.class_names[9] == "Ankle boot");
    CHECK(train.class_names[0] == "T-shirt/top");
    CHECK(std::accumulate(train.image(0), train.image(0) + 784, 0) == 76247);
    ImageSet test = load_fashion_mnist(kFashionMnistDir, Split::test);
    CHECK(test.n == 10000);
    CHECK(test.labels[0] == 9);
    CHECK(test.labels[1] == 2);
}
