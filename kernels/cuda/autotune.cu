// The autotuner of kernels/cuda/autotune.h: a cache of choices per (family,
// shape), the checks against the reference version, and the event timings.
#include "kernels/cuda/autotune.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "kernels/cuda/check.h"

namespace cyclone::kernels::cuda {
namespace {

struct State {
  std::recursive_mutex mutex;  // a version's run may tune an op it calls (conv v1's GEMM)
  bool policy_read = false;
  TunePolicy policy = TunePolicy::time;
  std::map<std::string, int> forced;                // family -> version (0: none)
  std::set<std::string> env_read;                   // families whose variable was read
  std::map<std::pair<std::string, std::string>, int> choice;
  std::set<std::pair<std::string, int>> dropped;    // (family, version)
  TuneStats stats;
};
State& state() {
  static State* s = new State;  // never destroyed: tensors freed at exit may still tune
  return *s;
}

TunePolicy policy_from_env() {
#if defined(CYCLONE_CUDA_EMULATED)
  TunePolicy fallback = TunePolicy::check;
#else
  TunePolicy fallback = TunePolicy::time;
#endif
  const char* v = std::getenv("CYCLONE_AUTOTUNE");
  if (!v || !*v) return fallback;
  const std::string s = v;
  if (s == "time") return TunePolicy::time;
  if (s == "check") return TunePolicy::check;
  if (s == "off") return TunePolicy::off;
  throw std::invalid_argument("CYCLONE_AUTOTUNE=" + s + ": expected time, check or off");
}

std::string env_name(const std::string& family) {
  std::string name = "CYCLONE_";
  for (char c : family) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name + "_VERSION";
}

// The forced version of `family`, reading its variable once. Caller holds the lock.
int forced_locked(State& s, const std::string& family) {
  if (s.env_read.insert(family).second && !s.forced.count(family)) {
    const std::string name = env_name(family);
    if (const char* v = std::getenv(name.c_str()); v && *v) {
      char* end = nullptr;
      const long n = std::strtol(v, &end, 10);
      if (*end != '\0' || n < 1) throw std::invalid_argument(name + "=" + v + ": expected a version number (1, 2, ...)");
      s.forced[family] = static_cast<int>(n);
    }
  }
  const auto it = s.forced.find(family);
  return it == s.forced.end() ? 0 : it->second;
}

struct DeviceBuffer {
  float* p = nullptr;
  explicit DeviceBuffer(int64_t n) { CYCLONE_CUDA_CHECK(cudaMalloc(&p, sizeof(float) * size_t(std::max<int64_t>(n, 1)))); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

std::vector<float> to_host(const float* p, int64_t n) {
  std::vector<float> h(static_cast<size_t>(n));
  if (n > 0) CYCLONE_CUDA_CHECK(cudaMemcpy(h.data(), p, sizeof(float) * size_t(n), cudaMemcpyDeviceToHost));
  return h;
}

// Empty when `got` agrees with `want` within tolerance * max |want|; else what differs.
std::string disagreement(const std::vector<float>& got, const std::vector<float>& want, double tolerance) {
  double scale = 0.0;
  for (float v : want)
    if (std::isfinite(v)) scale = std::max(scale, double(std::fabs(v)));
  const double allowed = tolerance * std::max(scale, 1e-30);
  for (size_t i = 0; i < want.size(); ++i) {
    const double a = got[i], b = want[i];
    const bool same_special = (std::isnan(a) && std::isnan(b)) || (std::isinf(b) && a == b);
    if (same_special || std::fabs(a - b) <= allowed) continue;
    char buf[160];
    std::snprintf(buf, sizeof buf, "element %zu is %.9g where the reference has %.9g (allowed %.3g)", i, a, b, allowed);
    return buf;
  }
  return {};
}

// Milliseconds per run of `version`: the median of 5 after the checking run.
float time_version(const TuneTrial& t, int version, float* out) {
  cudaEvent_t start, stop;
  CYCLONE_CUDA_CHECK(cudaEventCreate(&start));
  CYCLONE_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<float> ms;
  for (int r = 0; r < 5; ++r) {
    CYCLONE_CUDA_CHECK(cudaEventRecord(start, stream()));
    t.run(version, out);
    CYCLONE_CUDA_CHECK(cudaEventRecord(stop, stream()));
    CYCLONE_CUDA_CHECK(cudaEventSynchronize(stop));
    float v = 0.f;
    CYCLONE_CUDA_CHECK(cudaEventElapsedTime(&v, start, stop));
    ms.push_back(v);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::nth_element(ms.begin(), ms.begin() + 2, ms.end());
  return ms[2];
}

// Runs, checks and (under `time`) times the candidates; returns the winner.
int decide(State& s, const TuneTrial& t, TunePolicy policy) {
  DeviceBuffer ref(t.out_floats), out(t.out_floats);
  t.run(t.reference, ref.p);
  ++s.stats.runs;
  const std::vector<float> want = to_host(ref.p, t.out_floats);
  int best = 0;
  float best_ms = 0.f;
  for (const TuneCandidate& c : t.candidates) {
    if (s.dropped.count({t.family, c.version})) continue;
    if (c.version != t.reference) {
      t.run(c.version, out.p);
      ++s.stats.runs;
      const std::string why = disagreement(to_host(out.p, t.out_floats), want, c.tolerance);
      if (!why.empty()) {
        std::fprintf(stderr, "cyclone: %s version %d disagrees with version %d at shape %s (%s); dropped\n",
                     t.family.c_str(), c.version, t.reference, t.shape.c_str(), why.c_str());
        s.dropped.insert({t.family, c.version});
        ++s.stats.dropped;
        continue;
      }
    }
    if (policy != TunePolicy::time) return c.version;  // the most preferred that agreed
    const float ms = time_version(t, c.version, out.p);
    s.stats.runs += 5;
    if (best == 0 || ms < best_ms) best = c.version, best_ms = ms;
  }
  return best != 0 ? best : t.reference;
}

}  // namespace

TunePolicy tune_policy() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.policy_read) s.policy = policy_from_env(), s.policy_read = true;
  return s.policy;
}

void set_tune_policy(TunePolicy policy) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.policy = policy;
  s.policy_read = true;
}

void force_version(const std::string& family, int version) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (version <= 0) {
    s.forced.erase(family);
    s.env_read.erase(family);
  } else {
    s.forced[family] = version;
    s.env_read.insert(family);
  }
}

