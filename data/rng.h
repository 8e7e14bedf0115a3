// Counter-based random numbers for data work: every draw is a pure function of
// (seed, epoch, sample, stream), so results never depend on threads or processing order.
#pragma once

#include <cstdint>

namespace cyclone::data {

// splitmix64 finaliser: a strong 64-bit mix (Steele, Lea, Flood 2014).
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A small generator keyed by (seed, epoch, sample, stream). Separate streams keep one
// transform's draws independent of whether another transform is enabled.
class SampleRng {
 public:
  constexpr SampleRng(uint64_t seed, uint64_t epoch, uint64_t sample, uint64_t stream = 0)
      : state_(splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ epoch) ^ sample) ^ stream)) {}

  constexpr uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ull;
    return splitmix64(state_);
  }
  // Uniform integer in [0, n) for n > 0: 32-bit multiply-high (Lemire), bias below n / 2^32.
  constexpr uint64_t below(uint64_t n) { return n <= (uint64_t{1} << 32) ? ((next() >> 32) * n) >> 32 : next() % n; }
  // Uniform float in [0, 1) with 24 random bits.
  constexpr float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

 private:
  uint64_t state_;
};

}  // namespace cyclone::data
