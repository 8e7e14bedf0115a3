// The tensor-core PTX of kernels/cuda/ptx.h and the TF32 GEMM (v4), in a test that both
// CUDA builds compile (suite "cuda"): on a GPU it settles that the fragment layouts written
// here from the PTX ISA are the hardware's; on the emulated device it checks the emulation
// against them. C++17 and kernels/ headers only, as nvcc compiles it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <ios>
#include <random>
#include <vector>

#include "kernels/contract.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/ptx.h"
#include "kernels/cuda_runtime.h"

namespace {

using namespace cyclone::kernels::cuda;
using cyclone::kernels::GemmArgs;

template <class T>
struct DeviceArray {
  explicit DeviceArray(const std::vector<T>& h) : n(h.size()) {
    CYCLONE_CUDA_CHECK(cudaMalloc(&p, n * sizeof(T)));
    CYCLONE_CUDA_CHECK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceArray() { cudaFree(p); }
  std::vector<T> host() const {
    CYCLONE_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<T> h(n);
    CYCLONE_CUDA_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  T* p = nullptr;
  size_t n;
};

bool device_or_skip() {
  if (device_count() > 0) return true;
  MESSAGE("skipped: no CUDA device");
  return false;
}

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
float from_bits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
// The nearest tf32, ties away from zero (finite x).
float tf32_rna(float x) { return from_bits((bits(x) + 0x1000u) & 0xffffe000u); }

std::vector<float> random_tf32(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> v(n);
  for (float& x : v) x = tf32_rna(u(rng));
  return v;
}

// ---- kernels ----
__global__ void tf32_round_kernel(const float* in, uint32_t* out, int n) {
  const int i = int(threadIdx.x);
  if (i < n) out[i] = float_to_tf32(in[i]);
}

// One m16n8k8 MMA, each lane building its fragments by the PTX ISA's layout (g = lane / 4,
// t = lane % 4): a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4], a3 = A[g+8][t+4];
// b0 = B[t][g], b1 = B[t+4][g]; c_i, d_i = [g + 8 (i / 2)][2 t + (i & 1)].
// A is 16x8, B 8x8, C and D 16x8, all row-major.
__global__ void mma_layout_kernel(const float* a, const float* b, const float* c, float* d) {
  const int lane = int(threadIdx.x), g = lane / 4, t = lane % 4;
  const uint32_t af[4] = {__float_as_uint(a[g * 8 + t]), __float_as_uint(a[(g + 8) * 8 + t]),
                          __float_as_uint(a[g * 8 + t + 4]), __float_as_uint(a[(g + 8) * 8 + t + 4])};
  const uint32_t bf[2] = {__float_as_uint(b[t * 8 + g]), __float_as_uint(b[(t + 4) * 8 + g])};
  float cf[4], df[4];
  for (int i = 0; i < 4; ++i) cf[i] = c[(g + 8 * (i / 2)) * 8 + 2 * t + (i & 1)];
  mma_m16n8k8_tf32(df, af, bf, cf);
  for (int i = 0; i < 4; ++i) d[(g + 8 * (i / 2)) * 8 + 2 * t + (i & 1)] = df[i];
}

// ldmatrix of N 8x8 b16 matrices: element e of row r of matrix j is j*64 + r*8 + e, and row
// r of matrix j lives at shared row j*8 + (3r mod 8) (so each lane's address matters).
// out[lane * 4 + j] = what the lane received for matrix j.
template <int N, bool Trans>
__global__ void ldmatrix_kernel(uint32_t* out) {
  __shared__ __align__(16) uint16_t rows[32][16];  // 16 elements a row: 8 used, 8 of padding
  const int lane = int(threadIdx.x);
  for (int e = 0; e < 16; ++e) {
    const int j = lane / 8, r = lane % 8;
    rows[j * 8 + (3 * r) % 8][e] = uint16_t(e < 8 ? j * 64 + r * 8 + e : 0xffff);
  }
  __syncthreads();
  const int j = (lane / 8) % N, r = lane % 8;
  uint32_t got[N];
  const void* row = &rows[j * 8 + (3 * r) % 8][0];
  if constexpr (N == 1) ldmatrix_x1<Trans>(got, row);
  if constexpr (N == 2) ldmatrix_x2<Trans>(got, row);
  if constexpr (N == 4) ldmatrix_x4<Trans>(got, row);
  for (int m = 0; m < N; ++m) out[lane * 4 + m] = got[m];
}

// Thread i copies 16 bytes from src + 4 i with src_bytes = 4 (i % 5) (0 to 16) in group 0,
// and 16 more from src + 128 + 4 i in group 1; after wait_group 1 its group 0 has landed,
// after wait_group 0 both.
__global__ void cp_async_kernel(const float* src, float* out) {
  __shared__ __align__(16) float s[2][32][4];
  const int i = int(threadIdx.x);
  cp_async_16_zfill(&s[0][i][0], src + 4 * i, 4 * (i % 5));
  cp_async_commit();
  cp_async_16(&s[1][i][0], src + 128 + 4 * i);
  cp_async_commit();
  cp_async_wait<1>();
  for (int e = 0; e < 4; ++e) out[i * 4 + e] = s[0][i][e];
  cp_async_wait<0>();
  for (int e = 0; e < 4; ++e) out[128 + i * 4 + e] = s[1][i][e];
}

}  // namespace

TEST_CASE("cvt.rna.tf32.f32 rounds to nearest, ties away from zero" * doctest::test_suite("cuda")) {
  if (!device_or_skip()) return;
  // {input bits, expected bits}
  const std::vector<std::pair<uint32_t, uint32_t>> cases = {
      {0x3f800000u, 0x3f800000u},  // 1: already a tf32
      {0x3f801000u, 0x3f802000u},  // 1 + half an ulp: a tie, away from zero (to even would stay)
      {0x3f800fffu, 0x3f800000u},  // just below the tie: down
      {0x3f801001u, 0x3f802000u},  // just above: up
      {0x3f803000u, 0x3f804000u},  // a tie from an odd tf32
      {0xbf801000u, 0xbf802000u},  // negative tie: away from zero, to the larger magnitude
      {0xbf800fffu, 0xbf800000u},
      {0x00001000u, 0x00002000u},  // a subnormal tie
      {0x80000000u, 0x80000000u},  // -0
      {0x7f7fffffu, 0x7f800000u},  // past the largest tf32: inf
      {0x7f800000u, 0x7f800000u},  // inf
      {0xff800000u, 0xff800000u},  // -inf
  };
  std::vector<float> in;
  for (const auto& c : cases) in.push_back(from_bits(c.first));
  in.push_back(from_bits(0x7fc00000u));  // NaN
  DeviceArray<float> d_in(in);
  DeviceArray<uint32_t> d_out(std::vector<uint32_t>(in.size(), 0));
  launch<tf32_round_kernel>({1, 32, 0, nullptr}, d_in.p, d_out.p, int(in.size()));
  CYCLONE_CUDA_LAUNCH_CHECK();
  const std::vector<uint32_t> out = d_out.host();
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("input 0x" << std::hex << cases[i].first);
    CHECK(out[i] == cases[i].second);
  }
  CHECK(std::isnan(from_bits(out.back())));
}

TEST_CASE("mma.sync m16n8k8 tf32: the fragment layouts of the PTX ISA, on random inputs" * doctest::test_suite("cuda")) {
  if (!device_or_skip()) return;
  const std::vector<float> a = random_tf32(16 * 8, 1), b = random_tf32(8 * 8, 2), c = random_tf32(16 * 8, 3);
  DeviceArray<float> da(a), db(b), dc(c), dd(std::vector<float>(16 * 8, NAN));
  launch<mma_layout_kernel>({1, 32, 0, nullptr}, da.p, db.p, dc.p, dd.p);
  CYCLONE_CUDA_LAUNCH_CHECK();
  const std::vector<float> d = dd.host();
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 8; ++j) {
      double want = c[i * 8 + j], magnitude = std::fabs(want);
      for (int p = 0; p < 8; ++p) {
        want += double(a[i * 8 + p]) * b[p * 8 + j];
        magnitude += std::fabs(double(a[i * 8 + p]) * b[p * 8 + j]);
      }
      INFO("D[" << i << "][" << j << "]");
      CHECK(std::fabs(d[i * 8 + j] - want) <= 10 * std::ldexp(magnitude, -24));  // fp32 accumulation
    }
  }
}

