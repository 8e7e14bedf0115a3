// Tests for the image transforms and the augmentation pipeline: known answers (numpy /
// torch goldens in fixtures/data/transform_golden.txt), ranges, and determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "data/augment.h"
#include "data/rng.h"
#include "data/synthetic.h"
#include "data/transforms.h"
#include "test_data_helpers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;

namespace {

struct Golden {
    std::string kind, mode;
    int64_t c = 0, h = 0, w = 0, pad = 0;
    std::vector<float> input, output;
};

std::vector<float> parse_floats(const std::string& line) {
    std::istringstream in(line);
    std::vector<float> v;
    for (double x; in >> x;) v.push_back(static_cast<float>(x));
    return v;
}

std::vector<Golden> read_goldens() {
#ifdef CYCLONE_SOURCE_DIR
    const auto path = std::filesystem::path(CYCLONE_SOURCE_DIR) / "tests/fixtures/data/transform_golden.txt";
#else
    const auto path = std::filesystem::path(__FILE__).parent_path() / "fixtures/data/transform_golden.txt";
#endif
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
    std::vector<Golden> out;
    for (std::string header, a, b; std::getline(in, header) && std::getline(in, a) && std::getline(in, b);) {
        Golden g;
        std::istringstream hs(header);
        hs >> g.kind >> g.mode >> g.c >> g.h >> g.w;
        if (g.kind == "pad") hs >> g.pad;
        g.input = parse_floats(a);
        g.output = parse_floats(b);
        out.push_back(g);
    }
    return out;
}

}  // namespace

TEST_CASE("reflect padding matches numpy.pad(mode='reflect') on a hand-checked 3x3 image") {
    const std::vector<float> img = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<float> out(49, -1.0f);
    pad_image(img.data(), 1, 3, 3, 2, PadMode::reflect, out.data());
    const std::vector<float> expected = {9, 8, 7, 8, 9, 8, 7, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5,
                                         6, 5, 4, 9, 8, 7, 8, 9, 8, 7, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1};
    CHECK(out == expected);

    const std::vector<float> wide = {1, 2, 3, 4, 5, 6, 7, 8};  // 2x4, pad 1
    std::vector<float> wide_out(24, -1.0f);
    pad_image(wide.data(), 1, 2, 4, 1, PadMode::reflect, wide_out.data());
    CHECK(wide_out == std::vector<float>{6, 5, 6, 7, 8, 7, 2, 1, 2, 3, 4, 3, 6, 5, 6, 7, 8, 7, 2, 1, 2, 3, 4, 3});

    CHECK(reflect_index(-1, 5) == 1);
    CHECK(reflect_index(-4, 5) == 4);
    CHECK(reflect_index(5, 5) == 3);
    CHECK(reflect_index(8, 5) == 0);
    CHECK(contains(error_of([&] { pad_image(img.data(), 1, 3, 3, 3, PadMode::reflect, out.data()); }), "pad < height"));
}

TEST_CASE("padding and normalisation equal the numpy/torch goldens") {
    const auto goldens = read_goldens();
    REQUIRE(goldens.size() == 4);
    for (const Golden& g : goldens) {
        CAPTURE(g.kind);
        CAPTURE(g.mode);
        std::vector<float> out;
        if (g.kind == "pad") {
            out.assign(g.output.size(), -1.0f);
            pad_image(g.input.data(), g.c, g.h, g.w, g.pad, g.mode == "reflect" ? PadMode::reflect : PadMode::zero,
                      out.data());
        } else {
            out = g.input;
            normalize(out.data(), g.c, g.h, g.w, normalize_preset(g.mode));
        }
        REQUIRE(out.size() == g.output.size());
        float max_err = 0;
        for (size_t i = 0; i < out.size(); ++i) max_err = std::max(max_err, std::abs(out[i] - g.output[i]));
        CHECK(max_err <= 1e-6f);
    }
}

TEST_CASE("crop_padded equals pad_image followed by a crop, for every offset") {
    const int64_t c = 2, h = 4, w = 5, pad = 3;
    std::vector<float> img(c * h * w);
    for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>(i) + 0.5f;
    for (PadMode mode : {PadMode::zero, PadMode::reflect}) {
        const int64_t ph = h + 2 * pad, pw = w + 2 * pad;
        std::vector<float> padded(c * ph * pw);
        pad_image(img.data(), c, h, w, pad, mode, padded.data());
        bool all_equal = true;
        for (int64_t top = 0; top <= 2 * pad; ++top)
            for (int64_t left = 0; left <= 2 * pad; ++left) {
                std::vector<float> out(img.size(), -7.0f);
                crop_padded(img.data(), c, h, w, pad, mode, top, left, out.data());
                for (int64_t k = 0; k < c; ++k)
                    for (int64_t y = 0; y < h; ++y)
                        for (int64_t x = 0; x < w; ++x)
                            all_equal &= out[(k * h + y) * w + x] == padded[(k * ph + y + top) * pw + x + left];
            }
        CHECK(all_equal);
    }
    // a known window: zero pad 1, offset (0, 2) on a 3x3 image shifts down 1 and left 1
    const std::vector<float> small = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<float> out(9);
    crop_padded(small.data(), 1, 3, 3, 1, PadMode::zero, 0, 2, out.data());
    CHECK(out == std::vector<float>{0, 0, 0, 2, 3, 0, 5, 6, 0});
    crop_padded(small.data(), 1, 3, 3, 1, PadMode::reflect, 0, 2, out.data());
    CHECK(out == std::vector<float>{5, 6, 5, 2, 3, 2, 5, 6, 5});
    crop_padded(small.data(), 1, 3, 3, 1, PadMode::zero, 1, 1, out.data());
    CHECK(out == small);
    CHECK(contains(error_of([&] { crop_padded(small.data(), 1, 3, 3, 1, PadMode::zero, 3, 0, out.data()); }), "offset"));
}

