// The emulated CUDA runtime (runtime_api.h): device memory in a registry of
// allocations (each its own heap block, filled with 0xFF so unwritten floats
// read as NaN), pinned memory, copies, streams and events, errors that stick
// after a fault as on a GPU, and launch checks. Stream work is queued in
// submission order and runs at the next synchronising call, as a GPU runs it
// asynchronously; CUDA_LAUNCH_BLOCKING=1 runs it at once.
#include <cxxabi.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>

#include "kernels/cuda/emulator/state.h"

#include "kernels/cuda/emulator/asan.h"

struct CUstream_st {
  unsigned flags = 0;
};
struct CUevent_st {
  unsigned flags = 0;
  bool done = true;
  std::chrono::steady_clock::time_point when{};
};

namespace cyclone::emu {
namespace detail {
namespace {

constexpr size_t kAlign = 256;  // cudaMalloc's alignment
// The heap block behind an allocation of `bytes`: rounded up to kAlign.
size_t padded_bytes(size_t bytes) { return (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign; }

std::recursive_mutex g_mu;
// Device and pinned memory by start address. What is left at exit is freed, as a
// driver frees a context's memory (the caching allocator keeps its blocks to the end).
struct Registry : std::map<uintptr_t, Allocation> {
  void release_all() {
    for (auto& [base, a] : *this) {
      CYCLONE_EMU_UNPOISON(reinterpret_cast<void*>(base), padded_bytes(a.size));
      std::free(reinterpret_cast<void*>(base));
    }
    clear();
  }
  ~Registry() { release_all(); }
};
Registry g_allocations;
size_t g_device_bytes = 0;
std::map<const void*, int> g_dynamic_shared_limit;  // cudaFuncSetAttribute
std::deque<std::function<void()>> g_queue;
bool g_draining = false;
cudaError_t g_last = cudaSuccess, g_sticky = cudaSuccess;
std::string g_sticky_message;
std::map<int, std::string> g_details;  // the latest detail for each error code

constexpr int kDefaultDynamicShared = 48 << 10, kMaxDynamicShared = 232448;

using Lock = std::lock_guard<std::recursive_mutex>;

cudaError_t fail(cudaError_t e, const std::string& detail) {
  g_last = e;
  g_details[e] = detail;
  return e;
}

size_t total_memory() {
  static const size_t total = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? size_t(pages) * size_t(page) / 2 : size_t(8) << 30;
  }();
  return total;
}

// Runs queued work in order; after a fault the rest is dropped, as a dead context drops it.
void drain() {
  if (g_draining) return;
  g_draining = true;
  while (!g_queue.empty()) {
    std::function<void()> op = std::move(g_queue.front());
    g_queue.pop_front();
    if (g_sticky == cudaSuccess) op();
  }
  g_draining = false;
}

Capture g_capture;

bool capturing_here() { return g_capture.active && g_capture.thread == std::this_thread::get_id(); }

void enqueue(std::function<void()> op) {
  if (capturing_here()) {
    g_capture.ops.push_back(std::move(op));
    return;
  }
  if (options().blocking) {
    drain();
    op();
  } else {
    g_queue.push_back(std::move(op));
  }
}

Allocation* lookup(uintptr_t a) {
  auto it = g_allocations.upper_bound(a);
  if (it == g_allocations.begin()) return nullptr;
  --it;
  // The block's rounding up to kAlign counts as the allocation's, so an overrun is named as one.
  return a < it->second.base + padded_bytes(it->second.size) ? &it->second : nullptr;
}

std::string hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// The device side of a copy: [p, p + n) inside one allocation's accessible bytes.
cudaError_t check_device_range(const char* call, const char* side, const void* p, size_t n) {
  const Allocation* a = lookup(reinterpret_cast<uintptr_t>(p));
  if (!a || a->pinned) {
    return fail(cudaErrorInvalidValue, std::string(call) + ": the " + side + " " + hex(p) +
                                           " is not device memory (no cudaMalloc allocation holds it)");
  }
  const size_t offset = reinterpret_cast<uintptr_t>(p) - a->base;
  if (offset + n > a->host_accessible) {
    return fail(cudaErrorInvalidValue, std::string(call) + ": " + std::to_string(n) + " bytes at offset " +
                                           std::to_string(offset) + " of the " + side + " run past the " +
                                           std::to_string(a->host_accessible) + " usable bytes of its allocation");
  }
  return cudaSuccess;
}

bool is_device(const void* p) {
  const Allocation* a = lookup(reinterpret_cast<uintptr_t>(p));
  return a && !a->pinned;
}
bool is_pinned(const void* p) {
  const Allocation* a = lookup(reinterpret_cast<uintptr_t>(p));
  return a && a->pinned;
}

// Checks a copy and says whether it may run later (device to device, or a pinned host side).
cudaError_t check_copy(const char* call, void* dst, const void* src, size_t n, cudaMemcpyKind& kind, bool& deferrable) {
  if (kind == cudaMemcpyDefault) {
    const bool d = is_device(dst), s = is_device(src);
    kind = d ? (s ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
             : (s ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  }
  cudaError_t e = cudaSuccess;
  switch (kind) {
    case cudaMemcpyHostToDevice: e = check_device_range(call, "destination", dst, n); break;
    case cudaMemcpyDeviceToHost: e = check_device_range(call, "source", src, n); break;
    case cudaMemcpyDeviceToDevice:
      e = check_device_range(call, "destination", dst, n);
      if (!e) e = check_device_range(call, "source", src, n);
      break;
    case cudaMemcpyHostToHost: break;
    default: return fail(cudaErrorInvalidMemcpyDirection, std::string(call) + ": unknown copy direction");
  }
  deferrable = kind == cudaMemcpyDeviceToDevice || (kind == cudaMemcpyHostToDevice && is_pinned(src)) ||
               (kind == cudaMemcpyDeviceToHost && is_pinned(dst));
  return e;
}

#define CYCLONE_EMU_ENTER \
  Lock lock(g_mu);        \
  if (g_sticky != cudaSuccess) return g_sticky

// A call that would synchronise (or free memory) on the capturing thread: fails it and
// invalidates the capture, as in thread-local capture mode.
#define CYCLONE_EMU_NOT_IN_CAPTURE(call)                                                               \
  if (capturing_here()) {                                                                             \
    if (g_capture.invalidated_by.empty()) g_capture.invalidated_by = call;                            \
    return fail(cudaErrorStreamCaptureUnsupported,                                                    \
                std::string(call) + " during a stream capture (it synchronises or frees memory); "     \
                                    "the capture is invalidated");                                    \
  }

}  // namespace

const Allocation* find_allocation(uintptr_t address) { return lookup(address); }
Capture& capture() { return g_capture; }
void enqueue_work(std::function<void()> op) { enqueue(std::move(op)); }
std::recursive_mutex& runtime_mutex() { return g_mu; }
cudaError_t sticky_error() { return g_sticky; }
cudaError_t fail_call(cudaError_t code, const std::string& detail) { return fail(code, detail); }

void set_sticky_error(cudaError_t code, const std::string& message) {
  g_sticky = code;
  g_sticky_message = message;
  fail(code, message);
}

}  // namespace detail

Options& options() {
  static Options o = [] {
    Options r;
    if (const char* b = std::getenv("CUDA_LAUNCH_BLOCKING")) r.blocking = std::strcmp(b, "1") == 0;
    if (const char* ord = std::getenv("CYCLONE_EMU_ORDER")) {
      if (std::strcmp(ord, "reverse") == 0) r.order = ThreadOrder::Reverse;
      if (std::strncmp(ord, "seed:", 5) == 0) {
        r.order = ThreadOrder::Seeded;
        r.seed = std::strtoull(ord + 5, nullptr, 10);
      }
    }
    return r;
  }();
  return o;
}

Counters& counters() {
  static Counters c;
  return c;
}

std::string take_sticky_error() {
  using namespace detail;
  Lock lock(g_mu);
  drain();
  std::string m = g_sticky == cudaSuccess ? std::string() : g_sticky_message;
  g_sticky = g_last = cudaSuccess;
  g_queue.clear();
  return m;
}

// Copies are checked against the new size at once (program order); kernels see it in
// stream order, since a kernel queued before a block was given back may still use it.
void set_accessible_bytes(void* block, size_t bytes) {
  using namespace detail;
  Lock lock(g_mu);
  Allocation* a = lookup(reinterpret_cast<uintptr_t>(block));
  if (!a || a->base != reinterpret_cast<uintptr_t>(block) || a->pinned) return;
  bytes = std::min(bytes, a->size);
  a->host_accessible = bytes;
  enqueue([a, bytes] {
    auto* base = reinterpret_cast<char*>(a->base);
    const size_t padded = padded_bytes(a->size);
    if (bytes < a->accessible) {  // narrowing: what leaves use reads as NaN from now on
      CYCLONE_EMU_UNPOISON(base + bytes, padded - bytes);
      std::memset(base + bytes, 0xFF, a->size - bytes);
    }
    CYCLONE_EMU_UNPOISON(base, bytes);
    CYCLONE_EMU_POISON(base + bytes, padded - bytes);
    a->accessible = bytes;
  });
}

// "cyclone::kernels::cuda::(anonymous namespace)::gemm_v3<true, false>" -> "gemm_v3<true, false>":
// the namespaces in front of the function's own name go (not those inside its template arguments).
std::string without_namespaces(const std::string& name) {
  int depth = 0;
  size_t last = 0;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    if (name[i] == '<' || name[i] == '(') ++depth;
    if (name[i] == '>' || name[i] == ')') --depth;
    if (depth == 0 && name[i] == ':' && name[i + 1] == ':') last = i + 2;
  }
  return name.substr(last);
}

std::string kernel_name_from_tag(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  if (status != 0) return "kernel";
  // "cyclone::emu::KernelTag<&ns::(anonymous namespace)::copy_floats>", or for a template
  // "cyclone::emu::KernelTag<&(void ns::(anonymous namespace)::gemm_v3<true, false>(ns::GemmArgs))>"
  std::string s = d.get();
  const size_t at = s.find("<&");
  if (at == std::string::npos || s.back() != '>') return "kernel";
  s = s.substr(at + 2, s.size() - at - 3);
  if (s.rfind("(anonymous ", 0) != 0 && s.rfind("(", 0) == 0) {
    s.erase(0, 1);
  } else {
    return without_namespaces(s);
  }
  if (s.rfind("void ", 0) == 0) s.erase(0, 5);
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') ++depth;
    if (s[i] == '>') --depth;
    if (depth == 0 && s[i] == '(' && s.compare(i, 11, "(anonymous ") != 0) return without_namespaces(s.substr(0, i));
    if (depth == 0 && s.compare(i, 21, "(anonymous namespace)") == 0) i += 20;
  }
  return "kernel";
}

std::string kernel_name_from_signature(const char* pretty) {
  std::string s = pretty;
  size_t at = s.find("Kernel = ");
  if (at == std::string::npos) return "kernel";
  at += 9;
  int depth = 0;
  size_t end = at;
  for (; end < s.size(); ++end) {
    const char c = s[end];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth == 0 && (c == ';' || c == ',' || c == ']')) break;
    if (depth < 0) break;
  }
  std::string name = s.substr(at, end - at);
  if (!name.empty() && name[0] == '&') name.erase(0, 1);
  return without_namespaces(name);
}

