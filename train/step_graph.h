// A training step's forward and backward as a CUDA graph, as
// torch.cuda.make_graphed_callables does: after `warmup` eager steps (which
// also let the autotuner and the caches settle), zero_grad, the forward pass,
// the loss and the backward pass of a batch of one shape are captured once,
// into their own memory pool (tensor/allocator.h), and every later batch of
// that shape is copied into the graph's static inputs and replayed with one
// launch. The optimizer step, whose lr and momentum the schedule changes each
// step, runs eagerly after the replay (one multi-tensor launch per 32
// parameters). Batches of another shape (the last, partial one) run eagerly.
// The graph is dropped, and the steps run eagerly from then on, with one line
// on stderr saying why, when the capture fails (something in the step
// synchronised with the device, e.g. a .item()), when the step draws random
// numbers (a graph would replay the same ones), or when the parameters are no
// longer the tensors it was captured with. An eager step (another batch shape)
// leaves other gradient tensors behind; a replay puts the captured ones back.
// One StepGraph serves one fit: make a new one after replacing a model's tensors.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tensor/cuda_graph.h"
#include "tensor/tensor.h"

namespace cyclone::train {

struct TrainStep;

class StepGraph {
 public:
  explicit StepGraph(int warmup_steps = 3);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // forward_backward(s, x, y) of train_step.h: replayed, captured or eager. Returns the
  // mean loss, detached, on the device.
  Tensor run(const TrainStep& s, const Tensor& x, const Tensor& y);

  bool captured() const { return graph_ && graph_->captured(); }
  int64_t replays() const { return replays_; }
  const std::string& disabled_reason() const { return disabled_; }  // empty while graphs are on

 private:
  bool capture(const TrainStep& s, const Tensor& x, const Tensor& y);
  std::vector<Tensor> params(const TrainStep& s) const;
  std::vector<const void*> param_addresses(const TrainStep& s) const;
  void disable(const std::string& why);

  int warmup_;
  int64_t eager_steps_ = 0, replays_ = 0;
  std::string disabled_;
  std::unique_ptr<CudaGraph> graph_;
  Tensor static_x_, static_y_, static_loss_;  // destroyed before graph_, whose memory they hold
  std::vector<const void*> addresses_;  // every parameter's data, as captured
  std::vector<Tensor> grads_;           // the gradients the graph writes, one per parameter
};

// Whether fits on CUDA capture their steps (CYCLONE_CUDA_GRAPHS=0 turns it off; default on).
bool cuda_graphs_enabled();

}  // namespace cyclone::train
