// The training step (see train_step.h).
#include "train/train_step.h"

#include <stdexcept>

#include "autograd/node.h"
#include "nn/functional.h"
#include "train/step_graph.h"

namespace cyclone::train {
namespace F = nn::functional;

void apply_schedule(const schedules::Schedule& schedule, int64_t step, optim::Optimizer& optimizer,
                    double default_momentum) {
  for (size_t g = 0; g < optimizer.num_groups(); ++g) {
    const schedules::Value v = schedule.at(step, schedule.num_groups() == 1 ? 0 : g);
    optimizer.set_lr(g, v.lr);
    // A schedule without momentum gets the configured one back, not whatever value the
    // last cycling schedule (e.g. one-cycle's final 0.95) left behind.
    optimizer.set_momentum(g, v.momentum ? *v.momentum : default_momentum);
  }
}

Tensor train_step(const TrainStep& s, const Tensor& x, const Tensor& y, int64_t step,
                  const std::function<void()>& ready) {
  if (!s.forward) throw std::invalid_argument("train_step: no forward function");
  if (!s.optimizer && (s.schedule || s.parts != StepParts::forward_only)) {
    throw std::invalid_argument("train_step: an optimizer is needed to apply a schedule or update weights");
  }
  if (s.schedule) apply_schedule(*s.schedule, step, *s.optimizer, s.default_momentum);
  if (ready) ready();
  if (s.parts == StepParts::forward_only) {
    NoGradGuard no_grad;
    return s.forward(x);
  }
  const Tensor loss = s.graph ? s.graph->run(s, x, y) : forward_backward(s, x, y);
  if (s.parts == StepParts::all) s.optimizer->step();
  return loss;
}

Tensor forward_backward(const TrainStep& s, const Tensor& x, const Tensor& y) {
  s.optimizer->zero_grad();
  const Tensor loss = F::cross_entropy(s.forward(x), y, F::Reduction::Mean, s.label_smoothing);
  loss.backward();
  return loss.detach();
}

}  // namespace cyclone::train
