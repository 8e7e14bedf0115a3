// One training step, the only one in cyclone: the schedule sets every group's lr and
// momentum, then zero_grad, forward, cross-entropy, backward and the optimizer step.
// The Learner's fit loop (and so the LR range test), precise BN's statistics pass and
// the training benchmarks all run their batches through train_step.
#pragma once
#include <cstdint>
#include <functional>

#include "optim/optimizer.h"
#include "schedules/schedule.h"
#include "tensor/tensor.h"

namespace cyclone::train {

class StepGraph;

// Which parts of the step run.
enum class StepParts {
  all,           // zero_grad, forward, loss, backward, optimizer step
  no_update,     // all but the optimizer step (a forward + backward benchmark)
  forward_only,  // the forward pass alone, with no graph and no loss (BatchNorm statistics)
};

struct TrainStep {
  std::function<Tensor(const Tensor&)> forward;  // images (or features) -> logits
  optim::Optimizer* optimizer = nullptr;         // needed unless parts == forward_only
  StepParts parts = StepParts::all;
  double label_smoothing = 0.0;
  // When set, its value at the step's index sets each group's lr and momentum first.
  const schedules::Schedule* schedule = nullptr;
  double default_momentum = 0.9;  // for groups whose schedule value has no momentum
  // When set (CUDA), zero_grad + forward + loss + backward run as its CUDA graph (step_graph.h).
  StepGraph* graph = nullptr;
};

// Sets every parameter group's lr and momentum from `schedule` at `step` (one schedule
// group applies to all); a value without momentum gets `default_momentum` back.
void apply_schedule(const schedules::Schedule& schedule, int64_t step, optim::Optimizer& optimizer,
                    double default_momentum);

// Runs one step on the batch (x, y) with index `step` (what the schedule sees). `ready`,
// when given, runs once the schedule is applied and before the forward pass (the fit
// loop's on_batch_begin). Returns the mean loss, detached and still on the device; with
// StepParts::forward_only, the forward's output instead (y is not used).
Tensor train_step(const TrainStep& s, const Tensor& x, const Tensor& y, int64_t step = 0,
                  const std::function<void()>& ready = {});

// The step's zero_grad, forward, cross-entropy and backward, eagerly (what a StepGraph
// captures); returns the mean loss, detached.
Tensor forward_backward(const TrainStep& s, const Tensor& x, const Tensor& y);

}  // namespace cyclone::train
