// The default Philox generator state (see rng.h).
#include "tensor/rng.h"

#include "kernels/philox.h"

namespace cyclone {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = {seed, 0};
}

GeneratorState Generator::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

void Generator::set_state(GeneratorState s) {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = s;
}

uint64_t Generator::reserve(uint64_t blocks) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t first = state_.offset;
  state_.offset += blocks;
  return first;
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

float philox_uniform(uint64_t seed, uint64_t offset, int64_t i) { return kernels::philox_uniform(seed, offset, i); }

}  // namespace cyclone
