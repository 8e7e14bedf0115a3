// GPU SGEMM benchmark: every cyclone CUDA GEMM version (kernels::cuda::gemm_version)
// next to cuBLAS SGEMM in plain fp32 (TF32 off) in the same run, at 1024..8192
// cubed: TFLOP/s and % of cuBLAS. Each version is first validated on fresh
// random inputs against cuBLAS, and at 1024 against the CPU's gemm_blocked.
// v1 (naive) is skipped above 2048. v4 computes in TF32: it is timed against
// cuBLAS with TF32 tensor ops (its own row) and validated to the TF32 tolerance.
// Exits 0 with a notice when no GPU is present.
//   build/bench/bench_matmul [sizes...]        e.g. bench_matmul 1024 4096
#include <cublas_v2.h>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/harness_cuda.cuh"
#include "kernels/contract.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/cuda_runtime.h"

namespace {

using namespace cyclone;
using kernels::GemmArgs;

constexpr int64_t kCpuCheckSize = 1024;   // the size validated against the CPU as well
constexpr int64_t kNaiveMaxSize = 2048;   // v1 is too slow above this

#define BENCH_CUBLAS_CHECK(expr)                                                                          \
  do {                                                                                                    \
    const cublasStatus_t st_ = (expr);                                                                    \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                                                   \
      throw std::runtime_error(std::string("cuBLAS error at ") + __FILE__ + ":" + std::to_string(__LINE__) + \
                               ": " + #expr + ": " + cublasGetStatusString(st_));                         \
    }                                                                                                     \
  } while (0)

// cuBLAS on cyclone's stream, in fp32 math (CUBLAS_DEFAULT_MATH: no TF32) or with
// TF32 tensor ops (CUBLAS_TF32_TENSOR_OP_MATH).
class Cublas {
 public:
  Cublas(cudaStream_t s, cublasMath_t mode) {
    BENCH_CUBLAS_CHECK(cublasCreate(&h_));
    BENCH_CUBLAS_CHECK(cublasSetStream(h_, s));
    BENCH_CUBLAS_CHECK(cublasSetMathMode(h_, mode));
  }
  ~Cublas() { cublasDestroy(h_); }
  Cublas(const Cublas&) = delete;
  Cublas& operator=(const Cublas&) = delete;

  // Row-major C (m x n) = A (m x k) B (k x n). cuBLAS is column-major, where our
  // row-major C is C^T; so compute C^T = B^T A^T with B as the first operand.
  void sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) const {
    const float alpha = 1.f, beta = 0.f;
    const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
    BENCH_CUBLAS_CHECK(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &alpha, b, N, a, K, &beta, c, N));
  }

 private:
  cublasHandle_t h_ = nullptr;
};

GemmArgs square_gemm(int64_t n, const float* a, const float* b, float* c) {
  GemmArgs g;
  g.m = g.n = g.k = n;
  g.a = a, g.lda = n;
  g.b = b, g.ldb = n;
  g.c = c, g.ldc = n;
  return g;
}

struct Context {
  cudaStream_t stream;
  const Cublas& blas;
  const Cublas& blas_tf32;
  bench::L2Flusher& flusher;
  bench::Report& report;
  uint64_t seed;
};

