// The CUDA runtime services in a build without the CUDA backend: queries say
// "none", everything else throws a clear error instead of failing silently.
#include <stdexcept>

#include "kernels/cuda_runtime.h"

namespace cyclone::kernels::cuda {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw std::runtime_error(std::string(what) +
                           ": cyclone was built without CUDA support (reconfigure with "
                           "-DCYCLONE_CUDA=ON on a machine with the CUDA Toolkit)");
}
}  // namespace

bool built() { return false; }
bool emulated() { return false; }
int device_count() { return 0; }
std::string device_name(int) { no_cuda("device_name"); }
void set_device(int) { no_cuda("set_device"); }
int current_device() { return 0; }
void* raw_malloc(size_t) { no_cuda("CUDA allocation"); }
void raw_free(void*) {}
void mark_in_use(void*, size_t) {}
void mark_cached(void*) {}
void copy_to_device(void*, const void*, size_t) { no_cuda("copy to CUDA"); }
void copy_to_host(void*, const void*, size_t) { no_cuda("copy from CUDA"); }
void copy_device_to_device(void*, const void*, size_t) { no_cuda("CUDA copy"); }
void synchronize() {}
void* pinned_malloc(size_t) { no_cuda("pinned_malloc"); }
void pinned_free(void*) {}
size_t mem_total(int) { return 0; }
void copy_to_device_async(void*, const void*, size_t, Stream) { no_cuda("copy to CUDA"); }
void* event_record(Stream) { no_cuda("CUDA event"); }
void event_synchronize(void*) {}
void stream_wait_event(Stream, void*) { no_cuda("CUDA event"); }
void event_destroy(void*) {}
void capture_begin() { no_cuda("CUDA graph capture"); }
void* capture_end() { no_cuda("CUDA graph capture"); }
void capture_abandon() {}
bool capturing() { return false; }
void graph_replay(void*) { no_cuda("CUDA graph"); }
void graph_destroy(void*) {}

}  // namespace cyclone::kernels::cuda
