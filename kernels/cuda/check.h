// Error checking for every CUDA call and launch: failures throw
// std::runtime_error with file:line and the CUDA error text (never exit()).
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace cyclone::kernels::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t e, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error at ") + file + ":" + std::to_string(line) + ": " + what + ": " +
                           cudaGetErrorString(e));
}

// The stream all of cyclone's kernels and copies run on.
cudaStream_t stream();
// The current device's SM count (at least 1), read once: for sizing grids that fill the device.
int sm_count();

// Grid size for n elements at `threads` per block, capped for grid-stride loops.
inline unsigned blocks_for(int64_t n, int threads = 256) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

}  // namespace cyclone::kernels::cuda

#define CYCLONE_CUDA_CHECK(expr)                                                                  \
  do {                                                                                            \
    cudaError_t cyclone_err_ = (expr);                                                            \
    if (cyclone_err_ != cudaSuccess) ::cyclone::kernels::cuda::throw_cuda_error(cyclone_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// After every <<<...>>> launch: catches bad configurations without synchronising.
#define CYCLONE_CUDA_LAUNCH_CHECK() CYCLONE_CUDA_CHECK(cudaGetLastError())
