// Benchmark harness shared by bench/*: napkin math, validation against a
// reference, host timing (warm-up, median and min of many runs, caches flushed
// between runs), a result table on stdout and the same rows appended to
// $OUT/bench_results.csv when OUT is set. The CUDA side is in harness_cuda.cuh.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace cyclone::bench {

// ---- napkin math ----
struct Work {
  double flops = 0;  // floating-point operations of one run
  double bytes = 0;  // fewest bytes one run must move: each input read once, each output written once
};
inline Work gemm_work(int64_t m, int64_t n, int64_t k) {
  return {2.0 * static_cast<double>(m) * n * k, 4.0 * (static_cast<double>(m) * k + k * n + m * n)};
}

// ---- validation ----
// Both errors are relative to the reference's size: rel_fro = ||out-ref|| / ||ref||
// (Frobenius) and max_rel = max|out-ref| / max|ref|. Non-finite outputs (the NaN
// poison of an unwritten element) are counted and always fail.
struct ErrorStats {
  double rel_fro = 0, max_rel = 0;
  int64_t non_finite = 0;
  bool ok(double tol) const { return non_finite == 0 && rel_fro <= tol && max_rel <= tol; }
};
// float32 lands far below this; TF32 (about 3e-4) and bf16 land above it.
constexpr double kFp32Tolerance = 1e-4;
// TF32 rounds operands to 10 mantissa bits: about 3e-4 relative, so TF32 rows get this tolerance.
constexpr double kTf32Tolerance = 5e-3;

inline ErrorStats compare(const std::vector<float>& out, const std::vector<float>& ref) {
  if (out.size() != ref.size()) {
    throw std::invalid_argument("bench::compare: output has " + std::to_string(out.size()) +
                                " elements but the reference has " + std::to_string(ref.size()));
  }
  ErrorStats e;
  double diff2 = 0, ref2 = 0, max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const double r = ref[i];
    ref2 += r * r;
    max_ref = std::max(max_ref, std::abs(r));
    if (!std::isfinite(out[i])) {
      ++e.non_finite;
      continue;
    }
    const double d = static_cast<double>(out[i]) - r;
    diff2 += d * d;
    max_diff = std::max(max_diff, std::abs(d));
  }
  e.rel_fro = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  e.max_rel = max_ref > 0 ? max_diff / max_ref : max_diff;
  return e;
}

inline std::string describe(const ErrorStats& e, double tol = kFp32Tolerance) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s rel %.1e max %.1e", e.ok(tol) ? "ok" : "FAIL", e.rel_fro, e.max_rel);
  std::string s = buf;
  if (e.non_finite) s += " nonfinite " + std::to_string(e.non_finite);
  return s;
}

// A fresh seed per run (printed by the caller, so a failure can be replayed);
// CYCLONE_BENCH_SEED fixes it.
inline uint64_t fresh_seed() {
  if (const char* s = std::getenv("CYCLONE_BENCH_SEED")) return std::strtoull(s, nullptr, 10);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

inline void fill_uniform(std::vector<float>& v, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& x : v) x = dist(gen);
}

// ---- timing ----
struct Stats {
  double median_ms = 0, min_ms = 0;
  int runs = 0;
};
inline Stats summarize(std::vector<double> ms) {
  if (ms.empty()) throw std::invalid_argument("bench::summarize: no timed runs");
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  return {median, ms.front(), static_cast<int>(n)};
}

struct TimingOptions {
  int warmup = 3;             // untimed runs first (page faults, thread start, clocks)
  int min_runs = 10;          // at least this many timed runs...
  int max_runs = 200;         // ...at most this many...
  double target_ms = 1000.0;  // ...and about this much timed work in all
};

// Picks the number of timed runs from the warm-up's time per run.
inline int runs_for(const TimingOptions& opt, double ms_per_run) {
  const double want = ms_per_run > 0 ? opt.target_ms / ms_per_run : opt.max_runs;
  return static_cast<int>(std::clamp(want, static_cast<double>(opt.min_runs), static_cast<double>(opt.max_runs)));
}

// Evicts the caches between host runs by writing a buffer larger than the last level.
class HostCacheFlusher {
 public:
  explicit HostCacheFlusher(size_t bytes = size_t{64} << 20) : buf_(bytes) {}
  void flush() {
    std::fill(buf_.begin(), buf_.end(), static_cast<char>(++round_));
    sink_ = buf_[round_ % buf_.size()];
  }

 private:
  std::vector<char> buf_;
  unsigned round_ = 0;
  volatile char sink_ = 0;
};

// Times fn() on the host: warm-up, then runs_for() timed runs, each after an
// untimed cache flush.
inline Stats time_host(const std::function<void()>& fn, HostCacheFlusher& flusher, const TimingOptions& opt = {}) {
  using clock = std::chrono::steady_clock;
  auto ms_since = [](clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  };
  const auto w0 = clock::now();
  for (int i = 0; i < opt.warmup; ++i) fn();
  const int runs = runs_for(opt, opt.warmup > 0 ? ms_since(w0) / opt.warmup : 0.0);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    flusher.flush();
    const auto t0 = clock::now();
    fn();
    ms.push_back(ms_since(t0));
  }
  return summarize(std::move(ms));
}

// Matrix sizes from the command line ("bench 1024 4096"), or the defaults.
inline std::vector<int64_t> parse_sizes(int argc, char** argv, std::vector<int64_t> defaults) {
  std::vector<int64_t> sizes;
  for (int i = 1; i < argc; ++i) {
    char* end = nullptr;
    const long long n = std::strtoll(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || n <= 0 || n > (1 << 20)) {
      throw std::invalid_argument(std::string("expected a positive matrix size, got '") + argv[i] + "'");
    }
    sizes.push_back(n);
  }
  return sizes.empty() ? defaults : sizes;
}

// ---- provenance: card, date, commit ----
inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

inline std::string today() {
  const std::time_t t = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return buf;
}

// First line of a shell command's output ("" if it fails).
inline std::string command_line_output(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {};
  std::string s = std::fgets(buf, sizeof buf, p) ? buf : "";
  const int rc = pclose(p);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return rc == 0 ? s : "";
}

// CYCLONE_COMMIT, else `git rev-parse --short HEAD` of the source tree with
// "-dirty" when tracked files differ from it, else "unknown".
inline std::string git_commit() {
#ifdef CYCLONE_SOURCE_DIR
  const std::string dir = CYCLONE_SOURCE_DIR;
#else
  const std::string dir = ".";
#endif
  if (const char* c = std::getenv("CYCLONE_COMMIT"); c && *c) return c;
  const std::string git = "git -C '" + dir + "' ";
  std::string hash = command_line_output(git + "rev-parse --short HEAD 2>/dev/null");
  if (hash.empty()) return "unknown";
  if (command_line_output(git + "diff-index --quiet HEAD -- 2>/dev/null && echo clean") != "clean") hash += "-dirty";
  return hash;
}

// A /proc/cpuinfo field of the first processor ("" if absent).
inline std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

}  // namespace cyclone::bench

#include "bench/report.h"
