// The few CUDA runtime services the tensor layer needs: device queries, raw
// device memory (wrapped by the caching allocator in tensor/allocator.cpp),
// copies, and the one stream all of cyclone's work runs on. In a CPU-only
// build these are defined in kernels/cuda_disabled.cpp and throw.
#pragma once
#include <cstddef>
#include <string>

namespace cyclone::kernels::cuda {

bool built();                 // true when compiled with the CUDA backend
bool emulated();              // true when that backend is the emulated device on the CPU
int device_count();           // 0 if no driver/GPU; never throws
std::string device_name(int index);
void set_device(int index);
int current_device();
void* raw_malloc(size_t bytes);  // cudaMalloc; throws std::runtime_error("out of memory ...")
// The release calls never throw (destructors call them): a failure, such as a
// sticky error after a kernel fault, is reported on stderr once and the memory
// is left to the driver.
void raw_free(void* ptr);
// The caching allocator says which bytes of a raw block are in use: the
// emulated device then treats the rest (rounding slack, a cached block) as out
// of bounds. No-ops on a GPU.
void mark_in_use(void* block, size_t used_bytes);
void mark_cached(void* block);
// Host<->device copies on cyclone's stream. to_host waits for the copy (the
// caller asked for host data); the others are asynchronous.
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_device_to_device(void* dst, const void* src, size_t bytes);
void synchronize();
// Pinned (page-locked) host memory for fast asynchronous uploads.
void* pinned_malloc(size_t bytes);
void pinned_free(void* ptr);
size_t mem_total(int index);
// The streams: `compute`, which every kernel and copy runs on, and `upload`, the data
// loader's, whose host-to-device copies overlap the compute (events order the two).
enum class Stream { compute, upload };
// Asynchronous upload from pinned memory on `stream`: returns at once; the source must
// stay untouched until an event recorded after it has completed.
void copy_to_device_async(void* dst, const void* pinned_src, size_t bytes, Stream stream = Stream::compute);
// Events by handle: record on a stream, wait on the host, or make a stream wait for one.
void* event_record(Stream stream = Stream::compute);
void event_synchronize(void* event);
void stream_wait_event(Stream stream, void* event);
void event_destroy(void* event);
// CUDA graphs of cyclone's stream (kernels/cuda/graph.cu). Between capture_begin and
// capture_end the stream's work is recorded, not run; capture_end returns an executable
// graph that graph_replay launches with one call, the kernels' parameters as captured.
// During a capture nothing on the capturing thread may synchronise or free device memory
// (the call fails, naming itself, and invalidates the capture); capture_end then throws,
// naming that call. Other threads' work (the data loader's uploads) is not captured.
// capture_abandon ends a capture without a graph (after an exception, say).
void capture_begin();
void* capture_end();
void capture_abandon();
bool capturing();
void graph_replay(void* graph);
void graph_destroy(void* graph);

}  // namespace cyclone::kernels::cuda
