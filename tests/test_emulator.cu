// The emulated CUDA device's own tests (suite "emulator", EMULATE builds only):
// known answers for every warp collective and for odd launch shapes, and each
// check that a GPU would not give you (races, divergent barriers, bad masks,
// out-of-bounds, misaligned and host-pointer accesses, bad launch shapes) shown
// to fire on a kernel written to trip it, with a message that names the place.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda_runtime.h"
#include "test_emulator_helpers.h"

using cyclone::kernels::cuda::launch;
namespace emu = cyclone::emu;
using cyclone::test::contains;
using cyclone::test::DeviceArray;
using cyclone::test::run_and_take_error;

namespace {

// Tests that name the thread a check reports run the threads in forward order
// (CYCLONE_EMU_ORDER may set another for the whole run).
struct ForwardOrder {
  emu::Options saved = emu::options();
  ForwardOrder() { emu::options().order = emu::ThreadOrder::Forward; }
  ~ForwardOrder() { emu::options() = saved; }
};

// Checks that need the access hooks print a notice where the build has none.
bool access_checks_or_notice() {
  if (emu::access_checks_enabled()) return true;
  MESSAGE("not checked: this build has no access hooks (configure with clang for CYCLONE_EMU_ACCESS_CHECKS)");
  return false;
}

// ---- kernels ----
__global__ void collectives_kernel(int* out) {
  const int lane = static_cast<int>(threadIdx.x);
  int* o = out + lane * 12;
  o[0] = __shfl_sync(0xffffffffu, lane * 10, 5);          // broadcast lane 5
  o[1] = __shfl_sync(0xffffffffu, lane * 10, lane + 33);  // source modulo 32
  o[2] = __shfl_xor_sync(0xffffffffu, lane, 1);
  o[3] = __shfl_up_sync(0xffffffffu, lane, 3);
  o[4] = __shfl_down_sync(0xffffffffu, lane, 3);
  o[5] = __shfl_sync(0xffffffffu, lane, 2, 8);       // lane 2 of each group of 8
  o[6] = __shfl_down_sync(0xffffffffu, lane, 2, 8);  // within groups of 8
  o[7] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 3 == 0));
  o[8] = __any_sync(0xffffffffu, lane == 17);
  o[9] = __all_sync(0xffffffffu, lane < 31);
  int sum = lane;
  for (int d = 16; d > 0; d >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, d);
  o[10] = sum;
  o[11] = lane < 16 ? __shfl_sync(0x0000ffffu, lane, 15 - lane) : -1;  // a half-warp mask
}

__global__ void barrier_count_kernel(int* out) {
  const int t = static_cast<int>(threadIdx.x);
  const int count = __syncthreads_count(t % 4 == 0);
  const int all = __syncthreads_and(t >= 0);
  const int any = __syncthreads_or(t == 77);
  if (t == 0) {
    out[0] = count;
    out[1] = all;
    out[2] = any;
  }
}

// Each thread writes its global linear index at the slot of its coordinates.
__global__ void coordinates_kernel(int* out) {
  const unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned per_block = blockDim.x * blockDim.y * blockDim.z;
  out[bx * per_block + tx] = static_cast<int>(bx * 100000 + tx);
}

