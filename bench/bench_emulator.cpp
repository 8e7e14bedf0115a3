// The emulated CUDA device's own speed (EMULATE builds only): each SGEMM version of
// kernels/cuda/gemm.cu at a few square sizes, validated against the CPU GEMM, in
// GFLOP/s of emulated work, with the scheduler's counts per launch (blocks, fiber
// switches, barriers, warp collectives, checked loads and stores). This times the
// emulator, not a GPU: compare builds (g++, clang with access checks, ASan) with it.
//   build-emu/bench/bench_emulator [sizes...]   (default 64 128 256)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cuda/emulator/engine.h"
#include "kernels/cuda/gemm_versions.h"

namespace {

using cyclone::kernels::GemmArgs;
namespace emu = cyclone::emu;

float* device_copy(const std::vector<float>& h) {
  void* p = nullptr;
  if (cudaMalloc(&p, h.size() * 4) != cudaSuccess) std::abort();
  cudaMemcpy(p, h.data(), h.size() * 4, cudaMemcpyHostToDevice);
  return static_cast<float*>(p);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
  if (sizes.empty()) sizes = {64, 128, 256};
  std::printf("emulated SGEMM (access checks %s)\n", emu::access_checks_enabled() ? "on" : "off");
  std::printf("%-8s %6s %10s %10s %8s %12s %10s %12s %14s %s\n", "version", "n", "ms", "GFLOP/s", "blocks",
              "switches", "barriers", "collectives", "checked", "check");
  for (int64_t n : sizes) {
    std::vector<float> a(n * n), b(n * n), want(n * n), got(n * n);
    for (int64_t i = 0; i < n * n; ++i) {
      a[i] = float((i * 7) % 13) / 13.f - 0.5f;
      b[i] = float((i * 11) % 17) / 17.f - 0.5f;
    }
    GemmArgs g;
    g.m = g.n = g.k = n;
    g.lda = g.ldb = g.ldc = n;
    g.a = a.data(), g.b = b.data(), g.c = want.data();
    cyclone::kernels::cpu::gemm_reference(g);
    float *da = device_copy(a), *db = device_copy(b), *dc = device_copy(got);
    g.a = da, g.b = db, g.c = dc;
    for (int v = 1; v <= cyclone::kernels::cuda::kGemmVersions; ++v) {
      const emu::Counters before = emu::counters();
      const auto t0 = std::chrono::steady_clock::now();
      cyclone::kernels::cuda::gemm_version(v, g);
      cudaDeviceSynchronize();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      const emu::Counters& c = emu::counters();
      cudaMemcpy(got.data(), dc, got.size() * 4, cudaMemcpyDeviceToHost);
      double worst = 0;
      for (int64_t i = 0; i < n * n; ++i) worst = std::fmax(worst, std::fabs(got[i] - want[i]));
      std::printf("v%-7d %6lld %10.1f %10.3f %8llu %12llu %10llu %12llu %14llu %s\n", v, (long long)n, ms,
                  2.0 * n * n * n / (ms * 1e6), (unsigned long long)(c.blocks - before.blocks),
                  (unsigned long long)(c.fiber_switches - before.fiber_switches),
                  (unsigned long long)(c.barriers - before.barriers),
                  (unsigned long long)(c.warp_collectives - before.warp_collectives),
                  (unsigned long long)(c.checked_accesses - before.checked_accesses),
                  worst < 1e-3 ? "ok" : "WRONG");
    }
    cudaFree(da), cudaFree(db), cudaFree(dc);
  }
  return 0;
}
