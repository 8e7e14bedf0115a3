// bench/occupancy.h: sm_90 occupancy by the CUDA occupancy calculator's rules, on worked examples.
#include <doctest/doctest.h>

#include "bench/occupancy.h"

using cyclone::bench::sm90_occupancy;

TEST_CASE("sm_90 occupancy: registers") {
  // 128 regs: 4096 a warp, 16 warps fit, 2 blocks of 8 warps = 25%.
  CHECK(sm90_occupancy(256, 128, 0).blocks_per_sm == 2);
  CHECK(sm90_occupancy(256, 128, 0).fraction == doctest::Approx(0.25));
  CHECK(sm90_occupancy(256, 128, 0).limit == "registers");
  // 130 regs: rounded to 4352 a warp, 15 warps fit, 1 block = 12.5%.
  CHECK(sm90_occupancy(256, 130, 0).blocks_per_sm == 1);
  CHECK(sm90_occupancy(256, 130, 0).fraction == doctest::Approx(0.125));
  // 64 regs at 1024 threads: 32 warps fit, one block = 50%.
  CHECK(sm90_occupancy(1024, 64, 0).fraction == doctest::Approx(0.5));
  CHECK(sm90_occupancy(256, 256, 0).blocks_per_sm == 0);
  CHECK(sm90_occupancy(256, 256, 0).limit == "256 registers a thread");
}

TEST_CASE("sm_90 occupancy: warps, blocks and shared memory") {
  CHECK(sm90_occupancy(256, 32, 0).blocks_per_sm == 8);  // 64 warps
  CHECK(sm90_occupancy(256, 32, 0).fraction == doctest::Approx(1.0));
  CHECK(sm90_occupancy(256, 32, 0).limit == "warps");
  CHECK(sm90_occupancy(32, 16, 0).blocks_per_sm == 32);  // 32 blocks of one warp
  CHECK(sm90_occupancy(32, 16, 0).fraction == doctest::Approx(0.5));
  CHECK(sm90_occupancy(32, 16, 0).limit == "blocks");
  CHECK(sm90_occupancy(48, 0, 0).blocks_per_sm == 32);  // a partial warp counts whole: 2 warps a block
  CHECK(sm90_occupancy(48, 0, 0).fraction == doctest::Approx(1.0));
  // 48 KB + 1 KB reserved = 50176 bytes: 4 blocks in 228 KB.
  CHECK(sm90_occupancy(128, 32, 48 * 1024).blocks_per_sm == 4);
  CHECK(sm90_occupancy(128, 32, 48 * 1024).limit == "shared memory");
  // 16384 + 1024 bytes, 128-byte granules: 13 blocks; gemm_v3's registers allow fewer.
  CHECK(sm90_occupancy(256, 32, 16384).blocks_per_sm == 8);
  CHECK(sm90_occupancy(64, 32, 16384).blocks_per_sm == 13);
  CHECK(sm90_occupancy(64, 32, 100).blocks_per_sm == 32);
  CHECK(sm90_occupancy(64, 32, 227 * 1024).blocks_per_sm == 1);
  CHECK(sm90_occupancy(64, 32, 227 * 1024 + 1).blocks_per_sm == 0);
  CHECK(sm90_occupancy(2048, 32, 0).blocks_per_sm == 0);
}
