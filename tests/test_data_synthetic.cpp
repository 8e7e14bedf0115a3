// Tests for the synthetic generator (deterministic, balanced, learnable) and the
// ImageSet subset helpers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "data/image_set.h"
#include "data/synthetic.h"
#include "test_data_helpers.h"

using namespace cyclone::data;
using namespace cyclone::data::testing;

TEST_CASE("make_synthetic: shape, balanced labels, deterministic under the seed") {
    const ImageSet a = make_synthetic(50, 3, 32, 32, 10, 42);
    CHECK(a.n == 50);
    CHECK(a.pixels.size() == 50u * 3 * 32 * 32);
    CHECK(a.class_names.size() == 10);
    CHECK(a.labels[0] == 0);
    CHECK(a.labels[13] == 3);
    CHECK(class_counts(a) == std::vector<int64_t>(10, 5));
    CHECK_NOTHROW(check_image_set(a, "synthetic"));
    CHECK(make_synthetic(50, 3, 32, 32, 10, 42).pixels == a.pixels);
    CHECK(make_synthetic(50, 3, 32, 32, 10, 43).pixels != a.pixels);
    CHECK(contains(error_of([] { make_synthetic(4, 0, 8, 8, 2, 1); }), "channels=0"));
}

TEST_CASE("make_synthetic is learnable: nearest class mean is right on fresh samples") {
    for (int channels : {1, 3}) {
        CAPTURE(channels);
        const int classes = 10, side = 16;
        const ImageSet train = make_synthetic(200, channels, side, side, classes, 1);
        const ImageSet test = make_synthetic(200, channels, side, side, classes, 2);
        const int64_t size = train.image_size();
        std::vector<double> centroid(classes * size, 0.0);
        for (int64_t i = 0; i < train.n; ++i)
            for (int64_t p = 0; p < size; ++p) centroid[train.labels[i] * size + p] += train.image(i)[p] / 20.0;
        int correct = 0;
        for (int64_t i = 0; i < test.n; ++i) {
            int best = -1;
            double best_d = 1e300;
            for (int k = 0; k < classes; ++k) {
                double d = 0;
                for (int64_t p = 0; p < size; ++p) d += std::pow(test.image(i)[p] - centroid[k * size + p], 2);
                if (d < best_d) best_d = d, best = k;
            }
            correct += best == test.labels[i];
        }
        CHECK(correct >= 190);
        // but not trivially constant: pixels within an image vary
        const uint8_t* img = test.image(0);
        CHECK(*std::max_element(img, img + size) - *std::min_element(img, img + size) > 30);
    }
}

TEST_CASE("subset helpers keep order, labels and class names") {
    const ImageSet set = make_synthetic(12, 1, 2, 2, 3, 5);  // labels 0,1,2,0,1,2,...
    const ImageSet first = subset_first(set, 4);
    CHECK(first.n == 4);
    CHECK(first.labels == std::vector<int64_t>{0, 1, 2, 0});
    CHECK(std::equal(first.pixels.begin(), first.pixels.end(), set.pixels.begin()));
    CHECK(subset_first(set, 100).n == 12);

    const ImageSet per = subset_per_class(set, 2);
    CHECK(per.n == 6);
    CHECK(per.labels == std::vector<int64_t>{0, 1, 2, 0, 1, 2});
    CHECK(per.image(5)[3] == set.image(5)[3]);
    CHECK(per.class_names == set.class_names);

    const std::vector<int64_t> pick = {11, 0, 11};
    const ImageSet picked = subset_indices(set, pick);
    CHECK(picked.labels == std::vector<int64_t>{2, 0, 2});
    CHECK(picked.image(1)[2] == set.image(0)[2]);
    CHECK(picked.image(2)[0] == set.image(11)[0]);
    const std::vector<int64_t> bad = {12};
    CHECK(contains(error_of([&] { subset_indices(set, bad); }), "index 12"));

    ImageSet broken = set;
    broken.labels[3] = 7;
    CHECK(contains(error_of([&] { check_image_set(broken, "broken"); }), "label 7 of image 3"));
}
