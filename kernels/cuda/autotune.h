// Autotuning: which version of an op family (the GEMM, each conv pass) runs for
// a shape, decided on the real device the first time the shape is seen and then
// cached, like torch.backends.cudnn.benchmark. On that first call every candidate
// is also checked against the family's plain fp32 version; one that disagrees on
// this device is dropped for the rest of the process with a one-line warning, so
// a version whose emulated semantics were wrong never makes training wrong, and a
// version that was never timed never makes it slower than the best that exists.
//
// Policies (CYCLONE_AUTOTUNE=time|check|off, read at first use):
//   time   (the default on a GPU): check each candidate, time it (CUDA events, the
//          median of 5 runs after the checking run) and keep the fastest;
//   check  (the default on the emulated device, whose timings mean nothing): check
//          each candidate and keep the most preferred that agreed, so every
//          version is run and checked on every shape the tests reach;
//   off:   the most preferred candidate, unchecked.
// A forced version (force_version, or CYCLONE_<FAMILY>_VERSION=N, e.g.
// CYCLONE_GEMM_VERSION=3 or CYCLONE_CONV_WEIGHT_GRAD_VERSION=1) overrides all of it.
// Tuning synchronises the device, so it happens before any CUDA graph capture
// (the warm-up step). Under `time` the choice may differ between runs, as
// cuDNN's does; force a version for bitwise-repeatable runs.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cyclone::kernels::cuda {

enum class TunePolicy { time, check, off };
TunePolicy tune_policy();
void set_tune_policy(TunePolicy policy);

// Forces `family`'s version (0 lifts the force, falling back to its environment variable).
void force_version(const std::string& family, int version);
int forced_version(const std::string& family);  // 0 when none

struct TuneCandidate {
  int version = 0;
  double tolerance = 1e-3;  // max |out - reference| allowed, relative to max |reference|
};

// One call of an op, as the tuner sees it.
struct TuneTrial {
  std::string family;  // "gemm", "conv_forward", ...
  std::string shape;   // the cache key within the family
  int64_t out_floats = 0;
  int reference = 1;                      // the plain fp32 version
  std::vector<TuneCandidate> candidates;  // most preferred first
  // Computes the op's output with `version` into `out` (out_floats floats of device
  // memory, which run fills first itself where the op reads its output, e.g. beta != 0).
  std::function<void(int version, float* out)> run;
};

// The version to run this call with (see above). Throws std::invalid_argument when a
// forced version is not among the candidates.
int tuned_version(const TuneTrial& trial);

struct TuneStats {
  uint64_t hits = 0;       // calls answered from the cache
  uint64_t decisions = 0;  // shapes decided
  uint64_t runs = 0;       // version runs made while deciding
  uint64_t dropped = 0;    // versions dropped for disagreeing
};
TuneStats tune_stats();
// The cached choice for (family, shape), or 0.
int cached_version(const std::string& family, const std::string& shape);
// Forgets every choice, dropped version and statistic (for tests).
void clear_tune_cache();

}  // namespace cyclone::kernels::cuda
