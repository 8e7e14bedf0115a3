// index_select: rows and columns gathered in any order, every dtype's bits kept,
// strided inputs, and clear errors for bad indices.
#include <cstring>

#include "tensor/gather.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;

TEST_CASE("index_select gathers rows in order, with repeats") {
  const Tensor x = arange(0, 12).reshape({4, 3});
  const Tensor r = index_select(x, 0, {2, 0, 2});
  CHECK(r.shape() == Shape{3, 3});
  check_close(r, {6, 7, 8, 0, 1, 2, 6, 7, 8});
  CHECK(index_select(x, 0, {}).shape() == Shape{0, 3});
  const Tensor labels = from_vector(std::vector<int64_t>{10, 11, 12, 13}, {4});
  CHECK(index_select(labels, 0, {3, 1}).to_vector<int64_t>() == std::vector<int64_t>{13, 11});
}

TEST_CASE("index_select along another dim and from a strided view (the two copy paths agree)") {
  const Tensor x = arange(0, 24).reshape({2, 4, 3});
  const Tensor strided = x.transpose(0, 1).contiguous().transpose(0, 1);  // same values, not contiguous
  REQUIRE(!strided.is_contiguous());
  for (int64_t dim : {0, 1, 2}) {
    INFO("dim " << dim);
    const std::vector<int64_t> idx{1, 0, 1};
    CHECK(index_select(x, dim, idx).to_vector() == index_select(strided, dim, idx).to_vector());
  }
  check_close(index_select(x, 2, {2, 0}).select(0, 0), {2, 0, 5, 3, 8, 6, 11, 9});
  check_close(index_select(x, -1, {1}).select(0, 1), {13, 16, 19, 22});
  const Tensor t = x.select(0, 0).t();  // [3, 4], not contiguous
  check_close(index_select(t, 0, {1}), {1, 4, 7, 10});
}

TEST_CASE("index_select copies bits exactly and cuts the graph") {
  const std::vector<float> v{1.f / 3.f, -0.0f, 1e-38f, 3.4e38f};
  Tensor x = from_vector(v, {4, 1}).requires_grad_();
  std::vector<float> w;  // v interleaved with zeros: column 0 is v with stride 2
  for (float f : v) w.insert(w.end(), {f, 0.f});
  for (const Tensor& in : {x, from_vector(w, {4, 2}).select(1, 0)}) {  // contiguous, and a strided view
    const Tensor r = index_select(in, 0, {3, 2, 1, 0});
    CHECK(!r.requires_grad());
    const std::vector<float> got = r.to_vector();
    for (size_t i = 0; i < v.size(); ++i) CHECK(std::memcmp(&got[i], &v[3 - i], sizeof(float)) == 0);
  }
}

TEST_CASE("index_select: bad indices and dims") {
  const Tensor x = zeros({2, 3});
  CHECK_THROWS_WITH_AS(index_select(x, 0, {2}), doctest::Contains("index 2 out of range for size 2"), std::out_of_range);
  CHECK_THROWS_WITH_AS(index_select(x, 0, {-1}), doctest::Contains("out of range"), std::out_of_range);
  CHECK_THROWS_WITH_AS(index_select(x, 2, {0}), doctest::Contains("dim out of range"), std::out_of_range);
}
