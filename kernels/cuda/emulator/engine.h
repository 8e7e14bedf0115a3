// The emulated CUDA device's engine, as kernels/cuda/launch.h and the tests see
// it: launching a kernel (its parameters copied, as a GPU copies them), the
// documented runtime options (thread order, blocking launches), and counters.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "kernels/cuda/emulator/device_builtins.h"
#include "kernels/cuda/emulator/runtime_api.h"

namespace cyclone::emu {

// One launch: run_thread(args) runs the kernel body as the current thread.
struct KernelLaunch {
  std::string name;
  const void* function = nullptr;
  dim3 grid, block;
  size_t dynamic_shared = 0;
  cudaStream_t stream = nullptr;
  void (*run_thread)(const void* args) = nullptr;
  std::shared_ptr<const void> args;
  size_t args_bytes = 0;
};

// Checks the configuration (an error is returned by cudaGetLastError, as on a
// GPU), then queues the kernel on its stream.
void launch(KernelLaunch k);

// The order in which a block's threads start, and resume after each barrier:
// forward (0, 1, ...), reverse, or a shuffle from `seed`. A kernel whose result
// depends on it has a race that the shared-memory checks may not have seen.
enum class ThreadOrder { Forward, Reverse, Seeded };

struct Options {
  ThreadOrder order = ThreadOrder::Forward;
  uint64_t seed = 0;
  bool blocking = false;  // run each launch and copy at once (CUDA_LAUNCH_BLOCKING=1)
};
// Process-wide runtime state, read from CYCLONE_EMU_ORDER (forward, reverse or
// seed:N) and CUDA_LAUNCH_BLOCKING at first use.
Options& options();

struct Counters {
  uint64_t launches = 0, blocks = 0, threads = 0, barriers = 0, warp_collectives = 0, fiber_switches = 0;
  uint64_t checked_accesses = 0;  // loads and stores seen by the access checks (clang builds)
};
Counters& counters();

// True when kernels' loads and stores are checked (a clang build with the
// access hooks): shared-memory races, bounds, alignment and host pointers.
bool access_checks_enabled();

// ---- profile counters (profile.cpp) ----
// With profiling on (set_profiling, or CYCLONE_EMU_PROFILE=1 at start-up), the
// access hooks of a clang build record each warp's loads and stores. The j-th
// execution of one load/store instruction by each lane of a warp, within one
// barrier interval (up to a __syncthreads, a warp collective or the block's
// end), is one warp request, as on a GPU. A lane's adjacent 4- or 8-byte
// accesses that fill an aligned 8- or 16-byte span count as one vector access
// (a float2/float4 copy reaches the hooks member by member). Global requests
// count the 32-byte sectors they touch; shared ones their wavefronts over 32
// banks of 4 bytes (one lane group per phase: 32 lanes for 4-byte accesses, 16
// for 8-byte, 8 for 16-byte; lanes reading one word share it). Only a sample of
// each launch's blocks is recorded: the first kProfileFirstBlocks blocks and
// every (blocks / kProfileStridedBlocks)-th; a thread buffers at most
// kProfileMaxAccesses accesses per interval (the rest are counted as dropped).
constexpr uint64_t kProfileFirstBlocks = 4, kProfileStridedBlocks = 8;
constexpr size_t kProfileMaxAccesses = 8192;

// Sums over warp requests (whole numbers in KernelProfile::sampled).
struct AccessCounts {
  double global_load_requests = 0, global_load_bytes = 0, global_load_sectors = 0;
  double global_store_requests = 0, global_store_bytes = 0, global_store_sectors = 0;
  double shared_load_requests = 0, shared_store_requests = 0;
  double shared_wavefronts = 0, shared_ideal_wavefronts = 0;  // conflicts = the difference
  double dropped_accesses = 0;  // beyond kProfileMaxAccesses, in no request
  AccessCounts& operator+=(const AccessCounts& o);
  AccessCounts scaled(double factor) const;
};

struct KernelProfile {
  std::string name;  // as kernel_name<>() spells it: "gemm_v3<true, false>"
  uint64_t launches = 0;
  dim3 grid, block;           // of the last launch
  size_t dynamic_shared = 0;  // of the last launch
  uint64_t blocks = 0, profiled_blocks = 0;  // over all launches
  AccessCounts sampled;    // the profiled blocks' requests, exactly
  AccessCounts estimated;  // each launch's sample scaled by its blocks / profiled blocks
};

void set_profiling(bool on);
bool profiling();
// Every kernel launched with profiling on since the last reset, in order of first launch.
// Launches still queued are not in it yet: synchronize first.
std::vector<KernelProfile> kernel_profiles();
void reset_profiles();

// Errors inside a kernel are sticky, as on a GPU: every later call fails. Tests
// that provoke one on purpose take it back with this (there is no such call on
// a real device, where only a reset recovers).
std::string take_sticky_error();

// Narrows the bytes of a cudaMalloc block that kernels and copies may touch (the
// caching allocator's rounding slack and cached blocks are off limits); what
// leaves use is refilled with 0xFF. A GPU has no such call.
void set_accessible_bytes(void* block, size_t bytes);

// ---- the launch template behind kernels::cuda::launch ----
template <class F>
struct KernelParams;
template <class... P>
struct KernelParams<void (*)(P...)> {
  using Tuple = std::tuple<std::decay_t<P>...>;
};

// "gemm_v3<true, false>": the kernel's name from this function's signature (g++), or from the
// demangled type KernelTag<Kernel> (clang, whose signature drops the template arguments).
template <auto Kernel>
struct KernelTag {};
std::string kernel_name_from_signature(const char* pretty_function);
std::string kernel_name_from_tag(const char* mangled_tag_type);
template <auto Kernel>
const std::string& kernel_name() {
#if defined(__clang__)
  static const std::string name = kernel_name_from_tag(typeid(KernelTag<Kernel>).name());
#else
  static const std::string name = kernel_name_from_signature(__PRETTY_FUNCTION__);
#endif
  return name;
}

template <auto Kernel, class Tuple>
void run_kernel_thread(const void* args) {
  std::apply(Kernel, *static_cast<const Tuple*>(args));  // each thread gets its own parameter copies
}

template <auto Kernel, class... Args>
void launch_kernel(dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, Args&&... args) {
  using Tuple = typename KernelParams<decltype(Kernel)>::Tuple;
  static_assert(sizeof(Tuple) <= 32764, "kernel parameters exceed CUDA's 32,764-byte limit");
  KernelLaunch k;
  k.name = kernel_name<Kernel>();
  k.function = reinterpret_cast<const void*>(Kernel);
  k.grid = grid;
  k.block = block;
  k.dynamic_shared = shared_bytes;
  k.stream = stream;
  k.run_thread = &run_kernel_thread<Kernel, Tuple>;
  k.args = std::make_shared<Tuple>(std::forward<Args>(args)...);
  k.args_bytes = sizeof(Tuple);
  launch(std::move(k));
}

}  // namespace cyclone::emu
