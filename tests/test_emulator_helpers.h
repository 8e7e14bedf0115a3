// Shared by the emulated device's own test files (test_emulator*.cu): a device
// array freed on scope exit, and the sticky error a provoked fault leaves.
#pragma once
#include <string>
#include <vector>

#include "kernels/cuda/check.h"

namespace cyclone::test {

// A device array of n T, freed on scope exit; filled with 0xFF (NaN) by the emulator.
template <class T>
struct DeviceArray {
  explicit DeviceArray(size_t count) : n(count) { CYCLONE_CUDA_CHECK(cudaMalloc(&p, n * sizeof(T))); }
  ~DeviceArray() { cudaFree(p); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  std::vector<T> host() const {
    std::vector<T> h(n);
    CYCLONE_CUDA_CHECK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  T* p = nullptr;
  size_t n;
};

// Runs the queued work and returns the sticky error's message ("" if none), clearing it.
inline std::string run_and_take_error() {
  (void)cudaDeviceSynchronize();
  return emu::take_sticky_error();
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace cyclone::test
