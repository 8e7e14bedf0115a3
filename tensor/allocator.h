// Memory for tensors. CPU: 64-byte aligned host blocks. CUDA: a caching
// allocator that keeps freed blocks in size buckets and hands them out again,
// so steady-state training makes no cudaMalloc/cudaFree calls. All work runs
// on one stream, so a block freed in stream order can be reused at once.
#pragma once
#include <cstddef>

#include "tensor/device.h"

namespace cyclone {

struct MemoryStats {
  size_t current_bytes = 0;   // bytes held by live tensors
  size_t peak_bytes = 0;      // high-water mark of current_bytes
  size_t reserved_bytes = 0;  // bytes obtained from the driver (live + cached)
  size_t driver_allocs = 0;   // number of cudaMalloc calls made
  size_t cache_hits = 0;      // allocations served from the cache
};

void* allocate(Device device, size_t bytes);
void deallocate(Device device, void* ptr, size_t bytes);
MemoryStats memory_stats(Device device);
void reset_peak_memory(Device device);
// Returns cached (unused) CUDA blocks to the driver.
void empty_cache(Device device);
// The size the allocator actually reserves for a request (exposed for tests).
size_t allocation_size(Device device, size_t bytes);

// The memory of a CUDA graph (kernels/cuda_runtime.h's capture): while capturing, the
// capturing thread's allocations on the device come from this pool (a block it holds, else one from the cache or
// the driver) and the blocks freed go back to it, not to the cache. It keeps them after
// the capture, so every replay of the graph finds the memory it was captured with and no
// tensor made outside the graph is ever given a block the graph writes. A block a tensor
// still holds returns to the pool when freed. Destroying the pool (after the graph) gives
// its free blocks to the device's cache, and the blocks tensors still hold go there when
// they are freed. One pool captures at a time.
class GraphMemoryPool {
 public:
  explicit GraphMemoryPool(Device device);
  ~GraphMemoryPool();
  GraphMemoryPool(const GraphMemoryPool&) = delete;
  GraphMemoryPool& operator=(const GraphMemoryPool&) = delete;
  void begin_capture();  // the device's allocations and frees go to this pool...
  void end_capture();    // ...until this
  size_t blocks() const;  // blocks the pool owns, held or free

 private:
  Device device_;
  int id_;
};

}  // namespace cyclone
