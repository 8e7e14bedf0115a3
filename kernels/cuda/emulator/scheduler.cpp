// How the emulated device runs a grid: blocks one after another; within a
// block, each thread runs until it finishes or waits (__syncthreads, a warp
// collective), then the next thread runs. A worker fiber starts threads in a
// loop, so a kernel with no barrier runs its threads back to back on one
// fiber; a thread that waits keeps its fiber, and a fresh worker starts the
// next. When every live thread waits, the barrier is released (or reported:
// not every thread reached it, or they reached different ones).
#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>

#include "kernels/cuda/emulator/profile.h"
#include "kernels/cuda/emulator/state.h"

uint3 threadIdx{}, blockIdx{};
dim3 blockDim, gridDim;

namespace cyclone::emu::detail {

Running g_run;
constinit thread_local bool t_runs_kernel = false;

namespace {

Fiber g_host;                                // the thread that launched the kernel
std::vector<std::unique_ptr<Fiber>> g_fibers;  // every worker ever made
std::vector<Fiber*> g_idle;                  // parked workers, ready to start threads
uint64_t g_next_interval = 1;
unsigned g_barrier_count = 0;                // __syncthreads_count's answer for the released barrier

void set_current(ThreadSlot& t) {
  threadIdx = t.idx;
  g_run.thread = &t;
}

void switch_to(Fiber* f) {
  g_run.fiber = f;
  ++counters().fiber_switches;
  fiber_switch(g_host, *f);
}

// On a fiber: give control back to the scheduler until this thread is resumed.
void wait_here() {
  ThreadSlot* me = g_run.thread;
  Fiber* self = g_run.fiber;
  ++counters().fiber_switches;
  fiber_switch(*self, g_host);
  set_current(*me);
}

// Thrown by fault(): unwinds the failing thread's frames back to its worker.
struct KernelFault {};

void worker_main(void* self_ptr) {
  fiber_entered();
  auto* self = static_cast<Fiber*>(self_ptr);
  for (;;) {
    for (BlockRun* b = g_run.block; b && !b->failed && b->next_start < b->start_order.size(); b = g_run.block) {
      ThreadSlot& t = b->threads[b->start_order[b->next_start++]];
      t.fiber = self;
      t.state = ThreadState::Running;
      set_current(t);
      try {
        g_run.launch->run_thread(g_run.args);
      } catch (const KernelFault&) {
        t.fiber = nullptr;  // this fiber is clean again; the block has failed
        break;
      }
      t.state = ThreadState::Done;
      ++b->done;
    }
    g_idle.push_back(self);
    ++counters().fiber_switches;
    fiber_switch(*self, g_host);
  }
}

Fiber* idle_worker() {
  if (!g_idle.empty()) {
    Fiber* f = g_idle.back();
    g_idle.pop_back();
    return f;
  }
  g_fibers.push_back(std::make_unique<Fiber>());
  Fiber* f = g_fibers.back().get();
  fiber_start(*f, &worker_main, f);
  return f;
}

// The order of `ids` for this start or release (Options::order).
void apply_order(std::vector<unsigned>& ids, uint64_t salt) {
  const Options& o = options();
  if (o.order == ThreadOrder::Reverse) std::reverse(ids.begin(), ids.end());
  if (o.order == ThreadOrder::Seeded) {
    std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + salt);
    std::shuffle(ids.begin(), ids.end(), rng);
  }
}

std::string site(const char* file, int line) {
  std::string f = file;
  const size_t slash = f.rfind('/');
  return (slash == std::string::npos ? f : f.substr(slash + 1)) + ":" + std::to_string(line);
}

const char* op_name(WarpOp op, Shuffle s, const char* exchange) {
  switch (op) {
    case WarpOp::Shuffle:
      return s == Shuffle::Index ? "__shfl_sync" : s == Shuffle::Xor ? "__shfl_xor_sync"
                                 : s == Shuffle::Up  ? "__shfl_up_sync" : "__shfl_down_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::SyncWarp: return "__syncwarp";
    case WarpOp::Exchange: return exchange;
    case WarpOp::None: break;
  }
  return "a warp collective";
}

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// A failure found by the scheduler itself (on the host context, not a fiber).
void fail_block(BlockRun& b, const std::string& what) {
  set_sticky_error(cudaErrorLaunchFailure, "kernel " + g_run.launch->name + ", block (" + std::to_string(b.idx.x) +
                                               "," + std::to_string(b.idx.y) + "," + std::to_string(b.idx.z) +
                                               "): " + what);
  b.failed = true;
}

std::string why_absent(const BlockRun& b, unsigned linear) {
  const ThreadSlot& t = b.threads[linear];
  if (t.state == ThreadState::Done) return "exited";
  if (t.state == ThreadState::AtBarrier) return "waits at __syncthreads " + site(t.file, t.line);
  return "waits at another warp collective at " + site(t.file, t.line);
}

// Every live thread waits. Release the barrier, or report why it cannot be.
void resolve_wait(BlockRun& b) {
  for (unsigned w = 0; w < b.warps.size(); ++w) {
    const WarpSlot& ws = b.warps[w];
    if (!ws.arrived) continue;
    std::string missing;
    for (unsigned l = 0; l < 32; ++l) {
      if ((ws.mask >> l & 1u) && !(ws.arrived >> l & 1u)) {
        missing += (missing.empty() ? "" : "; ") + std::string("lane ") + std::to_string(l) + " " +
                   why_absent(b, w * 32 + l);
      }
    }
    fail_block(b, std::string(op_name(ws.op, ws.shuffle, ws.exchange)) + " at " + site(ws.file, ws.line) + " in warp " +
                      std::to_string(w) + " with mask " + hex(ws.mask) + " is never reached by every lane it names (" +
                      missing + ")");
    return;
  }
  const ThreadSlot* first = nullptr;
  unsigned count = 0;
  for (const ThreadSlot& t : b.threads) {
    if (t.state != ThreadState::AtBarrier) continue;
    if (!first) first = &t;
    if (t.line != first->line || std::strcmp(t.file, first->file) != 0) {
      fail_block(b, "divergent __syncthreads: thread " + format_thread(first->linear) + " waits at " +
                        site(first->file, first->line) + " but thread " + format_thread(t.linear) + " at " +
                        site(t.file, t.line));
      return;
    }
    count += t.predicate != 0;
  }
  if (b.done > 0) {
    unsigned exited = 0;
    for (const ThreadSlot& t : b.threads) {
      if (t.state == ThreadState::Done && !exited++) {
        fail_block(b, "__syncthreads at " + site(first->file, first->line) + " is not reached by every thread: thread " +
                          format_thread(t.linear) + " (and " + std::to_string(b.done - 1) +
                          " more) exited without reaching it");
      }
    }
    return;
  }
  ++counters().barriers;
  g_barrier_count = count;
  g_run.interval = g_next_interval++;
  profile_interval_end();
  std::vector<unsigned> ids(b.threads.size());
  for (unsigned i = 0; i < ids.size(); ++i) ids[i] = i;
  apply_order(ids, g_run.interval);
  for (unsigned i : ids) {
    b.threads[i].state = ThreadState::Running;
    b.ready.push_back(i);
  }
}

// After a failure: the fibers of unfinished threads restart from scratch.
void recycle_fibers(BlockRun& b) {
  std::vector<Fiber*> stuck;
  for (ThreadSlot& t : b.threads) {
    if (t.state != ThreadState::Done && t.state != ThreadState::NotStarted && t.fiber) stuck.push_back(t.fiber);
  }
  std::sort(stuck.begin(), stuck.end());
  stuck.erase(std::unique(stuck.begin(), stuck.end()), stuck.end());
  for (Fiber* f : stuck) {
    if (std::find(g_idle.begin(), g_idle.end(), f) != g_idle.end()) continue;
    fiber_start(*f, &worker_main, f);
    g_idle.push_back(f);
  }
}

void reset_block(BlockRun& b, uint3 idx) {
  b.idx = idx;
  for (ThreadSlot& t : b.threads) {
    t.state = ThreadState::NotStarted;
    t.fiber = nullptr;
  }
  for (WarpSlot& w : b.warps) {
    w.arrived = 0;
    w.op = WarpOp::None;
    w.syncs = 0;
  }
  b.start_order.resize(b.threads.size());
  for (unsigned i = 0; i < b.threads.size(); ++i) b.start_order[i] = i;
  apply_order(b.start_order, (uint64_t(idx.z) << 42) ^ (uint64_t(idx.y) << 21) ^ idx.x);
  b.next_start = 0;
  b.ready.clear();
  b.done = 0;
  b.failed = false;
}

void run_block(BlockRun& b) {
  g_run.block = &b;
  g_run.interval = g_run.block_first_interval = g_next_interval++;
  begin_block_checks();
  profile_block_begin();
  while (!b.failed) {
    if (!b.ready.empty()) {
      ThreadSlot& t = b.threads[b.ready.front()];
      b.ready.pop_front();
      switch_to(t.fiber);
    } else if (b.next_start < b.start_order.size()) {
      switch_to(idle_worker());
    } else if (b.done == b.threads.size()) {
      break;
    } else {
      resolve_wait(b);
    }
  }
  profile_block_end(!b.failed);
  if (b.failed) recycle_fibers(b);
  g_run.fiber = nullptr;
  g_run.thread = nullptr;
}

void require_kernel(const char* what) {
  if (!in_kernel_here()) throw std::logic_error(std::string(what) + " called outside a kernel");
}

// The PTX ISA's shfl.sync lane selection: the lane whose value `lane` receives.
unsigned shuffle_source(Shuffle kind, unsigned lane, int b, int width) {
  const unsigned c = (unsigned(32 - width) << 8) | (kind == Shuffle::Up ? 0u : 0x1fu);
  const int segmask = int(c >> 8 & 0x1f), cval = int(c & 0x1f), l = int(lane);
  const int max_lane = (l & segmask) | (cval & ~segmask), min_lane = l & segmask;
  int j = l;
  bool ok = false;
  switch (kind) {
    case Shuffle::Up: j = l - b; ok = j >= max_lane; break;
    case Shuffle::Down: j = l + b; ok = j <= max_lane; break;
    case Shuffle::Xor: j = l ^ b; ok = j <= max_lane; break;
    case Shuffle::Index: j = min_lane | ((b & 0x1f) & ~segmask); ok = j <= max_lane; break;
  }
  return ok ? unsigned(j) : lane;
}

void complete_collective(WarpSlot& w, unsigned warp) {
  if (w.op == WarpOp::SyncWarp) {
    ++w.syncs;
    return;
  }
  if (w.op == WarpOp::Exchange) {
    auto lane_of = [&](unsigned l) { return reinterpret_cast<const ExchangeLane*>(w.values[l]); };
    const unsigned words = lane_of(__builtin_ctz(w.mask))->words;
    for (unsigned l = 0; l < 32; ++l) {
      if ((w.mask >> l & 1u) && lane_of(l)->words != words) {
        fault(cudaErrorLaunchFailure, std::string(w.exchange) + " at " + site(w.file, w.line) + ": lanes of warp " +
                                          std::to_string(warp) + " give different operand counts");
      }
    }
    for (unsigned dst = 0; dst < 32; ++dst) {
      if (!(w.mask >> dst & 1u)) continue;
      for (unsigned src = 0; src < 32; ++src) {
        if (w.mask >> src & 1u) std::memcpy(lane_of(dst)->all + src * words, lane_of(src)->mine, words * 4);
      }
    }
    return;
  }
  if (w.op == WarpOp::Shuffle) {
    for (unsigned l = 0; l < 32; ++l) {
      if (!(w.mask >> l & 1u)) continue;
      const unsigned src = shuffle_source(w.shuffle, l, w.args[l], w.width);
      if (!(w.mask >> src & 1u)) {
        fault(cudaErrorLaunchFailure, std::string(op_name(w.op, w.shuffle, w.exchange)) + " at " + site(w.file, w.line) +
                                          ": lane " + std::to_string(l) + " of warp " + std::to_string(warp) +
                                          " reads lane " + std::to_string(src) + ", which is not in the mask " +
                                          hex(w.mask));
      }
      w.results[l] = w.values[src];
    }
    return;
  }
  unsigned ballot = 0;
  for (unsigned l = 0; l < 32; ++l) {
    if ((w.mask >> l & 1u) && w.values[l]) ballot |= 1u << l;
  }
  const uint64_t r = w.op == WarpOp::Ballot ? ballot : w.op == WarpOp::Any ? (ballot != 0) : (ballot == w.mask);
  for (unsigned l = 0; l < 32; ++l) w.results[l] = r;
}

uint64_t collective(WarpOp op, Shuffle kind, unsigned mask, uint64_t value, int arg, int width, const char* file,
                    int line, const char* exchange = "") {
  require_kernel(op_name(op, kind, exchange));
  ++counters().warp_collectives;
  BlockRun& b = *g_run.block;
  ThreadSlot& me = *g_run.thread;
  const unsigned lane = me.linear % 32, warp = me.linear / 32, bit = 1u << lane;
  WarpSlot& w = b.warps[warp];
  auto here = [&] { return std::string(op_name(op, kind, exchange)) + " at " + site(file, line); };
  if (!(mask & bit)) fault(cudaErrorLaunchFailure, here() + ": the calling lane " + std::to_string(lane) +
                                                       " is not in its mask " + hex(mask));
  if (mask & ~w.lanes) {
    fault(cudaErrorLaunchFailure, here() + ": mask " + hex(mask) + " names lanes that do not exist (warp " +
                                      std::to_string(warp) + " has lanes " + hex(w.lanes) + " in a block of " +
                                      std::to_string(b.threads.size()) + " threads)");
  }
  if (op == WarpOp::Shuffle && (width < 1 || width > 32 || (width & (width - 1)))) {
    fault(cudaErrorLaunchFailure, here() + ": width " + std::to_string(width) + " is not a power of two up to 32");
  }
  // An Exchange is .aligned: every lane must be at the same call site.
  const bool other_site = op == WarpOp::Exchange && (w.line != line || std::strcmp(w.file, file) != 0);
  if (!w.arrived) {
    w.op = op; w.shuffle = kind; w.mask = mask; w.width = width; w.file = file; w.line = line; w.exchange = exchange;
  } else if (w.op != op || w.mask != mask || other_site ||
             (op == WarpOp::Shuffle && (w.shuffle != kind || w.width != width))) {
    fault(cudaErrorLaunchFailure, here() + " with mask " + hex(mask) + ": lanes " + hex(w.arrived) + " of warp " +
                                      std::to_string(warp) + " wait in " + op_name(w.op, w.shuffle, w.exchange) + " at " +
                                      site(w.file, w.line) + " with mask " + hex(w.mask));
  }
  w.values[lane] = value;
  w.args[lane] = arg;
  w.arrived |= bit;
  if (w.arrived != w.mask) {
    me.state = ThreadState::AtWarp;
    me.file = file;
    me.line = line;
    wait_here();
    return w.results[lane];
  }
  complete_collective(w, warp);
  profile_warp_interval_end(warp);
  std::vector<unsigned> others;
  for (unsigned l = 0; l < 32; ++l) {
    if ((mask >> l & 1u) && l != lane) others.push_back(warp * 32 + l);
  }
  apply_order(others, g_run.interval * 64 + warp);
  for (unsigned t : others) {
    b.threads[t].state = ThreadState::Running;
    b.ready.push_back(t);
  }
  w.arrived = 0;
  w.op = WarpOp::None;
  return w.results[lane];
}

void barrier(const char* file, int line, int predicate) {
  require_kernel("__syncthreads");
  ThreadSlot& me = *g_run.thread;
  me.state = ThreadState::AtBarrier;
  me.file = file;
  me.line = line;
  me.predicate = predicate;
  wait_here();
}

}  // namespace

