// Staging for host-to-device uploads: CPU tensors in pinned (page-locked)
// memory, asynchronous copies from them to CUDA tensors, and the stream event
// that says when such a copy has finished with its source. Used by the
// DataLoader's producer thread; needs the CUDA backend.
#pragma once

#include "tensor/tensor.h"

namespace cyclone {

// A contiguous CPU tensor whose storage is pinned host memory.
Tensor empty_pinned(const Shape& shape, DType dtype = DType::f32);

// dst <- src, queued on cyclone's stream: returns at once. dst is a contiguous
// CUDA tensor, src a pinned CPU tensor of the same shape and dtype, which must
// stay untouched until an event recorded after the copy has completed.
void upload_async(const Tensor& dst, const Tensor& pinned_src);

// An event on cyclone's stream: marks the point where it was recorded.
class StreamEvent {
 public:
  StreamEvent() = default;
  ~StreamEvent() { reset(); }
  StreamEvent(const StreamEvent&) = delete;
  StreamEvent& operator=(const StreamEvent&) = delete;

  void record();  // marks the stream's current end (replacing an earlier mark)
  void wait();    // blocks the host until the marked work is done; then empty
  bool recorded() const { return handle_ != nullptr; }

 private:
  void reset();
  void* handle_ = nullptr;
};

}  // namespace cyclone
