// CUDA side of the bench harness: RAII device buffers, an L2 flush between
// timed runs, and timing with CUDA events (warm-up, then median and min of many
// runs; the flush is outside the timed region). See bench/harness.h.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench/harness.h"
#include "kernels/cuda/check.h"

namespace cyclone::bench {

// cudaMalloc'd array of n floats, freed on scope exit.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) { CYCLONE_CUDA_CHECK(cudaMalloc(&p_, bytes())); }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  float* data() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(float); }
  // 0xFF bytes are a NaN in every float: an element a kernel fails to write cannot pass validation.
  void poison(cudaStream_t s) const { CYCLONE_CUDA_CHECK(cudaMemsetAsync(p_, 0xFF, bytes(), s)); }
  std::vector<float> to_host(cudaStream_t s) const {
    std::vector<float> h(n_);
    CYCLONE_CUDA_CHECK(cudaMemcpyAsync(h.data(), p_, bytes(), cudaMemcpyDeviceToHost, s));
    CYCLONE_CUDA_CHECK(cudaStreamSynchronize(s));
    return h;
  }

 private:
  float* p_ = nullptr;
  size_t n_;
};

// Evicts L2 by writing a buffer much larger than it (at least 256 MiB).
class L2Flusher {
 public:
  L2Flusher() {
    int dev = 0, l2 = 0;
    CYCLONE_CUDA_CHECK(cudaGetDevice(&dev));
    CYCLONE_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    bytes_ = std::max<size_t>(size_t{256} << 20, size_t{4} * static_cast<size_t>(l2));
    CYCLONE_CUDA_CHECK(cudaMalloc(&buf_, bytes_));
  }
  ~L2Flusher() { cudaFree(buf_); }
  L2Flusher(const L2Flusher&) = delete;
  L2Flusher& operator=(const L2Flusher&) = delete;
  void flush(cudaStream_t s) { CYCLONE_CUDA_CHECK(cudaMemsetAsync(buf_, ++round_ & 0xFF, bytes_, s)); }

 private:
  void* buf_ = nullptr;
  size_t bytes_ = 0;
  int round_ = 0;
};

// Times fn() (which enqueues work on stream s) with CUDA events: warm-up, then
// runs_for() runs, each after an untimed L2 flush.
inline Stats time_cuda(const std::function<void()>& fn, cudaStream_t s, L2Flusher& flusher,
                       const TimingOptions& opt = {}) {
  cudaEvent_t start = nullptr, stop = nullptr;
  CYCLONE_CUDA_CHECK(cudaEventCreate(&start));
  CYCLONE_CUDA_CHECK(cudaEventCreate(&stop));
  auto time_once = [&](bool flush) {
    if (flush) flusher.flush(s);
    CYCLONE_CUDA_CHECK(cudaEventRecord(start, s));
    fn();
    CYCLONE_CUDA_CHECK(cudaEventRecord(stop, s));
    CYCLONE_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CYCLONE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    return static_cast<double>(ms);
  };
  std::vector<double> ms;
  try {
    double warm_ms = 0;
    for (int i = 0; i < opt.warmup; ++i) warm_ms = time_once(false);  // the last warm-up run is the estimate
    const int runs = runs_for(opt, warm_ms);
    for (int i = 0; i < runs; ++i) ms.push_back(time_once(true));
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return summarize(std::move(ms));
}

// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)", plus the driver and runtime versions.
inline std::string gpu_card() {
  int dev = 0;
  CYCLONE_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  CYCLONE_CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  int driver = 0, runtime = 0;
  CYCLONE_CUDA_CHECK(cudaDriverGetVersion(&driver));
  CYCLONE_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  char buf[320];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs, driver %d.%d, runtime %d.%d)", p.name, p.major, p.minor,
                p.multiProcessorCount, driver / 1000, driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
  return buf;
}

}  // namespace cyclone::bench