TEST_CASE("hflip, cutout, to_float and normalize presets") {
    std::vector<float> img = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // 2 channels of 2x3
    hflip(img.data(), 2, 2, 3);
    CHECK(img == std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10});

    auto zeros_after_cutout = [](int64_t size, int64_t cy, int64_t cx) {
        std::vector<float> ones(2 * 8 * 10, 1.0f);
        cutout(ones.data(), 2, 8, 10, size, cy, cx);
        return std::count(ones.begin(), ones.end(), 0.0f);
    };
    CHECK(zeros_after_cutout(4, 4, 5) == 2 * 16);
    CHECK(zeros_after_cutout(3, 4, 5) == 2 * 9);
    CHECK(zeros_after_cutout(4, 0, 0) == 2 * 4);    // rows/cols [-2, 2) clipped to [0, 2)
    CHECK(zeros_after_cutout(3, 7, 9) == 2 * 4);    // rows [6, 9) -> [6, 8), cols [8, 11) -> [8, 10)
    CHECK(zeros_after_cutout(20, 3, 3) == 2 * 80);  // bigger than the image
    std::vector<float> grid(16, 1.0f);
    cutout(grid.data(), 1, 4, 4, 2, 1, 2);  // rows [0, 2), cols [1, 3)
    CHECK(grid == std::vector<float>{1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1});

    const uint8_t bytes[] = {0, 51, 255};
    float f[3];
    to_float(bytes, 3, f);
    CHECK(f[0] == 0.0f);
    CHECK(f[1] == doctest::Approx(0.2f));
    CHECK(f[2] == 1.0f);

    const NormalizeStats cifar = normalize_preset("cifar10");
    CHECK(cifar.mean == std::vector<float>{0.4914f, 0.4822f, 0.4465f});
    CHECK(cifar.stddev == std::vector<float>{0.2470f, 0.2435f, 0.2616f});
    const NormalizeStats imagenet = normalize_preset("imagenet");
    CHECK(imagenet.mean == std::vector<float>{0.485f, 0.456f, 0.406f});
    CHECK(imagenet.stddev == std::vector<float>{0.229f, 0.224f, 0.225f});
    CHECK(normalize_preset("none").mean.empty());
    float px[3] = {0.5f, 0.5f, 0.5f};
    normalize(px, 3, 1, 1, imagenet);
    CHECK(px[0] == doctest::Approx((0.5 - 0.485) / 0.229));
    CHECK(px[2] == doctest::Approx((0.5 - 0.406) / 0.225));
    float unchanged[2] = {0.25f, 0.75f};
    normalize(unchanged, 2, 1, 1, normalize_preset("none"));
    CHECK(unchanged[1] == 0.75f);
    const std::string err = error_of([] { normalize_preset("cifar"); });
    CHECK(contains(err, "'cifar'"));
    CHECK(contains(err, "none, cifar10, imagenet"));
    CHECK(contains(error_of([&] { normalize(px, 1, 1, 1, cifar); }), "3 channels"));
}

TEST_CASE("augment draws: ranges, coverage and determinism") {
    AugmentConfig cfg{.crop_padding = 4, .pad_mode = PadMode::reflect, .flip = true, .cutout = 8};
    std::set<int64_t> tops, lefts;
    int flips = 0;
    bool in_range = true;
    for (int64_t i = 0; i < 2000; ++i) {
        const AugmentDraws d = draw_augment(cfg, 32, 32, 7, 0, i);
        in_range &= d.top >= 0 && d.top <= 8 && d.left >= 0 && d.left <= 8 && d.cy >= 0 && d.cy < 32 && d.cx >= 0 &&
                    d.cx < 32;
        tops.insert(d.top);
        lefts.insert(d.left);
        flips += d.flip;
    }
    CHECK(in_range);
    CHECK(tops.size() == 9);
    CHECK(lefts.size() == 9);
    CHECK(flips > 900);
    CHECK(flips < 1100);

    const AugmentDraws a = draw_augment(cfg, 32, 32, 7, 3, 11), b = draw_augment(cfg, 32, 32, 7, 3, 11);
    CHECK((a.top == b.top && a.left == b.left && a.flip == b.flip && a.cy == b.cy && a.cx == b.cx));
    // other epochs and seeds give other draws (checked over many samples)
    int same_epoch = 0, same_seed = 0;
    for (int64_t i = 0; i < 100; ++i) {
        const AugmentDraws x = draw_augment(cfg, 32, 32, 7, 0, i);
        const AugmentDraws y = draw_augment(cfg, 32, 32, 7, 1, i);
        const AugmentDraws z = draw_augment(cfg, 32, 32, 8, 0, i);
        same_epoch += x.top == y.top && x.left == y.left && x.cy == y.cy;
        same_seed += x.top == z.top && x.left == z.left && x.cy == z.cy;
    }
    CHECK(same_epoch < 5);
    CHECK(same_seed < 5);
    // enabling cutout does not change the crop draws (independent streams)
    AugmentConfig crop_only{.crop_padding = 4};
    CHECK(draw_augment(crop_only, 32, 32, 7, 0, 5).top == draw_augment(cfg, 32, 32, 7, 0, 5).top);
    CHECK(SampleRng(1, 2, 3).next() == SampleRng(1, 2, 3).next());
    CHECK(SampleRng(1, 2, 3).next() != SampleRng(1, 2, 4).next());
}

