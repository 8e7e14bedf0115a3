// Stream capture and CUDA graphs on the emulated device (runtime_api.h): a
// capture records the queued work (runtime.cpp's enqueue) instead of running
// it; a graph is that list of work, and launching its executable queues a copy
// of every item in order, with the kernels' parameters as captured.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/emulator/state.h"

struct CUgraph_st {
  std::vector<std::function<void()>> ops;
};
struct CUgraphExec_st {
  std::vector<std::function<void()>> ops;
};

using cyclone::emu::detail::capture;
using cyclone::emu::detail::fail_call;
using Lock = std::lock_guard<std::recursive_mutex>;

#define CYCLONE_EMU_GRAPH_ENTER                                 \
  Lock lock(cyclone::emu::detail::runtime_mutex());             \
  if (cudaError_t sticky = cyclone::emu::detail::sticky_error()) return sticky

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
  CYCLONE_EMU_GRAPH_ENTER;
  if (!s) return fail_call(cudaErrorStreamCaptureUnsupported, "cudaStreamBeginCapture: the legacy default stream cannot capture");
  if (capture().active) {
    return fail_call(cudaErrorIllegalState, "cudaStreamBeginCapture: a capture is already active");
  }
  capture() = {};
  capture().stream = s;
  capture().thread = std::this_thread::get_id();
  capture().active = true;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph) {
  CYCLONE_EMU_GRAPH_ENTER;
  *graph = nullptr;
  if (!capture().active || capture().stream != s) {
    return fail_call(cudaErrorStreamCaptureUnmatched, "cudaStreamEndCapture: this stream is not capturing");
  }
  cyclone::emu::detail::Capture done = std::move(capture());
  capture() = {};
  if (!done.invalidated_by.empty()) {
    return fail_call(cudaErrorStreamCaptureInvalidated,
                     "cudaStreamEndCapture: the capture was invalidated by " + done.invalidated_by);
  }
  *graph = new CUgraph_st{std::move(done.ops)};
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus* status) {
  CYCLONE_EMU_GRAPH_ENTER;
  const auto& c = capture();
  *status = !c.active || c.stream != s || c.thread != std::this_thread::get_id() ? cudaStreamCaptureStatusNone
            : c.invalidated_by.empty() ? cudaStreamCaptureStatusActive
                                       : cudaStreamCaptureStatusInvalidated;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  CYCLONE_EMU_GRAPH_ENTER;
  if (!graph) return fail_call(cudaErrorInvalidValue, "cudaGraphInstantiate: null graph");
  *exec = new CUgraphExec_st{graph->ops};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t) {
  CYCLONE_EMU_GRAPH_ENTER;
  if (!exec) return fail_call(cudaErrorInvalidValue, "cudaGraphLaunch: null executable graph");
  for (const std::function<void()>& op : exec->ops) cyclone::emu::detail::enqueue_work(op);
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  CYCLONE_EMU_GRAPH_ENTER;
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  CYCLONE_EMU_GRAPH_ENTER;
  delete exec;
  return cudaSuccess;
}
