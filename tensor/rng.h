// The default random generator: a (seed, offset) pair for the counter-based
// Philox generator. Each draw of n numbers reserves a fresh counter range, so
// the same seed gives the same numbers on the CPU and on CUDA, and saving the
// pair (e.g. in a checkpoint) restores the stream exactly.
#pragma once
#include <cstdint>
#include <mutex>

namespace cyclone {

struct GeneratorState {
  uint64_t seed = 0;
  uint64_t offset = 0;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : state_{seed, 0} {}
  void manual_seed(uint64_t seed);
  GeneratorState state() const;
  void set_state(GeneratorState s);
  // Reserves `blocks` Philox counters and returns the first one.
  uint64_t reserve(uint64_t blocks);

 private:
  mutable std::mutex mu_;
  GeneratorState state_;
};

Generator& default_generator();

// Element i of the Philox uniform stream (seed, offset): the number in [0, 1)
// that rand() writes at position i when the generator stands at that state.
// For host code that needs a few reproducible numbers without a tensor.
float philox_uniform(uint64_t seed, uint64_t offset, int64_t i);
inline void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace cyclone
