// Staging for host-to-device uploads: CPU tensors in pinned (page-locked)
// memory, asynchronous copies from them to CUDA tensors on either of cyclone's
// two streams, and the stream events that order the streams and say when such
// a copy has finished with its source. Used by the DataLoader, whose producer
// thread uploads on the upload stream while the compute stream trains; needs
// the CUDA backend.
#pragma once

#include "tensor/tensor.h"

namespace cyclone {

// A contiguous CPU tensor whose storage is pinned host memory.
Tensor empty_pinned(const Shape& shape, DType dtype = DType::f32);

// compute: every kernel and copy of cyclone; upload: the data loader's uploads.
enum class CudaStream { compute, upload };

// dst <- src, queued on `stream`: returns at once. dst is a contiguous CUDA tensor,
// src a pinned CPU tensor of the same shape and dtype, which must stay untouched until
// an event recorded after the copy has completed. dst must not be in use on the other
// stream (order them with StreamEvent::make_wait).
void upload_async(const Tensor& dst, const Tensor& pinned_src, CudaStream stream = CudaStream::compute);

// An event on one of cyclone's streams: marks the point where it was recorded.
class StreamEvent {
 public:
  StreamEvent() = default;
  ~StreamEvent() { reset(); }
  StreamEvent(const StreamEvent&) = delete;
  StreamEvent& operator=(const StreamEvent&) = delete;

  // Marks the stream's current end (replacing an earlier mark).
  void record(CudaStream stream = CudaStream::compute);
  void wait();  // blocks the host until the marked work is done; then empty
  // Work queued on `stream` from now on waits for the marked work (the host does not).
  void make_wait(CudaStream stream) const;
  bool recorded() const { return handle_ != nullptr; }

 private:
  void reset();
  void* handle_ = nullptr;
};

}  // namespace cyclone
