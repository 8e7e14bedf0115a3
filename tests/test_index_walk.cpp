// The CUDA kernels' index walk (kernels/cuda/index_walk.cuh), on the host:
// collapsing dims keeps every element's offset, and int32 offsets equal the
// 64-bit ones.
#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

#include "kernels/cuda/index_walk.cuh"

namespace {

using cyclone::kernels::Layout;
namespace gpu = cyclone::kernels::cuda;

Layout layout(std::vector<int64_t> sizes, std::vector<int64_t> strides) {
  Layout l;
  l.ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < l.ndim; ++d) l.sizes[d] = sizes[std::size_t(d)], l.strides[d] = strides[std::size_t(d)];
  l.contiguous = false;
  return l;
}

std::vector<int64_t> offsets(const Layout& l, int64_t n) {
  std::vector<int64_t> o;
  for (int64_t i = 0; i < n; ++i) o.push_back(l.offset(i));
  return o;
}

}  // namespace

TEST_CASE("collapse_dims merges the dims every operand walks as one, and keeps every offset") {
  // [2, 3, 4, 5]: a dense tensor, a per-channel bias broadcast over n, h, w, and a transposed view.
  Layout dense = layout({2, 3, 4, 5}, {60, 20, 5, 1}), bias = layout({2, 3, 4, 5}, {0, 1, 0, 0});
  const auto want_dense = offsets(dense, 120), want_bias = offsets(bias, 120);
  Layout* pair[] = {&dense, &bias};
  gpu::collapse_dims(pair, 2);
  CHECK(dense.ndim == 3);
  CHECK(dense.sizes[2] == 20);
  CHECK(bias.strides[2] == 0);
  CHECK(offsets(dense, 120) == want_dense);
  CHECK(offsets(bias, 120) == want_bias);

  Layout alone = layout({2, 3, 4, 5}, {60, 20, 5, 1});
  Layout* one[] = {&alone};
  gpu::collapse_dims(one, 1);
  CHECK(alone.ndim == 1);
  CHECK(alone.sizes[0] == 120);

  Layout transposed = layout({4, 5}, {1, 4}), plain = layout({4, 5}, {5, 1});
  Layout* mixed[] = {&transposed, &plain};
  gpu::collapse_dims(mixed, 2);
  CHECK(transposed.ndim == 2);  // nothing merges
  CHECK(offsets(transposed, 20) == offsets(layout({4, 5}, {1, 4}), 20));
}

TEST_CASE("offset_in<int32_t> equals Layout::offset") {
  const Layout l = layout({3, 1, 7, 11}, {0, 5, 33, 3});
  for (int64_t i = 0; i < 3 * 7 * 11; ++i) CHECK(gpu::offset_in<int32_t>(l, static_cast<int32_t>(i)) == l.offset(i));
}