// Benchmarks one size; returns false if any kernel failed validation.
bool bench_size(Context& ctx, int64_t n) {
  const size_t count = static_cast<size_t>(n * n);
  const cudaStream_t s = ctx.stream;
  bench::DeviceBuffer a(count), b(count), c(count), c_blas(count);
  const uint64_t seed = ctx.seed + static_cast<uint64_t>(n);  // fresh inputs for every size
  kernels::cuda::random_uniform(a.data(), static_cast<int64_t>(count), seed, 0, -1.f, 1.f);
  kernels::cuda::random_uniform(b.data(), static_cast<int64_t>(count), seed + 1, 0, -1.f, 1.f);

  c_blas.poison(s);
  ctx.blas.sgemm(n, n, n, a.data(), b.data(), c_blas.data());
  const std::vector<float> ref_blas = c_blas.to_host(s);

  std::vector<float> ref_cpu;
  if (n == kCpuCheckSize) {
    const std::vector<float> ha = a.to_host(s), hb = b.to_host(s);
    ref_cpu.assign(count, 0.f);
    kernels::cpu::gemm_blocked(square_gemm(n, ha.data(), hb.data(), ref_cpu.data()));
  }
  bool all_ok = true;
  auto check_against = [&](const std::vector<float>& out, const std::vector<float>& ref, const char* name,
                           double tol = bench::kFp32Tolerance) {
    const bench::ErrorStats e = bench::compare(out, ref);
    all_ok = all_ok && e.ok(tol);
    return std::string(name) + " " + bench::describe(e, tol);
  };

  bench::TimingOptions opt;
  const bench::Work work = bench::gemm_work(n, n, n);
  const std::string size = std::to_string(n) + "^3";
  bench::Row blas_row{"cuBLAS", size, work, {}, 100.0, ref_cpu.empty() ? "peer" : check_against(ref_blas, ref_cpu, "vs CPU")};
  blas_row.time = bench::time_cuda([&] { ctx.blas.sgemm(n, n, n, a.data(), b.data(), c_blas.data()); }, s,
                                   ctx.flusher, opt);
  ctx.report.add(blas_row);

  // cuBLAS with TF32 tensor ops: the peer of the TF32 version (v4).
  c.poison(s);
  ctx.blas_tf32.sgemm(n, n, n, a.data(), b.data(), c.data());
  bench::Row tf32_row{"cuBLAS TF32", size, work, {}, 100.0,
                      check_against(c.to_host(s), ref_blas, "vs cuBLAS", bench::kTf32Tolerance)};
  tf32_row.time = bench::time_cuda([&] { ctx.blas_tf32.sgemm(n, n, n, a.data(), b.data(), c.data()); }, s,
                                   ctx.flusher, opt);
  ctx.report.add(tf32_row);

  const GemmArgs g = square_gemm(n, a.data(), b.data(), c.data());
  for (int v = 1; v <= kernels::cuda::kGemmVersions; ++v) {
    const bool tf32 = v == 4;  // gemm_versions.h: v4 runs on the TF32 tensor cores
    const std::string name = "cyclone v" + std::to_string(v) + (tf32 ? " TF32" : "");
    const double tol = tf32 ? bench::kTf32Tolerance : bench::kFp32Tolerance;
    if (v == 1 && n > kNaiveMaxSize) {
      std::printf("%-14s %-8s skipped (naive version; sizes above %lld only)\n", name.c_str(), size.c_str(),
                  static_cast<long long>(kNaiveMaxSize));
      continue;
    }
    c.poison(s);
    kernels::cuda::gemm_version(v, g);
    const std::vector<float> out = c.to_host(s);
    std::string check = check_against(out, ref_blas, "vs cuBLAS", tol);
    if (!ref_cpu.empty()) check += "; " + check_against(out, ref_cpu, "vs CPU", tol);
    bench::Row row{name, size, work, {}, 0.0, check};
    row.time = bench::time_cuda([&] { kernels::cuda::gemm_version(v, g); }, s, ctx.flusher, opt);
    row.ratio_pct = 100.0 * (tf32 ? tf32_row : blas_row).time.median_ms / row.time.median_ms;  // % of its peer
    ctx.report.add(row);
  }
  return all_ok;
}

int run(const std::vector<int64_t>& sizes) {
  if (kernels::cuda::device_count() == 0) {
    std::printf("bench_matmul: no CUDA device found; nothing to time (the build itself is fine).\n");
    return 0;
  }
  const cudaStream_t s = kernels::cuda::stream();
  const uint64_t seed = bench::fresh_seed();
  std::printf("seed %llu (CYCLONE_BENCH_SEED replays it); tolerance %.0e relative (%.0e for TF32 rows); "
              "cuBLAS math mode: CUBLAS_DEFAULT_MATH (fp32, no TF32), and CUBLAS_TF32_TENSOR_OP_MATH for "
              "\"cuBLAS TF32\", the peer of \"cyclone v4 TF32\"\n",
              static_cast<unsigned long long>(seed), bench::kFp32Tolerance, bench::kTf32Tolerance);
  bench::Report report("bench_matmul", bench::gpu_card(), "TFLOP/s", "% cuBLAS");
  const Cublas blas(s, CUBLAS_DEFAULT_MATH), blas_tf32(s, CUBLAS_TF32_TENSOR_OP_MATH);
  bench::L2Flusher flusher;
  Context ctx{s, blas, blas_tf32, flusher, report, seed};
  report.print_header();
  bool all_ok = true;
  for (int64_t n : sizes) all_ok = bench_size(ctx, n) && all_ok;
  report.print_markdown();
  if (!all_ok) std::printf("bench_matmul: VALIDATION FAILED for at least one kernel (see the check column)\n");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(bench::parse_sizes(argc, argv, {1024, 2048, 4096, 8192}));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_matmul: %s\n", e.what());
    return 1;
  }
}