// A tree reduction of 256 values in shared memory; `synced` = false drops the barrier
// between steps (the classic bug).
template <bool synced>
__global__ void tree_sum_kernel(const float* x, float* out) {
  __shared__ float s[256];
  s[threadIdx.x] = x[blockIdx.x * 256 + threadIdx.x];
  __syncthreads();
  for (unsigned stride = 128; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) s[threadIdx.x] += s[threadIdx.x + stride];
    if (synced) __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

__global__ void racy_broadcast_kernel(int* out) {
  __shared__ int flag;
  if (threadIdx.x == 0) flag = 42;
  out[threadIdx.x] = flag;  // no __syncthreads: threads other than 0 race with its write
}

__global__ void uninitialized_shared_kernel(int* out) {
  __shared__ int s[64];
  out[threadIdx.x] = s[threadIdx.x];
}

__global__ void early_exit_barrier_kernel(int* out) {
  if (threadIdx.x >= 16) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void two_barriers_kernel(int* out) {
  if (threadIdx.x % 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void full_mask_in_small_block_kernel(int* out) { out[threadIdx.x] = __shfl_sync(0xffffffffu, 1, 0); }

__global__ void half_warp_exits_kernel(int* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}

__global__ void lane_outside_mask_kernel(int* out) { out[threadIdx.x] = __shfl_sync(0x1u, 1, 0); }

__global__ void write_n_kernel(float* out, int n) {
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) out[i] = 1.f;
}

__global__ void read_kernel(const float* in, float* out) { out[threadIdx.x] = in[threadIdx.x]; }

__global__ void float4_read_kernel(const float* in, float* out) {
  const float4 v = *reinterpret_cast<const float4*>(in + 1);  // 4 bytes past an aligned address
  out[0] = v.x + v.y + v.z + v.w;
}

__global__ void dynamic_shared_kernel(float* out, int n) {
  CYCLONE_DYNAMIC_SHARED(float, buf);
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) buf[i] = float(i % 8);  // sums stay exact in float
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0;
    for (int i = 0; i < n; ++i) s += buf[i];
    out[0] = s;
  }
}

__global__ void atomic_count_kernel(int* counter, float* total) {
  atomicAdd(counter, 1);
  atomicAdd(total, 0.5f);
}

// Two flags a kernel and host code on another thread hand back and forth (static
// data, which a kernel may read). The waits give up after a few seconds.
std::atomic<int> g_kernel_started{0}, g_host_done{0};

bool wait_for(const std::atomic<int>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (flag.load() == 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
  return true;
}

__global__ void wait_for_host_kernel(int* out) {
  g_kernel_started.store(1);
  out[0] = wait_for(g_host_done) ? 1 : 2;
}
}  // namespace

TEST_SUITE("emulator") {
  TEST_CASE("warp collectives give the CUDA answers, lane by lane") {
    DeviceArray<int> out(32 * 12);
    launch<collectives_kernel>({1, 32, 0, nullptr}, out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    const std::vector<int> h = out.host();
    unsigned ballot = 0;
    for (int l = 0; l < 32; l += 3) ballot |= 1u << l;
    for (int lane = 0; lane < 32; ++lane) {
      const int* o = h.data() + lane * 12;
      INFO("lane " << lane);
      CHECK(o[0] == 50);
      CHECK(o[1] == ((lane + 33) % 32) * 10);
      CHECK(o[2] == (lane ^ 1));
      CHECK(o[3] == (lane < 3 ? lane : lane - 3));
      CHECK(o[4] == (lane > 28 ? lane : lane + 3));
      CHECK(o[5] == (lane / 8) * 8 + 2);
      CHECK(o[6] == (lane % 8 < 6 ? lane + 2 : lane));
      CHECK(static_cast<unsigned>(o[7]) == ballot);
      CHECK(o[8] == 1);
      CHECK(o[9] == 0);
      CHECK(o[10] == 31 * 32 / 2);
      CHECK(o[11] == (lane < 16 ? 15 - lane : -1));
    }
  }

  TEST_CASE("__syncthreads_count, _and and _or count the whole block") {
    DeviceArray<int> out(3);
    launch<barrier_count_kernel>({1, 200, 0, nullptr}, out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    CHECK(out.host() == std::vector<int>{50, 1, 1});
  }

  TEST_CASE("odd grid and block shapes: 1 thread, 1024 threads, 3-D grids and blocks") {
    struct Shape {
      dim3 grid, block;
    };
    for (const Shape& s : {Shape{dim3(1), dim3(1)}, Shape{dim3(2), dim3(1024)}, Shape{dim3(3, 2, 2), dim3(4, 2, 3)},
                           Shape{dim3(1, 1, 5), dim3(7, 1, 1)}, Shape{dim3(2, 3), dim3(33)}}) {
      const unsigned blocks = s.grid.x * s.grid.y * s.grid.z, per = s.block.x * s.block.y * s.block.z;
      DeviceArray<int> out(blocks * per);
      launch<coordinates_kernel>({s.grid, s.block, 0, nullptr}, out.p);
      CYCLONE_CUDA_LAUNCH_CHECK();
      std::vector<int> want(blocks * per);
      for (unsigned b = 0; b < blocks; ++b)
        for (unsigned t = 0; t < per; ++t) want[b * per + t] = static_cast<int>(b * 100000 + t);
      INFO("grid " << s.grid.x << "x" << s.grid.y << "x" << s.grid.z << ", block " << s.block.x << "x" << s.block.y
                   << "x" << s.block.z);
      CHECK(out.host() == want);
    }
  }

  TEST_CASE("a shared-memory tree reduction equals the CPU sum in every thread order") {
    std::vector<float> x(3 * 256);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 17) * 0.25f;
    DeviceArray<float> dx(x.size()), out(3);
    CYCLONE_CUDA_CHECK(cudaMemcpy(dx.p, x.data(), x.size() * 4, cudaMemcpyHostToDevice));
    const emu::Options saved = emu::options();
    for (emu::ThreadOrder order : {emu::ThreadOrder::Forward, emu::ThreadOrder::Reverse, emu::ThreadOrder::Seeded}) {
      emu::options().order = order;
      emu::options().seed = 7;
      launch<tree_sum_kernel<true>>({3, 256, 0, nullptr}, dx.p, out.p);
      CYCLONE_CUDA_LAUNCH_CHECK();
      const std::vector<float> h = out.host();
      for (int b = 0; b < 3; ++b) {
        float want = 0;
        for (int i = 0; i < 256; ++i) want += x[b * 256 + i];
        CHECK(h[b] == doctest::Approx(want));
      }
    }
    emu::options() = saved;
  }

  TEST_CASE("atomics from every thread of a grid all land") {
    DeviceArray<int> counter(1);
    DeviceArray<float> total(1);
    CYCLONE_CUDA_CHECK(cudaMemset(counter.p, 0, 4));
    CYCLONE_CUDA_CHECK(cudaMemset(total.p, 0, 4));
    launch<atomic_count_kernel>({5, 96, 0, nullptr}, counter.p, total.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    CHECK(counter.host()[0] == 480);
    CHECK(total.host()[0] == 240.f);
  }

  TEST_CASE("dynamic shared memory: the default limit, and above it after cudaFuncSetAttribute") {
    DeviceArray<float> out(1);
    launch<dynamic_shared_kernel>({1, 128, 1000 * sizeof(float), nullptr}, out.p, 1000);
    CYCLONE_CUDA_LAUNCH_CHECK();
    CHECK(out.host()[0] == 125.f * 28.f);
    const size_t big = 20000 * sizeof(float);  // 80 KB, over the 48 KB default
    launch<dynamic_shared_kernel>({1, 128, big, nullptr}, out.p, 20000);
    const cudaError_t e = cudaGetLastError();
    CHECK(e == cudaErrorInvalidValue);
    CHECK(contains(cudaGetErrorString(e), "dynamic shared memory"));
    CHECK(cudaFuncSetAttribute(&dynamic_shared_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(big)) ==
          cudaSuccess);
    launch<dynamic_shared_kernel>({1, 128, big, nullptr}, out.p, 20000);
    CYCLONE_CUDA_LAUNCH_CHECK();
    CHECK(out.host()[0] == 2500.f * 28.f);
  }

  TEST_CASE("launch shapes the hardware refuses are errors from cudaGetLastError, not sticky") {
    DeviceArray<int> out(4096);
    launch<coordinates_kernel>({1, 1025, 0, nullptr}, out.p);
    cudaError_t e = cudaGetLastError();
    CHECK(e == cudaErrorInvalidConfiguration);
    CHECK(contains(cudaGetErrorString(e), "1025 threads"));
    CHECK(contains(cudaGetErrorString(e), "coordinates_kernel"));
    launch<coordinates_kernel>({dim3(1, 65536), 1, 0, nullptr}, out.p);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    launch<coordinates_kernel>({1, dim3(8, 8, 65), 0, nullptr}, out.p);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
    CHECK(cudaGetLastError() == cudaSuccess);  // read once, then cleared
    launch<coordinates_kernel>({1, 32, 0, nullptr}, out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
  }

  TEST_CASE("a __syncthreads that part of the block never reaches is reported") {
    const ForwardOrder forward;
    DeviceArray<int> out(32);
    launch<early_exit_barrier_kernel>({1, 32, 0, nullptr}, out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    const std::string err = run_and_take_error();
    CHECK(contains(err, "early_exit_barrier_kernel"));
    CHECK(contains(err, "is not reached by every thread"));
    CHECK(contains(err, "thread (16,0,0) (and 15 more) exited"));
  }

  TEST_CASE("threads waiting at different __syncthreads are reported") {
    const ForwardOrder forward;
    DeviceArray<int> out(64);
    launch<two_barriers_kernel>({1, 64, 0, nullptr}, out.p);
    const std::string err = run_and_take_error();
    CHECK(contains(err, "divergent __syncthreads"));
    CHECK(contains(err, "test_emulator.cu"));
  }

  TEST_CASE("warp collectives: masks that name missing lanes, lanes that never arrive, a caller outside its mask") {
    const ForwardOrder forward;
    DeviceArray<int> out(32);
    launch<full_mask_in_small_block_kernel>({1, 16, 0, nullptr}, out.p);
    std::string err = run_and_take_error();
    CHECK(contains(err, "__shfl_sync"));
    CHECK(contains(err, "names lanes that do not exist"));
    launch<half_warp_exits_kernel>({1, 32, 0, nullptr}, out.p);
    err = run_and_take_error();
    CHECK(contains(err, "__shfl_xor_sync"));
    CHECK(contains(err, "lane 16 exited"));
    launch<lane_outside_mask_kernel>({1, 32, 0, nullptr}, out.p);
    err = run_and_take_error();
    CHECK(contains(err, "the calling lane 1 is not in its mask"));
  }

  TEST_CASE("a fault is sticky, as on a GPU: every later call fails until it is taken back") {
    DeviceArray<int> out(32);
    launch<early_exit_barrier_kernel>({1, 32, 0, nullptr}, out.p);
    CHECK(cudaDeviceSynchronize() == cudaErrorLaunchFailure);
    void* p = nullptr;
    CHECK(cudaMalloc(&p, 16) == cudaErrorLaunchFailure);
    CHECK(cudaGetLastError() == cudaErrorLaunchFailure);
    CHECK(!emu::take_sticky_error().empty());
    CHECK(cudaMalloc(&p, 16) == cudaSuccess);
    CHECK(cudaFree(p) == cudaSuccess);
  }

  TEST_CASE("after a fault, an allocation fails with the fault's own message, not 'out of memory'") {
    DeviceArray<int> out(32);
    launch<early_exit_barrier_kernel>({1, 32, 0, nullptr}, out.p);
    (void)cudaDeviceSynchronize();  // the fault surfaces here, as on a GPU
    std::string what;
    try {
      cyclone::kernels::cuda::raw_malloc(12345);
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(contains(what, "early_exit_barrier_kernel"));
    CHECK(!contains(what, "out of memory"));
    CHECK(!emu::take_sticky_error().empty());
  }

  TEST_CASE("stream work runs at the next synchronising call, as a GPU runs it later") {
    float* pinned = nullptr;
    CYCLONE_CUDA_CHECK(cudaMallocHost(&pinned, 64 * sizeof(float)));
    DeviceArray<float> d(64);
    const emu::Options saved = emu::options();
    for (bool blocking : {false, true}) {
      emu::options().blocking = blocking;
      for (int i = 0; i < 64; ++i) pinned[i] = 1.f;
      CYCLONE_CUDA_CHECK(cudaMemcpyAsync(d.p, pinned, 64 * sizeof(float), cudaMemcpyHostToDevice, nullptr));
      for (int i = 0; i < 64; ++i) pinned[i] = 2.f;  // a bug: the upload may not have read it yet
      CHECK(d.host()[10] == (blocking ? 1.f : 2.f));
    }
    emu::options() = saved;
    CYCLONE_CUDA_CHECK(cudaFreeHost(pinned));
  }

  TEST_CASE("a shared-memory race is reported, with both threads") {
    const ForwardOrder forward;
    if (!access_checks_or_notice()) return;
    DeviceArray<int> out(64);
    launch<racy_broadcast_kernel>({1, 64, 0, nullptr}, out.p);
    const std::string err = run_and_take_error();
    CHECK(contains(err, "shared-memory race"));
    CHECK(contains(err, "racy_broadcast_kernel"));
    CHECK(contains(err, "thread (1,0,0): shared-memory race: this thread reads"));
    CHECK(contains(err, "thread (0,0,0) wrote"));
    CHECK(contains(err, "flag"));
  }

  TEST_CASE("a reduction missing its __syncthreads is reported") {
    if (!access_checks_or_notice()) return;
    std::vector<float> x(256, 1.f);
    DeviceArray<float> dx(256), out(1);
    CYCLONE_CUDA_CHECK(cudaMemcpy(dx.p, x.data(), 256 * 4, cudaMemcpyHostToDevice));
    launch<tree_sum_kernel<false>>({1, 256, 0, nullptr}, dx.p, out.p);
    const std::string err = run_and_take_error();
    CHECK(contains(err, "shared-memory race"));
    CHECK(contains(err, "tree_sum_kernel<false>"));
  }

  TEST_CASE("reading shared memory the block never wrote is reported") {
    if (!access_checks_or_notice()) return;
    DeviceArray<int> out(64);
    launch<uninitialized_shared_kernel>({1, 64, 0, nullptr}, out.p);
    CHECK(contains(run_and_take_error(), "which no thread of this block has written"));
  }

  TEST_CASE("out-of-bounds and host-pointer accesses are reported") {
    const ForwardOrder forward;
    if (!access_checks_or_notice()) return;
    DeviceArray<float> small(100), out(256);
    launch<write_n_kernel>({1, 64, 0, nullptr}, small.p, 101);
    std::string err = run_and_take_error();
    CHECK(contains(err, "out-of-bounds access"));
    CHECK(contains(err, "byte 400 of a device allocation whose 400 bytes are in use"));
    CHECK(contains(err, "write_n_kernel, block (0,0,0), thread (36,0,0)"));

    std::vector<float> host(64, 1.f);
    launch<read_kernel>({1, 64, 0, nullptr}, host.data(), out.p);
    err = run_and_take_error();
    CHECK(contains(err, "which is not device memory"));
  }

  TEST_CASE("a misaligned float4 is reported (x86 would not mind; a GPU faults)") {
    DeviceArray<float> in(8), out(1);
    launch<float4_read_kernel>({1, 1, 0, nullptr}, in.p, out.p);
    const std::string err = run_and_take_error();
    CHECK(contains(err, "misaligned access"));
    CHECK(contains(err, "not 16-byte aligned"));
    CHECK(contains(err, "float4_read_kernel"));
  }

  TEST_CASE("the caching allocator's rounding slack is out of bounds too") {
    if (!access_checks_or_notice()) return;
    void* block = nullptr;
    CYCLONE_CUDA_CHECK(cudaMalloc(&block, 512));
    emu::set_accessible_bytes(block, 100 * sizeof(float));
    launch<write_n_kernel>({1, 32, 0, nullptr}, static_cast<float*>(block), 101);
    const std::string err = run_and_take_error();
    CHECK(contains(err, "whose 400 bytes are in use (512 allocated)"));
    CHECK(cudaFree(block) == cudaSuccess);
  }

  TEST_CASE("host code on one thread is not checked against a kernel another thread runs") {
    // A DataLoader thread may drain the queue (and so run the training thread's kernels)
    // while the training thread goes on with host code in CUDA sources: those loads and
    // stores (here to a heap vector) belong to no kernel and must not be checked as one's.
    g_kernel_started = 0;
    g_host_done = 0;
    DeviceArray<int> out(1);
    launch<wait_for_host_kernel>({1, 1, 0, nullptr}, out.p);
    std::thread drains([] { (void)cudaDeviceSynchronize(); });
    REQUIRE(wait_for(g_kernel_started));
    std::vector<int> heap(256);
    for (size_t i = 0; i < heap.size(); ++i) heap[i] = static_cast<int>(i);
    int sum = 0;
    for (int v : heap) sum += v;
    g_host_done = 1;
    drains.join();
    CHECK(sum == 255 * 256 / 2);
    CHECK(run_and_take_error() == "");
    CHECK(out.host() == std::vector<int>{1});
  }
}