void launch(KernelLaunch k) {
  using namespace detail;
  Lock lock(g_mu);
  if (g_sticky != cudaSuccess) return;
  const dim3 b = k.block, g = k.grid;
  const uint64_t threads = uint64_t(b.x) * b.y * b.z;
  auto shape = [](dim3 d) {
    return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
  };
  if (!b.x || !b.y || !b.z || b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024) {
    fail(cudaErrorInvalidConfiguration, "kernel " + k.name + ": block " + shape(b) + " has " +
                                            std::to_string(threads) +
                                            " threads; a block has 1 to 1024 (x, y <= 1024, z <= 64)");
    return;
  }
  if (!g.x || !g.y || !g.z || g.y > 65535 || g.z > 65535 || g.x > 2147483647u) {
    fail(cudaErrorInvalidConfiguration, "kernel " + k.name + ": grid " + shape(g) +
                                            " is out of range (x up to 2^31-1, y and z up to 65535, none 0)");
    return;
  }
  auto lim = g_dynamic_shared_limit.find(k.function);
  const int limit = lim == g_dynamic_shared_limit.end() ? kDefaultDynamicShared : lim->second;
  if (k.dynamic_shared > size_t(limit)) {
    fail(cudaErrorInvalidValue, "kernel " + k.name + ": " + std::to_string(k.dynamic_shared) +
                                    " bytes of dynamic shared memory, over its limit of " + std::to_string(limit) +
                                    " (cudaFuncSetAttribute(MaxDynamicSharedMemorySize) raises it to " +
                                    std::to_string(kMaxDynamicShared) + ")");
    return;
  }
  enqueue([k = std::move(k)] { run_kernel(k); });
}

}  // namespace cyclone::emu

