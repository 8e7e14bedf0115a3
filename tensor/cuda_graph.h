// A CUDA graph of cyclone's stream with memory of its own: between
// begin_capture and end_capture the stream's work is recorded, not run, and
// the tensors made meanwhile come from the graph's GraphMemoryPool
// (tensor/allocator.h); replay() then runs the recorded work with one launch,
// on whatever data its buffers hold. Nothing may synchronise with the device
// or free device memory during a capture: that call fails, and end_capture
// throws naming it. Needs the CUDA backend.
#pragma once
#include <memory>

#include "tensor/allocator.h"
#include "tensor/device.h"

namespace cyclone {

class CudaGraph {
 public:
  explicit CudaGraph(Device device);
  ~CudaGraph();  // the graph first, then its memory
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void begin_capture();
  void end_capture();      // throws std::runtime_error when the capture failed
  void abandon_capture();  // ends a capture without a graph (after an exception)
  void replay() const;
  bool captured() const { return exec_ != nullptr; }
  size_t memory_blocks() const { return pool_.blocks(); }

 private:
  GraphMemoryPool pool_;
  void* exec_ = nullptr;
};

}  // namespace cyclone
