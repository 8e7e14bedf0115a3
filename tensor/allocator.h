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

}  // namespace cyclone
