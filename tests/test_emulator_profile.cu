// The emulated device's profile counters (suite "emulator", clang EMULATE builds with access checks):
// exact sectors per request and shared-memory wavefronts on access patterns with known answers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda_runtime.h"

using cyclone::kernels::cuda::launch;
namespace emu = cyclone::emu;

namespace {

// Device memory of n floats, all written, freed on scope exit.
struct DeviceFloats {
  explicit DeviceFloats(size_t n) {
    CYCLONE_CUDA_CHECK(cudaMalloc(&p, n * sizeof(float)));
    const std::vector<float> zeros(n, 0.f);
    CYCLONE_CUDA_CHECK(cudaMemcpy(p, zeros.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  }
  ~DeviceFloats() { cudaFree(p); }
  float* p = nullptr;
};

// Profiling on, from a clean slate, for one test; the counters need the access hooks.
struct Profiling {
  bool saved = emu::profiling();
  Profiling() {
    REQUIRE_MESSAGE(emu::access_checks_enabled(), "the profile counters need a clang build with access checks");
    emu::set_profiling(true);
    emu::reset_profiles();
  }
  ~Profiling() { emu::set_profiling(saved); }
};

// The one kernel profiled since the reset.
emu::KernelProfile only_profile() {
  CYCLONE_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<emu::KernelProfile> all = emu::kernel_profiles();
  REQUIRE(all.size() == 1);
  return all[0];
}

// ---- kernels ----
__global__ void copy_floats(const float* in, float* out, int stride) {
  const int t = static_cast<int>(threadIdx.x);
  out[t] = in[t * stride];
}

__global__ void copy_float4s(const float4* in, float4* out) {
  const int t = static_cast<int>(threadIdx.x);
  out[t] = in[t];
}

__global__ void sum_rows(const float* in, float* out, int rows) {
  const int t = static_cast<int>(threadIdx.x);
  float s = 0;
  for (int r = 0; r < rows; ++r) s += in[r * 32 + t];
  out[t] = s;
}

// Writes shared word t * stride, then reads word (t * stride) of the same array.
__global__ void shared_strided(float* out, int stride) {
  __shared__ float s[32 * 32];
  const int t = static_cast<int>(threadIdx.x);
  s[t * stride] = float(t);
  __syncthreads();
  out[t] = s[t * stride];
}

__global__ void shared_broadcast(float* out) {
  __shared__ float s[1];
  if (threadIdx.x == 0) s[0] = 1.f;
  __syncthreads();
  out[threadIdx.x] = s[0];
}

// A 32x32 tile written by rows and read by columns, with Pad extra words per row.
template <int Pad>
__global__ void transpose_tile(const float* in, float* out) {
  __shared__ float tile[32][32 + Pad];
  const int x = static_cast<int>(threadIdx.x), y = static_cast<int>(threadIdx.y);
  tile[y][x] = in[y * 32 + x];
  __syncthreads();
  out[y * 32 + x] = tile[x][y];
}

__global__ void shared_float4s(float* out) {
  __shared__ float4 s[32];
  const int t = static_cast<int>(threadIdx.x);
  s[t] = make_float4(1.f, 2.f, 3.f, float(t));
  __syncthreads();
  const float4 v = s[t];
  out[t] = v.x + v.y + v.z + v.w;
}

__global__ void shared_doubles(float* out) {
  __shared__ double s[32];
  const int t = static_cast<int>(threadIdx.x);
  s[t] = double(t);
  __syncthreads();
  out[t] = float(s[t]);
}

}  // namespace

TEST_SUITE("emulator") {
  TEST_CASE("profile: consecutive float loads are 4 sectors a request, stride-32 loads 32") {
    Profiling on;
    DeviceFloats in(32 * 32), out(32);
    SUBCASE("consecutive") {
      launch<copy_floats>({1, 32, 0, nullptr}, in.p, out.p, 1);
      const emu::KernelProfile p = only_profile();
      CHECK(p.name == "copy_floats");
      CHECK(p.launches == 1);
      CHECK(p.block.x == 32);
      CHECK(p.sampled.global_load_requests == 1);
      CHECK(p.sampled.global_load_bytes == 128);
      CHECK(p.sampled.global_load_sectors == 4);
      CHECK(p.sampled.global_store_requests == 1);
      CHECK(p.sampled.global_store_sectors == 4);
      CHECK(p.sampled.shared_load_requests == 0);
      CHECK(p.sampled.dropped_accesses == 0);
    }
    SUBCASE("stride 32 floats") {
      launch<copy_floats>({1, 32, 0, nullptr}, in.p, out.p, 32);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.global_load_requests == 1);
      CHECK(p.sampled.global_load_bytes == 128);
      CHECK(p.sampled.global_load_sectors == 32);
      CHECK(p.sampled.global_store_sectors == 4);
    }
  }

  TEST_CASE("profile: a float4 copy is one 16-sector request each way") {
    Profiling on;
    DeviceFloats in(32 * 4), out(32 * 4);
    launch<copy_float4s>({1, 32, 0, nullptr}, reinterpret_cast<const float4*>(in.p), reinterpret_cast<float4*>(out.p));
    const emu::KernelProfile p = only_profile();
    CHECK(p.sampled.global_load_requests == 1);
    CHECK(p.sampled.global_load_bytes == 512);
    CHECK(p.sampled.global_load_sectors == 16);
    CHECK(p.sampled.global_store_requests == 1);
    CHECK(p.sampled.global_store_sectors == 16);
  }

