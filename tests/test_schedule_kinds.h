// One typed spec of every schedule kind, with values away from the defaults, for the tests
// that store specs (schedules/stored.h) and checkpoints; and a step-by-step comparison.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "schedules/schedule.h"
#include "schedules/spec.h"

namespace cyclone::test {

// a and b give the same lr and momentum, to the bit, for every group at steps 0..steps-1.
inline void check_same_values(const schedules::Schedule& a, const schedules::Schedule& b, int64_t steps) {
  REQUIRE(a.num_groups() == b.num_groups());
  for (int64_t s = 0; s < steps; ++s) {
    for (size_t g = 0; g < a.num_groups(); ++g) {
      CHECK(a.at(s, g).lr == b.at(s, g).lr);
      CHECK(a.at(s, g).momentum == b.at(s, g).momentum);
    }
  }
}

// Per-group lists, modes, optionals set, and doubles that text would not hold exactly; in the
// order of ScheduleKind.
inline std::vector<schedules::ScheduleSpec> every_schedule_kind() {
  using namespace cyclone::schedules;
  const double third = 1.0 / 3, odd = std::nextafter(0.1, 1.0);
  CyclicOptions clr;
  clr.base_lr = PerGroup({1e-3, 2e-3});
  clr.max_lr = PerGroup({1e-2, 2e-2});
  clr.step_size_up = 4;
  clr.step_size_down = 6;
  clr.mode = ClrMode::exp_range;
  clr.gamma = 0.99;
  clr.cycle_momentum = false;
  clr.base_momentum = 0.7;
  clr.max_momentum = 0.93;
  return {
      {ConstantSpec{.lr = PerGroup({0.1, third})}},
      {StepSpec{.lr = third, .step_size = 7, .gamma = 0.3, .num_groups = 2}},
      {MultiStepSpec{.lr = odd, .milestones = {3, 9, 20}, .gamma = 0.7}},
      {ExponentialSpec{.lr = 0.5, .gamma = std::pow(0.01, 1.0 / 30)}},
      {PolynomialSpec{.lr = PerGroup({0.1, 0.2}), .total_steps = 30, .power = 2.5, .end_lr = PerGroup({1e-3, 2e-3})}},
      {LinearSpec{.lr = 0.1, .start_factor = 0.25, .end_factor = 0.9, .total_iters = 11}},
      {CosineSpec{.lr = odd, .t_max = 17, .eta_min = 1e-4}},
      {clr},
      {SgdrSpec{
          .lr = third, .cycle_len = 0.5, .steps_per_epoch = 10, .cycle_mult = 2, .eta_min = 1e-3, .num_cycles = 3}},
      {OneCycleOptions{.max_lr = PerGroup({0.1, odd}),
                       .total_steps = 40,
                       .pct_start = 0.25,
                       .anneal = Anneal::linear,
                       .div_factor = 10,
                       .final_div_factor = 1e3,
                       .three_phase = true,
                       .base_momentum = 0.8,
                       .max_momentum = PerGroup({0.9, 0.91})}},
      {SlantedTriangularOptions{.max_lr = 0.01, .total_steps = 40, .cut_frac = 0.2, .ratio = 16}},
  };
}

}  // namespace cyclone::test