TEST_CASE("ldmatrix x1, x2, x4, plain and .trans: the PTX ISA's layout" * doctest::test_suite("cuda")) {
  if (!device_or_skip()) return;
  auto check = [](auto kernel_tag, int n, bool trans) {
    DeviceArray<uint32_t> out(std::vector<uint32_t>(32 * 4, 0xdeadbeefu));
    kernel_tag(out.p);
    CYCLONE_CUDA_LAUNCH_CHECK();
    const std::vector<uint32_t> got = out.host();
    auto element = [](int j, int r, int e) { return uint32_t(j * 64 + r * 8 + e); };
    for (int lane = 0; lane < 32; ++lane) {
      for (int j = 0; j < n; ++j) {
        // plain: row lane/4, elements 2(lane%4), +1; .trans: element lane/4 of rows 2(lane%4), +1
        const int g = lane / 4, t = lane % 4;
        const uint32_t lo = trans ? element(j, 2 * t, g) : element(j, g, 2 * t);
        const uint32_t hi = trans ? element(j, 2 * t + 1, g) : element(j, g, 2 * t + 1);
        INFO("x" << n << (trans ? ".trans" : "") << " lane " << lane << " matrix " << j);
        CHECK(got[lane * 4 + j] == (lo | hi << 16));
      }
    }
  };
  check([](uint32_t* o) { launch<ldmatrix_kernel<1, false>>({1, 32, 0, nullptr}, o); }, 1, false);
  check([](uint32_t* o) { launch<ldmatrix_kernel<2, false>>({1, 32, 0, nullptr}, o); }, 2, false);
  check([](uint32_t* o) { launch<ldmatrix_kernel<4, false>>({1, 32, 0, nullptr}, o); }, 4, false);
  check([](uint32_t* o) { launch<ldmatrix_kernel<1, true>>({1, 32, 0, nullptr}, o); }, 1, true);
  check([](uint32_t* o) { launch<ldmatrix_kernel<2, true>>({1, 32, 0, nullptr}, o); }, 2, true);
  check([](uint32_t* o) { launch<ldmatrix_kernel<4, true>>({1, 32, 0, nullptr}, o); }, 4, true);
}

