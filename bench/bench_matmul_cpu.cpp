// CPU SGEMM benchmark: kernels::cpu::gemm_blocked at 256, 512, 1024 (and the
// triple-loop gemm_reference at 256 for contrast), GFLOP/s and % of this
// machine's fp32 peak = threads x GHz x flop/cycle for the micro-kernel that runs (64 with
// AVX-512: 2 FMA units x 16 lanes x 2; 32 with AVX2+FMA: 2 x 8 x 2). Validates gemm_blocked
// against gemm_reference first.
//   CYCLONE_NUM_THREADS=2 build/bench/bench_matmul_cpu [sizes...]
//   CYCLONE_CPU_GHZ=3.7 overrides the clock read from /proc/cpuinfo ("cpu MHz",
//   often the base clock rather than the boost clock).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/harness.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace {

using namespace cyclone;
using kernels::GemmArgs;

GemmArgs square_gemm(int64_t n, const std::vector<float>& a, const std::vector<float>& b, std::vector<float>& c) {
  GemmArgs g;
  g.m = g.n = g.k = n;
  g.a = a.data(), g.lda = n;
  g.b = b.data(), g.ldb = n;
  g.c = c.data(), g.ldc = n;
  return g;
}

struct Peak {
  double ghz = 0;
  int flops_per_cycle = 0;
  int threads = 0;
  std::string ghz_source;
  double gflops() const { return threads * ghz * flops_per_cycle; }
};

Peak estimate_peak() {
  Peak p;
  p.threads = kernels::cpu::num_threads();
  using kernels::cpu::MicroKernel;
  const MicroKernel k = kernels::cpu::gemm_micro_kernel();
  p.flops_per_cycle = k == MicroKernel::avx512 ? 64 : k == MicroKernel::avx2 ? 32 : 8;
  if (const std::string env = bench::env_or("CYCLONE_CPU_GHZ", ""); !env.empty()) {
    p.ghz = std::stod(env);
    p.ghz_source = "CYCLONE_CPU_GHZ";
  } else if (const std::string mhz = bench::cpuinfo_field("cpu MHz"); !mhz.empty()) {
    p.ghz = std::stod(mhz) / 1000.0;
    p.ghz_source = "/proc/cpuinfo cpu MHz";
  } else {
    p.ghz = 2.5;
    p.ghz_source = "assumed (no cpu MHz in /proc/cpuinfo; set CYCLONE_CPU_GHZ)";
  }
  return p;
}

// gemm_blocked against the double-accumulating reference on fresh inputs, output poisoned with NaN.
bool validate(int64_t n, uint64_t seed) {
  std::vector<float> a(n * n), b(n * n), ref(n * n, std::nanf("")), out(n * n, std::nanf(""));
  bench::fill_uniform(a, seed);
  bench::fill_uniform(b, seed + 1);
  kernels::cpu::gemm_reference(square_gemm(n, a, b, ref));
  kernels::cpu::gemm_blocked(square_gemm(n, a, b, out));
  const bench::ErrorStats e = bench::compare(out, ref);
  std::printf("validate gemm_blocked vs gemm_reference at %lld^3: %s\n", static_cast<long long>(n),
              bench::describe(e).c_str());
  return e.ok(bench::kFp32Tolerance);
}

bench::Row time_one(const char* name, void (*kernel)(const GemmArgs&), int64_t n, uint64_t seed, const Peak& peak,
                    bench::HostCacheFlusher& flusher, const std::string& check) {
  std::vector<float> a(n * n), b(n * n), c(n * n);
  bench::fill_uniform(a, seed);
  bench::fill_uniform(b, seed + 1);
  const GemmArgs g = square_gemm(n, a, b, c);
  bench::TimingOptions opt;
  opt.warmup = 2;
  opt.min_runs = 5;
  opt.target_ms = 1500;
  bench::Row r;
  r.kernel = name;
  r.size = std::to_string(n) + "^3";
  r.work = bench::gemm_work(n, n, n);
  r.time = bench::time_host([&] { kernel(g); }, flusher, opt);
  r.ratio_pct = 100.0 * (r.work.flops / (r.time.median_ms * 1e-3) / 1e9) / peak.gflops();
  r.check = check;
  return r;
}

int run(const std::vector<int64_t>& sizes) {
  const Peak peak = estimate_peak();
  std::string model = bench::cpuinfo_field("model name");
  if (model.empty()) model = "unknown CPU";
  const std::string card = model + ", " + std::to_string(peak.threads) + " threads";
  std::printf("peak fp32 estimate: %d threads x %.2f GHz (%s) x %d flop/cycle (%s) = %.1f GFLOP/s\n",
              peak.threads, peak.ghz, peak.ghz_source.c_str(), peak.flops_per_cycle,
              peak.flops_per_cycle == 64   ? "AVX-512: 2 FMA units x 16 lanes x 2"
              : peak.flops_per_cycle == 32 ? "AVX2+FMA: 2 FMA units x 8 lanes x 2"
                                           : "no AVX2: generic micro-kernel",
              peak.gflops());
  const uint64_t seed = bench::fresh_seed();
  std::printf("seed %llu (CYCLONE_BENCH_SEED replays it)\n", static_cast<unsigned long long>(seed));
  if (!validate(256, seed)) {
    std::printf("bench_matmul_cpu: validation FAILED; not timing a wrong kernel\n");
    return 1;
  }
  bench::Report report("bench_matmul_cpu", card, "GFLOP/s", "% peak");
  report.print_header();
  bench::HostCacheFlusher flusher;
  bool above_peak = false;
  auto add = [&](const bench::Row& r) {
    report.add(r);
    above_peak = above_peak || r.ratio_pct > 100.0;
  };
  add(time_one("reference", kernels::cpu::gemm_reference, 256, seed + 2, peak, flusher, "the specification"));
  for (int64_t n : sizes) {
    add(time_one("blocked", kernels::cpu::gemm_blocked, n, seed + 3, peak, flusher, "validated at 256^3"));
  }
  report.print_markdown();
  if (above_peak) {
    std::printf("note: above 100%% of the estimate, so the cores run faster than %.2f GHz (boost clock); "
                "set CYCLONE_CPU_GHZ to the real clock\n", peak.ghz);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<int64_t> sizes = bench::parse_sizes(argc, argv, {256, 512, 1024});
    return run(sizes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_matmul_cpu: %s\n", e.what());
    return 1;
  }
}
