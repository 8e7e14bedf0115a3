// CUDA graphs of cyclone's stream (kernels/cuda_runtime.h): capture, replay,
// and the error that names what broke a capture. Captures are thread-local:
// the data loader's thread goes on uploading on its own stream meanwhile.
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda_runtime.h"

namespace cyclone::kernels::cuda {

void capture_begin() { CYCLONE_CUDA_CHECK(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal)); }

void* capture_end() {
  cudaGraph_t graph = nullptr;
  const cudaError_t e = cudaStreamEndCapture(stream(), &graph);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::runtime_error(std::string("CUDA graph capture failed: ") + cudaGetErrorString(e) +
                             " (a call during the capture synchronised with the device or freed memory)");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t ie = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  CYCLONE_CUDA_CHECK(ie);
  return exec;
}

void capture_abandon() {
  if (!capturing()) return;
  cudaGraph_t graph = nullptr;
  if (cudaStreamEndCapture(stream(), &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
  (void)cudaGetLastError();
}

bool capturing() {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  CYCLONE_CUDA_CHECK(cudaStreamIsCapturing(stream(), &status));
  return status != cudaStreamCaptureStatusNone;
}

void graph_replay(void* graph) { CYCLONE_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), stream())); }

void graph_destroy(void* graph) {
  if (graph) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph));
}

}  // namespace cyclone::kernels::cuda
