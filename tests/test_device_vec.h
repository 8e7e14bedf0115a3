// Device buffers for the CUDA = CPU tests: a device copy of a host vector,
// freed on scope exit, and outputs pre-filled with NaN (0xAB bytes for
// indices) so that an element a kernel fails to write cannot pass.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/cuda_runtime.h"

#if CYCLONE_WITH_CUDA
namespace cyclone::test {

// A device copy of a host vector, freed on scope exit.
template <class T>
class DeviceVec {
 public:
  explicit DeviceVec(const std::vector<T>& host) : n_(host.size()) {
    ptr_ = static_cast<T*>(kernels::cuda::raw_malloc(std::max<size_t>(n_, 1) * sizeof(T)));
    if (n_) kernels::cuda::copy_to_device(ptr_, host.data(), n_ * sizeof(T));
  }
  ~DeviceVec() { kernels::cuda::raw_free(ptr_); }
  DeviceVec(const DeviceVec&) = delete;
  DeviceVec& operator=(const DeviceVec&) = delete;
  T* get() const { return ptr_; }
  std::vector<T> host() const {
    std::vector<T> h(n_);
    if (n_) kernels::cuda::copy_to_host(h.data(), ptr_, n_ * sizeof(T));
    return h;
  }

 private:
  size_t n_;
  T* ptr_ = nullptr;
};

inline DeviceVec<float> garbage(size_t n) { return DeviceVec<float>(std::vector<float>(n, NAN)); }
inline DeviceVec<int64_t> garbage_indices(size_t n) {
  int64_t junk;
  std::memset(&junk, 0xAB, sizeof(junk));
  return DeviceVec<int64_t>(std::vector<int64_t>(n, junk));
}

}  // namespace cyclone::test
#endif
