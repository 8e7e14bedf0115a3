// Theoretical occupancy on sm_90 (H100) with the CUDA occupancy calculator's arithmetic.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

namespace cyclone::bench {

// The limits of one sm_90 SM (the CUDA occupancy calculator's table for compute capability 9.0).
struct Sm90 {
  static constexpr int64_t kRegisters = 65536, kRegisterUnit = 256, kMaxRegistersPerThread = 255;
  static constexpr int64_t kThreads = 2048, kWarps = 64, kBlocks = 32;
  static constexpr int64_t kSharedBytes = 228 * 1024, kSharedPerBlock = 227 * 1024;
  static constexpr int64_t kSharedReservedPerBlock = 1024, kSharedUnit = 128;
};

struct Occupancy {
  int64_t blocks_per_sm = 0;  // resident blocks; 0 when the block cannot launch at all
  double fraction = 0;        // resident warps / 64
  std::string limit;          // what bounds it: "registers", "shared memory", "warps", "blocks", or why 0
};

// A block of `threads` threads using `registers` per thread (0: not known, no limit) and
// `shared_bytes` of static plus dynamic shared memory.
inline Occupancy sm90_occupancy(int64_t threads, int64_t registers, int64_t shared_bytes) {
  using S = Sm90;
  auto round_up = [](int64_t v, int64_t unit) { return (v + unit - 1) / unit * unit; };
  if (threads < 1 || threads > 1024) return {0, 0, "block of " + std::to_string(threads) + " threads"};
  if (registers > S::kMaxRegistersPerThread) return {0, 0, std::to_string(registers) + " registers a thread"};
  if (shared_bytes > S::kSharedPerBlock) return {0, 0, std::to_string(shared_bytes) + " bytes of shared memory"};
  const int64_t warps = (threads + 31) / 32;
  struct Bound {
    int64_t blocks;
    const char* what;
  } bounds[] = {
      {S::kWarps / warps, "warps"},
      {S::kBlocks, "blocks"},
      {registers > 0 ? S::kRegisters / round_up(registers * 32, S::kRegisterUnit) / warps : S::kBlocks, "registers"},
      {S::kSharedBytes / round_up(shared_bytes + S::kSharedReservedPerBlock, S::kSharedUnit), "shared memory"},
  };
  const Bound* least = std::min_element(std::begin(bounds), std::end(bounds),
                                        [](const Bound& a, const Bound& b) { return a.blocks < b.blocks; });
  return {least->blocks, double(least->blocks * warps) / double(S::kWarps), least->what};
}

}  // namespace cyclone::bench
