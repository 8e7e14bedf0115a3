// CudaGraph (see cuda_graph.h): the stream capture of kernels/cuda_runtime.h
// together with the allocator's GraphMemoryPool.
#include "tensor/cuda_graph.h"

#include <stdexcept>

#include "kernels/cuda_runtime.h"

namespace cyclone {

CudaGraph::CudaGraph(Device device) : pool_(device) {}

CudaGraph::~CudaGraph() { kernels::cuda::graph_destroy(exec_); }

void CudaGraph::begin_capture() {
  if (exec_) throw std::logic_error("CudaGraph: already captured");
  pool_.begin_capture();
  try {
    kernels::cuda::capture_begin();
  } catch (...) {
    pool_.end_capture();
    throw;
  }
}

void CudaGraph::end_capture() {
  pool_.end_capture();
  exec_ = kernels::cuda::capture_end();
}

void CudaGraph::abandon_capture() {
  pool_.end_capture();
  kernels::cuda::capture_abandon();
}

void CudaGraph::replay() const {
  if (!exec_) throw std::logic_error("CudaGraph: nothing captured to replay");
  kernels::cuda::graph_replay(exec_);
}

}  // namespace cyclone