TEST_CASE("cp.async: data lands by wait_group, zero-filled past src-size" * doctest::test_suite("cuda")) {
  if (!device_or_skip()) return;
  std::vector<float> src(256);
  for (size_t i = 0; i < src.size(); ++i) src[i] = float(i) + 0.5f;
  DeviceArray<float> d_src(src), d_out(std::vector<float>(256, NAN));
  launch<cp_async_kernel>({1, 32, 0, nullptr}, d_src.p, d_out.p);
  CYCLONE_CUDA_LAUNCH_CHECK();
  const std::vector<float> out = d_out.host();
  for (int i = 0; i < 32; ++i) {
    for (int e = 0; e < 4; ++e) {
      INFO("thread " << i << " element " << e);
      CHECK(out[i * 4 + e] == (e < i % 5 ? src[4 * i + e] : 0.f));
      CHECK(out[128 + i * 4 + e] == src[128 + 4 * i + e]);
    }
  }
}

TEST_CASE("gemm v4 (TF32) = the exact product of tf32-rounded inputs, to fp32 accumulation" * doctest::test_suite("cuda")) {
  if (!device_or_skip()) return;
  struct Shape {
    int64_t m, n, k;
    bool pad;  // leading dimensions rounded up to 4 floats: the cp.async path, edges zero-filled
  };
  for (const Shape& s : {Shape{1, 1, 1, true}, Shape{130, 70, 37, true}, Shape{64, 200, 40, false},
                         Shape{33, 17, 9, false}, Shape{150, 129, 20, true}}) {
    for (int trans = 0; trans < 4; ++trans) {
      const bool ta = trans & 1, tb = trans & 2;
      auto ld_of = [&](int64_t cols) { return s.pad ? (cols + 3) / 4 * 4 : cols; };
      const int64_t lda = ld_of(ta ? s.m : s.k), ldb = ld_of(tb ? s.k : s.n);
      const int64_t size_a = (ta ? s.k : s.m) * lda, size_b = (tb ? s.n : s.k) * ldb, size_c = s.m * s.n;
      const int64_t stride_a = ld_of(size_a), stride_b = ld_of(size_b), batch = 2;
      const std::vector<float> a = random_tf32(size_t(batch * stride_a), uint32_t(11 + trans));
      const std::vector<float> b = random_tf32(size_t(batch * stride_b), uint32_t(21 + trans));
      const std::vector<float> c0 = random_tf32(size_t(batch * size_c), uint32_t(31 + trans));
      // Raw fp32 inputs would be rounded by the kernel; tf32 ones make the exact product the target.
      const float alpha = 1.5f, beta = -0.5f;
      DeviceArray<float> da(a), db(b), dc(c0);
      GemmArgs g;
      g.batch = batch; g.m = s.m; g.n = s.n; g.k = s.k;
      g.a = da.p; g.lda = lda; g.stride_a = stride_a; g.trans_a = ta;
      g.b = db.p; g.ldb = ldb; g.stride_b = stride_b; g.trans_b = tb;
      g.c = dc.p; g.ldc = s.n; g.stride_c = size_c; g.alpha = alpha; g.beta = beta;
      gemm_version(4, g);
      CYCLONE_CUDA_LAUNCH_CHECK();
      const std::vector<float> got = dc.host();
      INFO("m=" << s.m << " n=" << s.n << " k=" << s.k << " pad=" << s.pad << " ta=" << ta << " tb=" << tb);
      bool ok = true;
      for (int64_t z = 0; z < batch && ok; ++z) {
        for (int64_t i = 0; i < s.m && ok; ++i) {
          for (int64_t j = 0; j < s.n && ok; ++j) {
            double sum = 0, magnitude = 0;
            for (int64_t p = 0; p < s.k; ++p) {
              const double x = a[size_t(z * stride_a + (ta ? p * lda + i : i * lda + p))];
              const double y = b[size_t(z * stride_b + (tb ? j * ldb + p : p * ldb + j))];
              sum += x * y;
              magnitude += std::fabs(x * y);
            }
            const double c = c0[size_t(z * size_c + i * s.n + j)];
            const double want = alpha * sum + beta * c;
            const double tol = std::ldexp(double(s.k + 4) * (std::fabs(alpha) * magnitude + std::fabs(beta * c)), -24);
            const float v = got[size_t(z * size_c + i * s.n + j)];
            if (!(std::fabs(v - want) <= tol)) {
              FAIL_CHECK("C[" << z << "][" << i << "][" << j << "] = " << v << ", want " << want << " within " << tol);
              ok = false;
            }
          }
        }
      }
    }
  }
}