int forced_version(const std::string& family) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return forced_locked(s, family);
}

int tuned_version(const TuneTrial& t) {
  const TunePolicy policy = tune_policy();
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (const int forced = forced_locked(s, t.family)) {
    const bool offered = std::any_of(t.candidates.begin(), t.candidates.end(),
                                     [&](const TuneCandidate& c) { return c.version == forced; });
    if (!offered) {
      std::string list;
      for (const TuneCandidate& c : t.candidates) list += (list.empty() ? "" : ", ") + std::to_string(c.version);
      throw std::invalid_argument(env_name(t.family) + ": version " + std::to_string(forced) + " of " + t.family +
                                  " does not apply at shape " + t.shape + " (versions that do: " + list + ")");
    }
    return forced;
  }
  const auto key = std::make_pair(t.family, t.shape);
  if (const auto it = s.choice.find(key); it != s.choice.end()) {
    ++s.stats.hits;
    return it->second;
  }
  int chosen = t.reference;
  if (policy == TunePolicy::off) {
    for (const TuneCandidate& c : t.candidates)
      if (!s.dropped.count({t.family, c.version})) { chosen = c.version; break; }
  } else {
    chosen = decide(s, t, policy);
  }
  ++s.stats.decisions;
  s.choice[key] = chosen;
  return chosen;
}

TuneStats tune_stats() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return s.stats;
}

int cached_version(const std::string& family, const std::string& shape) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  const auto it = s.choice.find({family, shape});
  return it == s.choice.end() ? 0 : it->second;
}

void clear_tune_cache() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.choice.clear();
  s.dropped.clear();
  s.stats = {};
}

}  // namespace cyclone::kernels::cuda