  TEST_CASE("profile: each execution of a load in a loop is its own request") {
    Profiling on;
    DeviceFloats in(32 * 5), out(32);
    launch<sum_rows>({1, 32, 0, nullptr}, in.p, out.p, 5);
    const emu::KernelProfile p = only_profile();
    CHECK(p.sampled.global_load_requests == 5);
    CHECK(p.sampled.global_load_sectors == 20);
    CHECK(p.sampled.global_store_requests == 1);
  }

  TEST_CASE("profile: shared-memory bank conflicts") {
    Profiling on;
    DeviceFloats out(32);
    SUBCASE("stride 32 floats: a 32-way conflict") {
      launch<shared_strided>({1, 32, 0, nullptr}, out.p, 32);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_store_requests == 1);
      CHECK(p.sampled.shared_load_requests == 1);
      CHECK(p.sampled.shared_wavefronts == 64);  // 32 for the store, 32 for the load
      CHECK(p.sampled.shared_ideal_wavefronts == 2);
    }
    SUBCASE("consecutive floats: none") {
      launch<shared_strided>({1, 32, 0, nullptr}, out.p, 1);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_wavefronts == 2);
      CHECK(p.sampled.shared_ideal_wavefronts == 2);
    }
    SUBCASE("stride 2 floats: 2-way") {
      launch<shared_strided>({1, 32, 0, nullptr}, out.p, 2);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_wavefronts == 4);
      CHECK(p.sampled.shared_ideal_wavefronts == 2);
    }
    SUBCASE("every lane reads one word: a broadcast") {
      launch<shared_broadcast>({1, 32, 0, nullptr}, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_store_requests == 1);  // lane 0 alone
      CHECK(p.sampled.shared_load_requests == 1);
      CHECK(p.sampled.shared_wavefronts == 2);
      CHECK(p.sampled.shared_ideal_wavefronts == 2);
    }
    SUBCASE("float4: four quarter-warp wavefronts, no conflict") {
      launch<shared_float4s>({1, 32, 0, nullptr}, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_store_requests == 1);
      CHECK(p.sampled.shared_load_requests == 1);
      CHECK(p.sampled.shared_wavefronts == 8);
      CHECK(p.sampled.shared_ideal_wavefronts == 8);
    }
    SUBCASE("double: two half-warp wavefronts, no conflict") {
      launch<shared_doubles>({1, 32, 0, nullptr}, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_wavefronts == 4);
      CHECK(p.sampled.shared_ideal_wavefronts == 4);
    }
  }

  TEST_CASE("profile: a 32x32 transpose through shared memory, padded and not") {
    Profiling on;
    DeviceFloats in(32 * 32), out(32 * 32);
    SUBCASE("[32][33]: no conflict") {
      launch<transpose_tile<1>>({1, dim3(32, 32), 0, nullptr}, in.p, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_store_requests == 32);  // one a warp
      CHECK(p.sampled.shared_load_requests == 32);
      CHECK(p.sampled.shared_wavefronts == 64);
      CHECK(p.sampled.shared_ideal_wavefronts == 64);
      CHECK(p.sampled.global_load_sectors == 32 * 4);
    }
    SUBCASE("[32][32]: each column read is a 32-way conflict") {
      launch<transpose_tile<0>>({1, dim3(32, 32), 0, nullptr}, in.p, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_wavefronts == 32 + 32 * 32);
      CHECK(p.sampled.shared_ideal_wavefronts == 64);
    }
  }

  TEST_CASE("profile: a partial warp (16 threads)") {
    Profiling on;
    DeviceFloats in(32), out(32);
    SUBCASE("global") {
      launch<copy_floats>({1, 16, 0, nullptr}, in.p, out.p, 1);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.global_load_requests == 1);
      CHECK(p.sampled.global_load_bytes == 64);
      CHECK(p.sampled.global_load_sectors == 2);
    }
    SUBCASE("shared float4: two quarter-warp wavefronts each way") {
      launch<shared_float4s>({1, 16, 0, nullptr}, out.p);
      const emu::KernelProfile p = only_profile();
      CHECK(p.sampled.shared_wavefronts == 4);
      CHECK(p.sampled.shared_ideal_wavefronts == 4);
    }
  }

  TEST_CASE("profile: a sample of a large grid's blocks, scaled to the grid") {
    Profiling on;
    DeviceFloats in(32), out(32);
    launch<copy_floats>({100, 32, 0, nullptr}, in.p, out.p, 1);
    launch<copy_floats>({3, 32, 0, nullptr}, in.p, out.p, 1);
    const emu::KernelProfile p = only_profile();
    CHECK(p.launches == 2);
    CHECK(p.grid.x == 3);
    CHECK(p.blocks == 103);
    CHECK(p.profiled_blocks == 12 + 3);  // blocks 0-3 and every 12th of 100; all 3 of 3
    CHECK(p.sampled.global_load_requests == 15);
    CHECK(p.estimated.global_load_requests == doctest::Approx(103));
    CHECK(p.estimated.global_load_sectors == doctest::Approx(412));
  }

  TEST_CASE("profile: nothing is recorded with profiling off") {
    Profiling on;
    emu::set_profiling(false);
    DeviceFloats in(32), out(32);
    launch<copy_floats>({1, 32, 0, nullptr}, in.p, out.p, 1);
    CYCLONE_CUDA_CHECK(cudaDeviceSynchronize());
    CHECK(emu::kernel_profiles().empty());
  }
}