std::string format_thread(unsigned linear) {
  const unsigned bx = blockDim.x, by = blockDim.y;
  return "(" + std::to_string(linear % bx) + "," + std::to_string(linear / bx % by) + "," +
         std::to_string(linear / (bx * by)) + ")";
}

std::string where_now() {
  std::string s = "kernel " + (g_run.launch ? g_run.launch->name : std::string("?"));
  if (g_run.block) {
    s += ", block (" + std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," +
         std::to_string(blockIdx.z) + ")";
  }
  if (g_run.thread) s += ", thread " + format_thread(g_run.thread->linear);
  return s;
}

void fault(cudaError_t code, const std::string& what) {
  if (!t_runs_kernel || !g_run.fiber || !g_run.block) {
    throw std::logic_error("emulator fault outside a kernel: " + what);
  }
  set_sticky_error(code, where_now() + ": " + what);
  g_run.block->failed = true;
  throw KernelFault{};
}

void run_kernel(const KernelLaunch& k) {
  struct OnThisThread {
    OnThisThread() { t_runs_kernel = true; }
    ~OnThisThread() { t_runs_kernel = false; }
  } on_this_thread;
  g_run = Running{};
  g_run.launch = &k;
  g_run.args = k.args.get();
  g_run.args_bytes = k.args_bytes;
  const size_t dyn_bytes = std::max<size_t>(k.dynamic_shared, 1);
  // Freed with operator delete[] of the same alignment, however the launch ends.
  struct AlignedDelete {
    void operator()(char* p) const { ::operator delete[](p, std::align_val_t(16)); }
  };
  std::unique_ptr<char[], AlignedDelete> dyn(new (std::align_val_t(16)) char[dyn_bytes]);
  g_run.dynamic_shared = dyn.get();
  g_run.dynamic_shared_bytes = k.dynamic_shared;
  blockDim = k.block;
  gridDim = k.grid;
  const unsigned n = k.block.x * k.block.y * k.block.z;
  BlockRun b;
  b.threads.resize(n);
  for (unsigned i = 0; i < n; ++i) {
    b.threads[i].linear = i;
    b.threads[i].idx = {i % k.block.x, i / k.block.x % k.block.y, i / (k.block.x * k.block.y)};
  }
  b.warps.resize((n + 31) / 32);
  for (unsigned w = 0; w < b.warps.size(); ++w) {
    const unsigned lanes = std::min(32u, n - w * 32);
    b.warps[w].lanes = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
  }
  ++counters().launches;
  profile_launch_begin(k);
  for (unsigned z = 0; z < k.grid.z && !b.failed; ++z) {
    for (unsigned y = 0; y < k.grid.y && !b.failed; ++y) {
      for (unsigned x = 0; x < k.grid.x && !b.failed; ++x) {
        blockIdx = {x, y, z};
        reset_block(b, blockIdx);
        run_block(b);
        ++counters().blocks;
        counters().threads += n;
      }
    }
  }
  profile_launch_end();
  g_run = Running{};
}

}  // namespace cyclone::emu::detail