TEST_CASE("augment_batch: same result for 1, 2 and 3 threads, and per-sample known answers") {
    const ImageSet set = make_synthetic(20, 3, 8, 8, 4, 99);
    const std::vector<int64_t> idx = {5, 3, 19, 0, 5, 7, 12};
    AugmentConfig cfg{.crop_padding = 2, .pad_mode = PadMode::reflect, .flip = true, .cutout = 3, .normalize = "cifar10"};
    const size_t batch = idx.size() * 3 * 64;
    std::vector<float> out1(batch, -99.0f), out2(batch, 99.0f), out3(batch, 42.0f);
    std::vector<int64_t> lab1(idx.size(), -1), lab2(idx.size(), -2);
    augment_batch(set, idx, cfg, 1234, 2, out1.data(), lab1.data(), 1);
    augment_batch(set, idx, cfg, 1234, 2, out2.data(), lab2.data(), 2);
    augment_batch(set, idx, cfg, 1234, 2, out3.data(), nullptr, 3);
    CHECK(std::memcmp(out1.data(), out2.data(), batch * sizeof(float)) == 0);
    CHECK(std::memcmp(out1.data(), out3.data(), batch * sizeof(float)) == 0);
    CHECK(lab1 == lab2);
    CHECK(lab1 == std::vector<int64_t>{1, 3, 3, 0, 1, 3, 0});
    // a sample's augmentation depends on its dataset index, not its batch position
    CHECK(std::memcmp(out1.data(), out1.data() + 4 * 192, 192 * sizeof(float)) == 0);
    std::vector<float> single(192);
    const int64_t only = 19;
    augment_batch(set, std::span<const int64_t>(&only, 1), cfg, 1234, 2, single.data(), nullptr);
    CHECK(std::memcmp(single.data(), out1.data() + 2 * 192, 192 * sizeof(float)) == 0);
    // another epoch gives another batch
    augment_batch(set, idx, cfg, 1234, 3, out2.data(), nullptr, 2);
    CHECK(std::memcmp(out1.data(), out2.data(), batch * sizeof(float)) != 0);

    // recompute sample 0 (dataset image 5) step by step from its draws
    const AugmentDraws d = draw_augment(cfg, 8, 8, 1234, 2, 5);
    std::vector<float> f(192), expect(192);
    to_float(set.image(5), 192, f.data());
    crop_padded(f.data(), 3, 8, 8, 2, PadMode::reflect, d.top, d.left, expect.data());
    if (d.flip) hflip(expect.data(), 3, 8, 8);
    normalize(expect.data(), 3, 8, 8, normalize_preset("cifar10"));
    cutout(expect.data(), 3, 8, 8, 3, d.cy, d.cx);
    CHECK(std::equal(expect.begin(), expect.end(), out1.begin()));
    CHECK(std::count(out1.begin(), out1.begin() + 192, 0.0f) >= 3 * 4);  // cutout of 3, clipped at worst to 2x2

    // no augmentation and no normalisation: exactly pixel / 255
    std::vector<float> plain(batch);
    augment_batch(set, idx, AugmentConfig{}, 1, 0, plain.data(), nullptr);
    CHECK(plain[192 + 10] == static_cast<float>(set.image(3)[10]) / 255.0f);

    CHECK(contains(error_of([&] { augment_batch(set, idx, AugmentConfig{.normalize = "x"}, 1, 0, plain.data(), nullptr); }),
                   "valid presets"));
    const int64_t bad = 20;
    CHECK(contains(error_of([&] { augment_batch(set, std::span<const int64_t>(&bad, 1), cfg, 1, 0, plain.data(), nullptr); }),
                   "index 20"));
    const ImageSet grey = make_synthetic(2, 1, 8, 8, 2, 1);
    CHECK(contains(error_of([&] { augment_batch(grey, idx, cfg, 1, 0, plain.data(), nullptr); }), "channels"));
}
