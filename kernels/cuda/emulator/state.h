// Internal state of the emulated device, shared by the scheduler (threads,
// barriers, warps), the runtime (memory, streams, errors) and the access
// checks. One block runs at a time, under the runtime's lock.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "kernels/cuda/emulator/engine.h"
#include "kernels/cuda/emulator/fiber.h"

namespace cyclone::emu::detail {

enum class ThreadState : uint8_t { NotStarted, Running, AtBarrier, AtWarp, Done };

struct ThreadSlot {
  uint3 idx{};
  unsigned linear = 0;
  ThreadState state = ThreadState::NotStarted;
  Fiber* fiber = nullptr;
  const char* file = "";  // where it waits
  int line = 0;
  int predicate = 0;  // __syncthreads_count/and/or
};

enum class WarpOp : uint8_t { None, Shuffle, Ballot, Any, All, SyncWarp, Exchange };

// What a lane gives to, and receives from, a WarpOp::Exchange (on its own stack).
struct ExchangeLane {
  const uint32_t* mine;
  uint32_t* all;
  unsigned words;
};

struct WarpSlot {
  unsigned lanes = 0;     // the lanes that exist (a block's last warp may be partial)
  unsigned arrived = 0;   // lanes waiting in the pending collective
  WarpOp op = WarpOp::None;
  Shuffle shuffle = Shuffle::Index;
  unsigned mask = 0;
  int width = 32;
  const char* file = "";
  int line = 0;
  const char* exchange = "";  // the instruction behind a WarpOp::Exchange
  uint32_t syncs = 0;     // completed __syncwarp calls: orders this warp's shared accesses
  uint64_t values[32] = {}, results[32] = {};
  int args[32] = {};
};

struct BlockRun {
  uint3 idx{};
  std::vector<ThreadSlot> threads;
  std::vector<WarpSlot> warps;
  std::vector<unsigned> start_order;
  size_t next_start = 0;
  std::deque<unsigned> ready;
  unsigned done = 0;
  bool failed = false;
};

// What is running now; valid while a kernel executes.
struct Running {
  const KernelLaunch* launch = nullptr;
  BlockRun* block = nullptr;
  ThreadSlot* thread = nullptr;
  Fiber* fiber = nullptr;
  uint64_t interval = 0;        // the current barrier interval (unique across blocks)
  uint64_t block_first_interval = 0;
  char* dynamic_shared = nullptr;
  size_t dynamic_shared_bytes = 0;
  const void* args = nullptr;
  size_t args_bytes = 0;
};
extern Running g_run;
// True on the host thread running the current kernel (its blocks' fibers run on it).
// While one thread drains the queue, others go on with host code, some of it in CUDA
// sources: their loads and stores belong to no kernel, and no check may take them for one.
extern constinit thread_local bool t_runs_kernel;
inline bool in_kernel_here() { return t_runs_kernel && g_run.thread; }

// Runs a whole grid; a failure inside sets the sticky error.
void run_kernel(const KernelLaunch& k);
// From inside a kernel: stop the launch with a sticky error. `what` names the
// problem; the kernel, block and thread are added here.
[[noreturn]] void fault(cudaError_t code, const std::string& what);
// "kernel gemm_v3<true, false>, block (1,0,0), thread (37,0,0)"
std::string where_now();
std::string format_thread(unsigned linear);

// ---- runtime.cpp: device memory known to the emulator ----
struct Allocation {
  uintptr_t base = 0;
  size_t size = 0;        // bytes allocated
  size_t accessible = 0;  // bytes a kernel may touch now, in stream order (the caching allocator narrows it)
  size_t host_accessible = 0;  // the same in the host program's order, for checking copies as they are made
  bool pinned = false;    // page-locked host memory, reachable from kernels
};
const Allocation* find_allocation(uintptr_t address);
void set_sticky_error(cudaError_t code, const std::string& message);

// ---- runtime.cpp: stream capture (the graph API is in graph.cpp) ----
struct Capture {
  cudaStream_t stream = nullptr;
  std::thread::id thread;  // the capturing thread: only its work is recorded, only it is restricted
  bool active = false;
  std::string invalidated_by;  // the call that invalidated the capture, or empty
  std::vector<std::function<void()>> ops;  // the work recorded, in order
};
Capture& capture();
// Runs `op` in stream order, or records it while this thread captures. Caller holds the lock.
void enqueue_work(std::function<void()> op);
std::recursive_mutex& runtime_mutex();
cudaError_t sticky_error();
cudaError_t fail_call(cudaError_t code, const std::string& detail);  // the call's error, not sticky

// ---- access_checks.cpp ----
void begin_block_checks();       // a new block: its shared memory holds garbage
void on_atomic(const void* p, unsigned bytes);
std::string describe_shared(uintptr_t address);
bool in_shared_memory(const void* p);
// A cp.async into [p, p + bytes) of shared memory is issued (it counts as this thread's write,
// and until it lands any access to those words is an error), or has landed.
void on_async_copy(const void* p, unsigned bytes, bool issued);

}  // namespace cyclone::emu::detail
