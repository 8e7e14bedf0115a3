// The emulated device's tensor-core PTX (kernels/cuda/ptx.h; suite "emulator", EMULATE
// builds only): what a GPU would not report, shown to fire on kernels written to trip it
// (a cp.async destination read before its wait_group, mma.sync with lanes missing or at
// different call sites), and the TF32 operand truncation of mma.sync.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/ptx.h"
#include "test_emulator_helpers.h"

using namespace cyclone::kernels::cuda;
namespace emu = cyclone::emu;
using cyclone::test::contains;
using cyclone::test::DeviceArray;
using cyclone::test::run_and_take_error;

namespace {

// Reads its cp.async destination too early: before any wait (early = 0, into out[32..]), or
// after a wait_group 1 that leaves the copy's group, the newest, pending (early = 1); with
// early = 2 it reads only what has landed.
__global__ void early_read_kernel(const float* src, float* out, int early) {
  __shared__ __align__(16) float s[2][32][4];
  const int i = int(threadIdx.x);
  cp_async_16(&s[0][i][0], src + 4 * i);
  cp_async_commit();
  if (early == 0) out[32 + i] = s[0][i][0];
  cp_async_16(&s[1][i][0], src + 128 + 4 * i);
  cp_async_commit();
  cp_async_wait<1>();
  out[i] = early == 1 ? s[1][i][0] : s[0][i][0];
  cp_async_wait<0>();
}

// One mma.sync with A = 1 + 2^-12 (below tf32's precision) in every lane, B = 1, C = 0.
__global__ void mma_truncation_kernel(float* out) {
  const uint32_t one_plus = 0x3f800000u | 0x800u, one = 0x3f800000u;
  const uint32_t a[4] = {one_plus, one_plus, one_plus, one_plus}, b[2] = {one, one};
  const float c[4] = {0.f, 0.f, 0.f, 0.f};
  float d[4];
  mma_m16n8k8_tf32(d, a, b, c);
  out[threadIdx.x] = d[0];
}

// mode 0: lanes 16..31 exit before the mma; mode 1: the two half-warps reach two mma sites.
__global__ void bad_mma_kernel(float* out, int mode) {
  const uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  const float c[4] = {0.f, 0.f, 0.f, 0.f};
  float d[4] = {0.f, 0.f, 0.f, 0.f};
  if (mode == 0 && threadIdx.x >= 16) return;
  if (threadIdx.x < 16) {
    mma_m16n8k8_tf32(d, a, b, c);
  } else {
    mma_m16n8k8_tf32(d, a, b, c);
  }
  out[threadIdx.x] = d[0];
}

}  // namespace

TEST_SUITE("emulator") {
  TEST_CASE("a read of a cp.async destination before its wait_group is reported, or reads the poison") {
    std::vector<float> h(256, 1.f);
    DeviceArray<float> src(256), out(64);
    CYCLONE_CUDA_CHECK(cudaMemcpy(src.p, h.data(), 256 * 4, cudaMemcpyHostToDevice));
    for (int early : {0, 1}) {
      INFO("early " << early);
      launch<early_read_kernel>({1, 32, 0, nullptr}, src.p, out.p, early);
      if (emu::access_checks_enabled()) {
        const std::string err = run_and_take_error();
        CHECK(contains(err, "a cp.async has not yet delivered"));
        CHECK(contains(err, "early_read_kernel"));
      } else {
        CYCLONE_CUDA_LAUNCH_CHECK();
        uint32_t poison;
        const float first = out.host()[early == 0 ? 32 : 0];
        std::memcpy(&poison, &first, 4);
        CHECK(poison == 0x7fbadbadu);  // the signalling NaN that stands in for the copy
      }
    }
    launch<early_read_kernel>({1, 32, 0, nullptr}, src.p, out.p, 2);
    CHECK(run_and_take_error().empty());
    const std::vector<float> got = out.host();
    CHECK(std::vector<float>(got.begin(), got.begin() + 32) == std::vector<float>(32, 1.f));
  }

  TEST_CASE("mma.sync reads its operands as tf32: the low 13 mantissa bits are ignored") {
    DeviceArray<float> out(32);
    launch<mma_truncation_kernel>({1, 32, 0, nullptr}, out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    CHECK(out.host() == std::vector<float>(32, 8.f));  // 8 products of 1 x 1, not 8 (1 + 2^-12)
  }

  TEST_CASE("mma.sync with lanes missing, or lanes at two call sites, is reported") {
    DeviceArray<float> out(32);
    launch<bad_mma_kernel>({1, 32, 0, nullptr}, out.p, 0);
    std::string err = run_and_take_error();
    CHECK(contains(err, "mma.sync.m16n8k8.tf32 at test_emulator_ptx.cu"));
    CHECK(contains(err, "is never reached by every lane"));
    CHECK(contains(err, "lane 16 exited"));
    launch<bad_mma_kernel>({1, 32, 0, nullptr}, out.p, 1);
    err = run_and_take_error();
    CHECK(contains(err, "bad_mma_kernel"));
    CHECK(contains(err, "wait in mma.sync.m16n8k8.tf32 at test_emulator_ptx.cu"));
    launch<bad_mma_kernel>({1, 16, 0, nullptr}, out.p, 1);  // a warp of 16 lanes
    CHECK(contains(run_and_take_error(), "names lanes that do not exist"));
  }
}
