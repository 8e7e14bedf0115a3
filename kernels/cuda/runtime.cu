// CUDA runtime services (see kernels/cuda_runtime.h): devices, the stream,
// raw memory for the caching allocator, and host<->device copies.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda_runtime.h"

namespace cyclone::kernels::cuda {

bool built() { return true; }

bool emulated() {
#if defined(CYCLONE_CUDA_EMULATED)
  return true;
#else
  return false;
#endif
}

namespace {
// For the calls that release resources (they run in destructors): report a
// failure once instead of throwing into std::terminate.
void report_release_error(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  static std::once_flag once;
  std::call_once(once, [&] {
    std::fprintf(stderr, "cyclone: %s failed: %s (later release errors are not reported)\n", what, cudaGetErrorString(e));
  });
}
}  // namespace

int device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver or no GPU: report none, clear the error
      return 0;
    }
    return n;
  }();
  return count;
}

std::string device_name(int index) {
  cudaDeviceProp prop{};
  CYCLONE_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

size_t mem_total(int index) {
  cudaDeviceProp prop{};
  CYCLONE_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.totalGlobalMem;
}

void set_device(int index) {
  if (index >= device_count()) {
    throw std::runtime_error("CUDA device " + std::to_string(index) + " requested but " +
                             std::to_string(device_count()) + " device(s) are available");
  }
  int cur = -1;
  CYCLONE_CUDA_CHECK(cudaGetDevice(&cur));
  if (cur != index) CYCLONE_CUDA_CHECK(cudaSetDevice(index));
}

int current_device() {
  int cur = 0;
  CYCLONE_CUDA_CHECK(cudaGetDevice(&cur));
  return cur;
}

cudaStream_t stream() {
  static cudaStream_t s = [] {
    if (device_count() == 0) throw std::runtime_error("CUDA requested but no CUDA device is available");
    cudaStream_t st = nullptr;
    CYCLONE_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

int sm_count() {
  static const int count = [] {
    int device = 0, n = 0;
    CYCLONE_CUDA_CHECK(cudaGetDevice(&device));
    CYCLONE_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
    return std::max(n, 1);
  }();
  return count;
}

void* raw_malloc(size_t bytes) {
  if (device_count() == 0) throw std::runtime_error("CUDA allocation requested but no CUDA device is available");
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    throw std::runtime_error("CUDA out of memory: failed to allocate " + std::to_string(bytes) + " bytes (" +
                             cudaGetErrorString(e) + ")");
  }
  CYCLONE_CUDA_CHECK(e);  // any other error (a sticky one from an earlier kernel) is not "out of memory"
  return p;
}

void raw_free(void* p) {
  if (p) report_release_error(cudaFree(p), "cudaFree");
}

void mark_in_use(void* block, size_t used_bytes) {
#if defined(CYCLONE_CUDA_EMULATED)
  emu::set_accessible_bytes(block, used_bytes);
#else
  (void)block;
  (void)used_bytes;
#endif
}

void mark_cached(void* block) { mark_in_use(block, 0); }

void copy_to_device(void* dst, const void* src, size_t bytes) {
  CYCLONE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()));
  // The source is ordinary pageable host memory the caller may free at once;
  // wait so that it is safe (pinned uploads use the data loader's own path).
  CYCLONE_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy_to_host(void* dst, const void* src, size_t bytes) {
  CYCLONE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()));
  CYCLONE_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy_device_to_device(void* dst, const void* src, size_t bytes) {
  CYCLONE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

void synchronize() { CYCLONE_CUDA_CHECK(cudaStreamSynchronize(stream())); }

void* pinned_malloc(size_t bytes) {
  void* p = nullptr;
  CYCLONE_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}

void pinned_free(void* p) {
  if (p) report_release_error(cudaFreeHost(p), "cudaFreeHost");
}

namespace {

cudaStream_t upload_stream() {
  static cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    CYCLONE_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

cudaStream_t stream_of(Stream s) { return s == Stream::upload ? upload_stream() : stream(); }

}  // namespace

void copy_to_device_async(void* dst, const void* src, size_t bytes, Stream s) {
  CYCLONE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_of(s)));
}

void* event_record(Stream s) {
  cudaEvent_t e = nullptr;
  CYCLONE_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  CYCLONE_CUDA_CHECK(cudaEventRecord(e, stream_of(s)));
  return e;
}

void event_synchronize(void* e) { CYCLONE_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(e))); }

void stream_wait_event(Stream s, void* e) {
  CYCLONE_CUDA_CHECK(cudaStreamWaitEvent(stream_of(s), static_cast<cudaEvent_t>(e), 0));
}

void event_destroy(void* e) {
  if (e) report_release_error(cudaEventDestroy(static_cast<cudaEvent_t>(e)), "cudaEventDestroy");
}

}  // namespace cyclone::kernels::cuda
