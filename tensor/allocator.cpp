// CPU and CUDA allocators; see allocator.h for the design.
#include "tensor/allocator.h"

#include <cstdlib>
#include <iterator>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kernels/cuda_runtime.h"

namespace cyclone {
namespace {

using FreeLists = std::unordered_map<size_t, std::vector<void*>>;  // rounded size -> blocks

// A GraphMemoryPool's blocks.
struct GraphBlocks {
  FreeLists free_blocks;
  size_t owned = 0;
};

struct Pool {
  std::mutex mu;
  FreeLists free_blocks;
  MemoryStats stats;
  bool host = false;
  // CUDA graphs: the pools by id, which of them captures (0: none), and each owned block's pool.
  std::unordered_map<int, GraphBlocks> graphs;
  int capturing = 0, next_graph = 1;
  std::thread::id capturing_thread;  // only its allocations go to the capturing pool
  std::unordered_map<void*, int> graph_of;
  // Cached host blocks go back to malloc at exit (device blocks go with the driver).
  ~Pool() {
    if (!host) return;
    for (auto& [size, blocks] : free_blocks) {
      for (void* b : blocks) std::free(b);
    }
  }
};

constexpr int kMaxDevices = 16;

Pool& pool_for(Device d) {
  static Pool cpu;
  static const bool cpu_marked = (cpu.host = true);
  (void)cpu_marked;
  static Pool gpus[kMaxDevices];
  if (d.is_cpu()) return cpu;
  if (d.index < 0 || d.index >= kMaxDevices) throw std::invalid_argument("bad CUDA device index " + std::to_string(d.index));
  return gpus[d.index];
}

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

void note_alloc(MemoryStats& s, size_t bytes) {
  s.current_bytes += bytes;
  if (s.current_bytes > s.peak_bytes) s.peak_bytes = s.current_bytes;
}

// Host blocks at least this large are cached too: fresh large allocations are
// mmap'ed and page-faulted on every use, which dominated CPU conv time.
constexpr size_t kCpuCacheMin = size_t(1) << 16;

void release_cached(Pool& p) {
  const bool cpu = &p == &pool_for(kCPU);
  for (auto& [size, blocks] : p.free_blocks) {
    for (void* b : blocks) {
      if (cpu) {
        std::free(b);
      } else {
        kernels::cuda::raw_free(b);
      }
      p.stats.reserved_bytes -= size;
    }
  }
  p.free_blocks.clear();
}

}  // namespace

size_t allocation_size(Device device, size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (device.is_cpu() && bytes < kCpuCacheMin) return round_up(bytes, 64);
  if (bytes <= (1u << 20)) return round_up(bytes, 512);
  // Larger blocks: round to 1/8 of the enclosing power of two (at most 12.5% waste).
  size_t pow2 = 1u << 20;
  while (pow2 < bytes) pow2 <<= 1;
  return round_up(bytes, pow2 / 8);
}

namespace {

// A block of `size` from `lists`, or null.
void* take(FreeLists& lists, size_t size) {
  auto it = lists.find(size);
  if (it == lists.end() || it->second.empty()) return nullptr;
  void* ptr = it->second.back();
  it->second.pop_back();
  return ptr;
}

}  // namespace

void* allocate(Device device, size_t bytes) {
  const size_t size = allocation_size(device, bytes);
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  const bool into_graph = p.capturing && p.capturing_thread == std::this_thread::get_id();
  GraphBlocks* graph = into_graph ? &p.graphs[p.capturing] : nullptr;
  void* cached = graph ? take(graph->free_blocks, size) : nullptr;
  if (!cached) {
    cached = take(p.free_blocks, size);
    if (cached && graph) {  // a cache block joins the graph for good
      p.graph_of[cached] = p.capturing;
      ++graph->owned;
    }
  }
  if (cached) {
    p.stats.cache_hits++;
    note_alloc(p.stats, size);
    if (!device.is_cpu()) kernels::cuda::mark_in_use(cached, bytes);
    return cached;
  }
  void* ptr = nullptr;
  if (device.is_cpu()) {
    ptr = std::aligned_alloc(64, size);
    if (!ptr) {
      release_cached(p);
      ptr = std::aligned_alloc(64, size);
    }
    if (!ptr) throw std::bad_alloc();
  } else {
    kernels::cuda::set_device(device.index);
    try {
      ptr = kernels::cuda::raw_malloc(size);
    } catch (const std::runtime_error&) {
      release_cached(p);  // give the cache back to the driver and try once more
      ptr = kernels::cuda::raw_malloc(size);
    }
  }
  p.stats.driver_allocs++;
  p.stats.reserved_bytes += size;
  note_alloc(p.stats, size);
  if (graph) {
    p.graph_of[ptr] = p.capturing;
    ++graph->owned;
  }
  if (!device.is_cpu()) kernels::cuda::mark_in_use(ptr, bytes);
  return ptr;
}

void deallocate(Device device, void* ptr, size_t bytes) {
  if (!ptr) return;
  const size_t size = allocation_size(device, bytes);
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  p.stats.current_bytes -= size;
  if (device.is_cpu() && size < kCpuCacheMin) {
    std::free(ptr);  // small host blocks: malloc's own free lists are fast
    p.stats.reserved_bytes -= size;
    return;
  }
  if (!device.is_cpu()) kernels::cuda::mark_cached(ptr);
  const auto owner = p.graph_of.find(ptr);
  if (owner != p.graph_of.end()) {
    p.graphs[owner->second].free_blocks[size].push_back(ptr);
  } else {
    p.free_blocks[size].push_back(ptr);
  }
}

MemoryStats memory_stats(Device device) {
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.stats;
}

void reset_peak_memory(Device device) {
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  p.stats.peak_bytes = p.stats.current_bytes;
}

void empty_cache(Device device) {
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  release_cached(p);
}

GraphMemoryPool::GraphMemoryPool(Device device) : device_(device), id_(0) {
  if (!device.is_cuda()) throw std::invalid_argument("GraphMemoryPool: CUDA graphs need a CUDA device, not " + device.str());
  Pool& p = pool_for(device);
  std::lock_guard<std::mutex> lock(p.mu);
  id_ = p.next_graph++;
  p.graphs[id_];
}

GraphMemoryPool::~GraphMemoryPool() {
  Pool& p = pool_for(device_);
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.capturing == id_) p.capturing = 0;
  GraphBlocks& g = p.graphs[id_];
  for (auto& [size, blocks] : g.free_blocks) {
    for (void* b : blocks) p.free_blocks[size].push_back(b);
  }
  for (auto it = p.graph_of.begin(); it != p.graph_of.end();) {  // held blocks go to the cache when freed
    it = it->second == id_ ? p.graph_of.erase(it) : std::next(it);
  }
  p.graphs.erase(id_);
}

void GraphMemoryPool::begin_capture() {
  Pool& p = pool_for(device_);
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.capturing != 0 && p.capturing != id_) throw std::logic_error("GraphMemoryPool: another pool is capturing");
  p.capturing = id_;
  p.capturing_thread = std::this_thread::get_id();
}

void GraphMemoryPool::end_capture() {
  Pool& p = pool_for(device_);
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.capturing == id_) p.capturing = 0;
}

size_t GraphMemoryPool::blocks() const {
  Pool& p = pool_for(device_);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.graphs[id_].owned;
}

}  // namespace cyclone
