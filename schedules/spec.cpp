// make_schedule: each typed spec to its schedule's constructor, then the optional warm-up.
#include "schedules/spec.h"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "schedules/classic.h"
#include "schedules/compose.h"
#include "schedules/sgdr.h"

namespace cyclone::schedules {
namespace {

SchedulePtr build(const ConstantSpec& s) { return std::make_shared<Constant>(s.lr, s.num_groups); }
SchedulePtr build(const StepSpec& s) {
  return std::make_shared<StepDecay>(s.lr, s.step_size, s.gamma, s.num_groups);
}
SchedulePtr build(const MultiStepSpec& s) {
  return std::make_shared<MultiStep>(s.lr, s.milestones, s.gamma, s.num_groups);
}
SchedulePtr build(const ExponentialSpec& s) {
  return std::make_shared<Exponential>(s.lr, s.gamma, s.num_groups);
}
SchedulePtr build(const PolynomialSpec& s) {
  return std::make_shared<Polynomial>(s.lr, s.total_steps, s.power, s.end_lr, s.num_groups);
}
SchedulePtr build(const LinearSpec& s) {
  return std::make_shared<Linear>(s.lr, s.start_factor, s.end_factor, s.total_iters, s.num_groups);
}
SchedulePtr build(const CosineSpec& s) {
  return std::make_shared<CosineAnnealing>(s.lr, s.t_max, s.eta_min, s.num_groups);
}
SchedulePtr build(const CyclicOptions& o) { return std::make_shared<Cyclic>(o); }
SchedulePtr build(const OneCycleOptions& o) { return std::make_shared<OneCycle>(o); }
SchedulePtr build(const SlantedTriangularOptions& o) { return std::make_shared<SlantedTriangular>(o); }

SchedulePtr build(const SgdrSpec& s) {
  SGDROptions o;
  o.lr = s.lr;
  if (s.steps_per_epoch) {
    o.cycle_len = cycle_len_from_epochs(s.cycle_len, *s.steps_per_epoch);
  } else {
    if (s.cycle_len != std::trunc(s.cycle_len)) {
      throw std::invalid_argument("SGDR: cycle_len " + detail::fmt(s.cycle_len) +
                                  " is not a whole number of steps; give steps_per_epoch to count it in epochs");
    }
    o.cycle_len = static_cast<int64_t>(s.cycle_len);
  }
  o.cycle_mult = s.cycle_mult;
  o.eta_min = s.eta_min;
  o.num_cycles = s.num_cycles;
  o.num_groups = s.num_groups;
  return std::make_shared<SGDR>(std::move(o));
}

}  // namespace

SchedulePtr make_schedule(const ScheduleSpec& spec) {
  SchedulePtr schedule = std::visit([](const auto& s) { return build(s); }, spec.kind);
  if (spec.warmup) schedule = std::make_shared<Warmup>(schedule, spec.warmup->steps, spec.warmup->start_factor);
  return schedule;
}

}  // namespace cyclone::schedules
