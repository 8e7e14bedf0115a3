// CUDA graphs of cyclone's stream (kernels/cuda_runtime.h): a captured
// sequence does not run while it is captured, replays with the data its
// buffers hold at replay time, and a synchronising call during a capture fails,
// invalidates the capture, and is named when the capture ends. The graph's
// memory pool (tensor/allocator.h) keeps what the graph writes away from
// tensors made outside it.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "kernels/contract.h"
#include "kernels/cuda_runtime.h"
#include "tensor/allocator.h"
#include "tensor/tensor.h"
#include "test_device_vec.h"
#include "test_helpers.h"

#if CYCLONE_WITH_CUDA
namespace {

namespace K = cyclone::kernels;
namespace gpu = cyclone::kernels::cuda;
using cyclone::test::DeviceVec;

K::Layout dense(int64_t n) {
  K::Layout l;
  l.ndim = 1;
  l.sizes[0] = n;
  l.strides[0] = 1;
  return l;
}

}  // namespace

TEST_CASE("a captured CUDA graph runs only when replayed, on the data its buffers hold then" *
          doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  const int64_t n = 1000;
  DeviceVec<float> x(std::vector<float>(n, 1.f)), y(std::vector<float>(n, NAN));
  // y = 2 * (x + 3), as three kernels.
  gpu::capture_begin();
  CHECK(gpu::capturing());
  gpu::fill(K::DType::f32, y.get(), n, 3.0);
  gpu::binary(K::BinaryOp::Add, x.get(), dense(n), y.get(), dense(n), y.get(), n, 1.f);
  gpu::binary(K::BinaryOp::Add, y.get(), dense(n), y.get(), dense(n), y.get(), n, 1.f);
  void* graph = gpu::capture_end();
  CHECK_FALSE(gpu::capturing());
  CHECK(std::isnan(y.host()[0]));  // nothing ran
  gpu::graph_replay(graph);
  CHECK(y.host() == std::vector<float>(n, 8.f));
  gpu::copy_to_device(x.get(), std::vector<float>(n, -1.f).data(), n * sizeof(float));
  gpu::graph_replay(graph);
  gpu::graph_replay(graph);
  CHECK(y.host() == std::vector<float>(n, 4.f));
  gpu::graph_destroy(graph);
}

TEST_CASE("a synchronising call during a CUDA graph capture fails and is named when the capture ends" *
          doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  DeviceVec<float> x(std::vector<float>(8, 1.f));
  std::vector<float> host(8);
  gpu::capture_begin();
  gpu::fill(K::DType::f32, x.get(), 8, 5.0);
  CHECK_THROWS_AS(gpu::copy_to_host(host.data(), x.get(), sizeof(float) * 8), std::runtime_error);
  try {
    gpu::capture_end();
    FAIL("capture_end accepted an invalidated capture");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("CUDA graph capture failed") != std::string::npos);
  }
  CHECK_FALSE(gpu::capturing());
  // The stream works as before: the fill was never run, and runs now.
  gpu::fill(K::DType::f32, x.get(), 8, 7.0);
  CHECK(x.host() == std::vector<float>(8, 7.f));
  // An abandoned capture leaves no graph and no capture behind.
  gpu::capture_begin();
  gpu::fill(K::DType::f32, x.get(), 8, 9.0);
  gpu::capture_abandon();
  CHECK_FALSE(gpu::capturing());
  CHECK(x.host() == std::vector<float>(8, 7.f));
}
TEST_CASE("a CUDA graph's memory pool keeps the blocks the graph writes from tensors made outside it" *
          doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  using cyclone::Tensor;
  const Tensor x = cyclone::full({1000}, 1.0, cyclone::TensorOptions().on(cyclone::kCUDA));
  Tensor out;
  void* graph = nullptr;
  {
    cyclone::GraphMemoryPool pool(cyclone::kCUDA);
    pool.begin_capture();
    gpu::capture_begin();
    {
      const Tensor t = x + 3.0;  // a temporary: freed during the capture, written by every replay
      out = t * 2.0;
    }
    graph = gpu::capture_end();
    pool.end_capture();
    CHECK(pool.blocks() == 2);
    // Made after the capture, of the temporary's size: never the temporary's block.
    std::vector<Tensor> others;
    for (int i = 0; i < 4; ++i) others.push_back(cyclone::full({1000}, 5.0, cyclone::TensorOptions().on(cyclone::kCUDA)));
    gpu::graph_replay(graph);
    CHECK(out.to_vector<float>() == std::vector<float>(1000, 8.f));
    for (const Tensor& o : others) CHECK(o.to_vector<float>() == std::vector<float>(1000, 5.f));
    x.fill_(-1.0);
    gpu::graph_replay(graph);
    CHECK(out.to_vector<float>() == std::vector<float>(1000, 4.f));
    gpu::graph_destroy(graph);
  }
  // The pool is gone: its free block is the cache's again, and out's goes there when freed.
  const auto before = cyclone::memory_stats(cyclone::kCUDA).cache_hits;
  const Tensor again = cyclone::full({1000}, 0.0, cyclone::TensorOptions().on(cyclone::kCUDA));
  CHECK(cyclone::memory_stats(cyclone::kCUDA).cache_hits == before + 1);
}
#endif