// ---- the device-side entry points declared in device_builtins.h ----
using cyclone::emu::Shuffle;
using cyclone::emu::detail::WarpOp;

void __syncthreads(const char* file, int line) { cyclone::emu::detail::barrier(file, line, 0); }
int __syncthreads_count(int pred, const char* file, int line) {
  cyclone::emu::detail::barrier(file, line, pred);
  return static_cast<int>(cyclone::emu::detail::g_barrier_count);
}
int __syncthreads_and(int pred, const char* file, int line) {
  cyclone::emu::detail::barrier(file, line, pred);
  return cyclone::emu::detail::g_barrier_count == blockDim.x * blockDim.y * blockDim.z;
}
int __syncthreads_or(int pred, const char* file, int line) {
  cyclone::emu::detail::barrier(file, line, pred);
  return cyclone::emu::detail::g_barrier_count > 0;
}
void __syncwarp(unsigned mask, const char* file, int line) {
  cyclone::emu::detail::collective(WarpOp::SyncWarp, Shuffle::Index, mask, 0, 0, 32, file, line);
}
unsigned __ballot_sync(unsigned mask, int pred, const char* file, int line) {
  return static_cast<unsigned>(
      cyclone::emu::detail::collective(WarpOp::Ballot, Shuffle::Index, mask, pred != 0, 0, 32, file, line));
}
int __any_sync(unsigned mask, int pred, const char* file, int line) {
  return static_cast<int>(cyclone::emu::detail::collective(WarpOp::Any, Shuffle::Index, mask, pred != 0, 0, 32, file, line));
}
int __all_sync(unsigned mask, int pred, const char* file, int line) {
  return static_cast<int>(cyclone::emu::detail::collective(WarpOp::All, Shuffle::Index, mask, pred != 0, 0, 32, file, line));
}
unsigned __activemask() {
  using namespace cyclone::emu::detail;
  if (!in_kernel_here()) return 0;
  const unsigned warp = g_run.thread->linear / 32;
  unsigned m = 0;
  for (unsigned l = 0; l < 32; ++l) {
    const unsigned t = warp * 32 + l;
    if (t < g_run.block->threads.size() && g_run.block->threads[t].state != ThreadState::Done) m |= 1u << l;
  }
  return m;
}

namespace cyclone::emu {
uint64_t warp_shuffle(Shuffle kind, unsigned mask, uint64_t bits, int arg, int width, const char* file, int line) {
  return detail::collective(WarpOp::Shuffle, kind, mask, bits, arg, width, file, line);
}
void* dynamic_shared_memory() { return detail::g_run.dynamic_shared; }
unsigned warp_exchange(const char* name, unsigned mask, const uint32_t* mine, unsigned words, uint32_t* all,
                       const char* file, int line) {
  detail::ExchangeLane me{mine, all, words};
  detail::collective(WarpOp::Exchange, Shuffle::Index, mask, reinterpret_cast<uintptr_t>(&me), 0, 32, file, line,
                     name);
  return detail::g_run.thread->linear % 32;
}
}  // namespace cyclone::emu