using namespace cyclone::emu::detail;

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorAssert: return "cudaErrorAssert";
    case cudaErrorMisalignedAddress: return "cudaErrorMisalignedAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureUnmatched: return "cudaErrorStreamCaptureUnmatched";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  const char* text = "unknown error";
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: text = "invalid argument"; break;
    case cudaErrorMemoryAllocation: text = "out of memory"; break;
    case cudaErrorInitializationError: text = "initialization error"; break;
    case cudaErrorInvalidConfiguration: text = "invalid configuration argument"; break;
    case cudaErrorInvalidDevicePointer: text = "invalid device pointer"; break;
    case cudaErrorInvalidMemcpyDirection: text = "invalid copy direction for memcpy"; break;
    case cudaErrorInvalidResourceHandle: text = "invalid resource handle"; break;
    case cudaErrorNotReady: text = "device not ready"; break;
    case cudaErrorIllegalAddress: text = "an illegal memory access was encountered"; break;
    case cudaErrorLaunchOutOfResources: text = "too many resources requested for launch"; break;
    case cudaErrorAssert: text = "device-side assert triggered"; break;
    case cudaErrorMisalignedAddress: text = "misaligned address"; break;
    case cudaErrorLaunchFailure: text = "unspecified launch failure"; break;
    case cudaErrorInvalidDevice: text = "invalid device ordinal"; break;
    case cudaErrorNoDevice: text = "no CUDA-capable device is detected"; break;
    case cudaErrorIllegalState: text = "the operation is not permitted in the current state"; break;
    case cudaErrorStreamCaptureUnsupported: text = "operation not permitted when stream is capturing"; break;
    case cudaErrorStreamCaptureInvalidated: text = "operation failed due to a previous error during capture"; break;
    case cudaErrorStreamCaptureUnmatched: text = "the capture was not initiated in this stream"; break;
  }
  Lock lock(g_mu);
  auto it = g_details.find(e);
  if (it == g_details.end() || it->second.empty()) return text;
  thread_local std::string out;
  out = std::string(text) + " [emulated device: " + it->second + "]";
  return out.c_str();
}

