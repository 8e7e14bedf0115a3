// The CUDA-graph training step (see step_graph.h).
#include "train/step_graph.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "tensor/rng.h"
#include "train/train_step.h"

namespace cyclone::train {

bool cuda_graphs_enabled() {
  const char* v = std::getenv("CYCLONE_CUDA_GRAPHS");
  return !(v && std::strcmp(v, "0") == 0);
}

StepGraph::StepGraph(int warmup_steps) : warmup_(warmup_steps) {}

StepGraph::~StepGraph() = default;

std::vector<Tensor> StepGraph::params(const TrainStep& s) const {
  std::vector<Tensor> all;
  for (size_t g = 0; g < s.optimizer->num_groups(); ++g) {
    for (const Tensor& p : s.optimizer->params(g)) all.push_back(p);
  }
  return all;
}

std::vector<const void*> StepGraph::param_addresses(const TrainStep& s) const {
  std::vector<const void*> a;
  for (const Tensor& p : params(s)) a.push_back(p.raw_data());
  return a;
}

void StepGraph::disable(const std::string& why) {
  disabled_ = why;
  std::fprintf(stderr, "cyclone: training steps run without a CUDA graph from here on: %s\n", why.c_str());
  static_x_ = static_y_ = static_loss_ = Tensor();
  grads_.clear();
  graph_.reset();
}

// Captures the step on static copies of (x, y). The capture runs nothing: the caller replays.
bool StepGraph::capture(const TrainStep& s, const Tensor& x, const Tensor& y) {
  static_x_ = x.clone();
  static_y_ = y.clone();
  graph_ = std::make_unique<CudaGraph>(x.device());
  const GeneratorState rng = default_generator().state();
  graph_->begin_capture();
  std::string failure;
  try {
    static_loss_ = forward_backward(s, static_x_, static_y_);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    graph_->abandon_capture();
    disable("the step could not be captured (" + failure + ")");
    return false;
  }
  try {
    graph_->end_capture();
  } catch (const std::exception& e) {
    disable(e.what());
    return false;
  }
  const GeneratorState after = default_generator().state();
  if (after.offset != rng.offset || after.seed != rng.seed) {
    default_generator().set_state(rng);
    disable("the step draws random numbers, which a graph would replay unchanged");
    return false;
  }
  addresses_ = param_addresses(s);
  grads_.clear();
  for (const Tensor& p : params(s)) grads_.push_back(p.grad());
  return true;
}

Tensor StepGraph::run(const TrainStep& s, const Tensor& x, const Tensor& y) {
  const bool usable = disabled_.empty() && x.is_cuda() && s.optimizer;
  if (!usable || eager_steps_ < warmup_) {
    ++eager_steps_;
    return forward_backward(s, x, y);
  }
  if (captured() && param_addresses(s) != addresses_) disable("the model's parameters were replaced");
  if (!disabled_.empty()) return forward_backward(s, x, y);
  if (captured() && (x.shape() != static_x_.shape() || y.shape() != static_y_.shape())) {
    return forward_backward(s, x, y);
  }
  if (!captured() && !capture(s, x, y)) return forward_backward(s, x, y);
  static_x_.copy_(x);
  static_y_.copy_(y);
  const std::vector<Tensor> ps = params(s);
  for (size_t i = 0; i < ps.size(); ++i) {
    Tensor p = ps[i];
    const Tensor g = p.grad();
    if (grads_[i].defined() && (!g.defined() || g.raw_data() != grads_[i].raw_data())) p.set_grad(grads_[i]);
  }
  graph_->replay();
  ++replays_;
  return static_loss_.clone();  // the graph overwrites static_loss_ at the next replay
}

}  // namespace cyclone::train