cudaError_t cudaGetLastError() {
  Lock lock(g_mu);
  if (g_sticky != cudaSuccess) return g_sticky;
  const cudaError_t e = g_last;
  g_last = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() {
  Lock lock(g_mu);
  return g_sticky != cudaSuccess ? g_sticky : g_last;
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  Lock lock(g_mu);
  return device == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice, "the emulator has one device, 0");
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device != 0) return cudaSetDevice(device);
  *p = cudaDeviceProp{};
  std::snprintf(p->name, sizeof p->name, "cyclone emulated CUDA device (on the CPU)");
  p->totalGlobalMem = total_memory();
  p->sharedMemPerBlock = kDefaultDynamicShared;
  p->sharedMemPerBlockOptin = kMaxDynamicShared;
  p->sharedMemPerMultiprocessor = 233472;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->multiProcessorCount = 132;  // the limits of an H100 (sm_90)
  p->maxThreadsPerMultiProcessor = 2048;
  p->major = 9;
  p->minor = 0;
  p->l2CacheSize = 50 << 20;
  p->memoryBusWidth = 5120;
  p->unifiedAddressing = 1;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  cudaDeviceProp p;
  if (cudaError_t e = cudaGetDeviceProperties(&p, device)) return e;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = int(p.sharedMemPerBlock); break;
    case cudaDevAttrWarpSize: *value = p.warpSize; break;
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrL2CacheSize: *value = p.l2CacheSize; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = int(p.sharedMemPerBlockOptin); break;
    default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
  }
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaDeviceSynchronize");
  drain();
  return g_sticky;
}

cudaError_t cudaDeviceReset() {
  Lock lock(g_mu);
  g_queue.clear();
  g_allocations.release_all();
  g_device_bytes = 0;
  g_sticky = g_last = cudaSuccess;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  CYCLONE_EMU_ENTER;
  *total_bytes = total_memory();
  *free_bytes = total_memory() - std::min(total_memory(), g_device_bytes);
  return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value) {
  CYCLONE_EMU_ENTER;
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || value > kMaxDynamicShared) {
    return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: dynamic shared memory is limited to " +
                                           std::to_string(kMaxDynamicShared) + " bytes");
  }
  g_dynamic_shared_limit[func] = value;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  CYCLONE_EMU_ENTER;
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  if (bytes > total_memory() - std::min(total_memory(), g_device_bytes)) {
    return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes: the emulated device has " +
                                               std::to_string(total_memory()) + " bytes in all");
  }
  const size_t padded = padded_bytes(bytes);
  void* p = std::aligned_alloc(kAlign, padded);
  if (!p) return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes: host memory exhausted");
  std::memset(p, 0xFF, padded);  // never-written device memory reads as NaN (and -1, 255)
  CYCLONE_EMU_POISON(static_cast<char*>(p) + bytes, padded - bytes);
  g_allocations[reinterpret_cast<uintptr_t>(p)] = Allocation{reinterpret_cast<uintptr_t>(p), bytes, bytes, bytes, false};
  g_device_bytes += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaFree");
  if (!ptr) return cudaSuccess;
  drain();  // cudaFree waits for the device
  auto it = g_allocations.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == g_allocations.end() || it->second.pinned) {
    return fail(cudaErrorInvalidValue, "cudaFree(" + hex(ptr) + "): not the start of a cudaMalloc allocation");
  }
  CYCLONE_EMU_UNPOISON(ptr, padded_bytes(it->second.size));
  g_device_bytes -= it->second.size;
  g_allocations.erase(it);
  std::free(ptr);
  return g_sticky;
}

cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned) {
  CYCLONE_EMU_ENTER;
  *ptr = std::aligned_alloc(4096, (std::max<size_t>(bytes, 1) + 4095) / 4096 * 4096);
  if (!*ptr) return fail(cudaErrorMemoryAllocation, "cudaMallocHost of " + std::to_string(bytes) + " bytes");
  g_allocations[reinterpret_cast<uintptr_t>(*ptr)] = Allocation{reinterpret_cast<uintptr_t>(*ptr), bytes, bytes, bytes, true};
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** ptr, size_t bytes) { return cudaHostAlloc(ptr, bytes, cudaHostAllocDefault); }

cudaError_t cudaFreeHost(void* ptr) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaFreeHost");
  if (!ptr) return cudaSuccess;
  drain();
  auto it = g_allocations.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == g_allocations.end() || !it->second.pinned) {
    return fail(cudaErrorInvalidValue, "cudaFreeHost(" + hex(ptr) + "): not a cudaMallocHost allocation");
  }
  g_allocations.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  CYCLONE_EMU_ENTER;
  if (bytes == 0) return cudaSuccess;
  bool deferrable = false;
  if (cudaError_t e = check_copy("cudaMemcpyAsync", dst, src, bytes, kind, deferrable)) return e;
  if (deferrable) {
    enqueue([=] { std::memmove(dst, src, bytes); });  // runs in stream order, reading the source then
  } else {
    CYCLONE_EMU_NOT_IN_CAPTURE("cudaMemcpyAsync from or to pageable host memory");
    drain();  // pageable host memory: the copy is staged at once, as the CUDA runtime does
    if (g_sticky == cudaSuccess) std::memmove(dst, src, bytes);
  }
  return g_sticky;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaMemcpy");
  if (cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, nullptr)) return e;
  drain();
  return g_sticky;
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t) {
  CYCLONE_EMU_ENTER;
  if (bytes == 0) return cudaSuccess;
  if (cudaError_t e = check_device_range("cudaMemset", "destination", dst, bytes)) return e;
  enqueue([=] { std::memset(dst, value, bytes); });
  return cudaSuccess;
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaMemset");
  if (cudaError_t e = cudaMemsetAsync(dst, value, bytes, nullptr)) return e;
  drain();
  return g_sticky;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags) {
  CYCLONE_EMU_ENTER;
  *s = new CUstream_st{flags};
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }

cudaError_t cudaStreamDestroy(cudaStream_t s) {
  Lock lock(g_mu);
  drain();
  delete s;
  return g_sticky;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaStreamSynchronize");
  drain();
  return g_sticky;
}
cudaError_t cudaStreamQuery(cudaStream_t s) { return cudaStreamSynchronize(s); }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) {
  CYCLONE_EMU_ENTER;
  return cudaSuccess;  // one queue in submission order: the event's work is already ahead
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags) {
  CYCLONE_EMU_ENTER;
  *e = new CUevent_st{flags};
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* e) { return cudaEventCreateWithFlags(e, cudaEventDefault); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  Lock lock(g_mu);
  drain();
  delete e;
  return g_sticky;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  CYCLONE_EMU_ENTER;
  if (!e) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: null event");
  e->done = false;
  enqueue([e] {
    e->done = true;
    e->when = std::chrono::steady_clock::now();
  });
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaEventSynchronize");
  drain();
  return g_sticky;
}

cudaError_t cudaEventQuery(cudaEvent_t e) {
  CYCLONE_EMU_ENTER;
  CYCLONE_EMU_NOT_IN_CAPTURE("cudaEventQuery");
  drain();  // the device makes progress whenever the host looks
  return e->done ? g_sticky : cudaErrorNotReady;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  CYCLONE_EMU_ENTER;
  if ((start->flags | stop->flags) & cudaEventDisableTiming) {
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was made with cudaEventDisableTiming");
  }
  if (!start->done || !stop->done) return cudaErrorNotReady;
  *ms = std::chrono::duration<float, std::milli>(stop->when - start->when).count();
  return cudaSuccess;
}
