// Typed descriptions of the schedules the factory builds: one struct per schedule name, filled
// in C++ (or from text by schedules/factory.h), and make_schedule turning one into a Schedule.
//   ScheduleSpec s{OneCycleOptions{.max_lr = 0.1, .total_steps = 1000}};
//   s.warmup = WarmupSpec{.steps = 100};
//   SchedulePtr p = make_schedule(s);
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "schedules/cyclic.h"
#include "schedules/one_cycle.h"
#include "schedules/per_group.h"
#include "schedules/schedule.h"
#include "schedules/slanted_triangular.h"

namespace cyclone::schedules {

// The classics (schedules/classic.h), one struct each; every field is the constructor argument
// of the same name. num_groups = 0 takes the group count from the per-group lists.
struct ConstantSpec {
  PerGroup lr = 0.0;
  size_t num_groups = 0;
};
struct StepSpec {
  PerGroup lr = 0.0;
  int64_t step_size = 0;
  double gamma = 0.1;
  size_t num_groups = 0;
};
struct MultiStepSpec {
  PerGroup lr = 0.0;
  std::vector<int64_t> milestones;
  double gamma = 0.1;
  size_t num_groups = 0;
};
struct ExponentialSpec {
  PerGroup lr = 0.0;
  double gamma = 0.0;
  size_t num_groups = 0;
};
struct PolynomialSpec {
  PerGroup lr = 0.0;
  int64_t total_steps = 0;
  double power = 1.0;
  PerGroup end_lr = 0.0;
  size_t num_groups = 0;
};
struct LinearSpec {
  PerGroup lr = 0.0;
  double start_factor = 1.0 / 3;
  double end_factor = 1.0;
  int64_t total_iters = 5;
  size_t num_groups = 0;
};
struct CosineSpec {
  PerGroup lr = 0.0;
  int64_t t_max = 0;
  PerGroup eta_min = 0.0;
  size_t num_groups = 0;
};

// SGDR with its first cycle given in steps, or in (possibly fractional) epochs when
// steps_per_epoch is set (see cycle_len_from_epochs). Without steps_per_epoch, cycle_len must
// be a whole number.
struct SgdrSpec {
  PerGroup lr = 0.1;
  double cycle_len = 1;
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  int64_t cycle_mult = 1;
  PerGroup eta_min = 0.0;
  std::optional<int64_t> num_cycles = std::nullopt;
  size_t num_groups = 0;
};

// The others take their own options structs: CyclicOptions (clr), OneCycleOptions (onecycle)
// and SlantedTriangularOptions (slanted).
using ScheduleKind = std::variant<ConstantSpec, StepSpec, MultiStepSpec, ExponentialSpec, PolynomialSpec,
                                  LinearSpec, CosineSpec, CyclicOptions, SgdrSpec, OneCycleOptions,
                                  SlantedTriangularOptions>;

// A linear warm-up from start_factor * lr to the schedule's own value over `steps` steps,
// wrapped around the schedule (schedules/compose.h, Warmup).
struct WarmupSpec {
  int64_t steps = 0;
  double start_factor = 0.0;
};

struct ScheduleSpec {
  ScheduleKind kind;
  std::optional<WarmupSpec> warmup = std::nullopt;
};

// Builds the schedule; its constructor checks every value.
SchedulePtr make_schedule(const ScheduleSpec& spec);

}  // namespace cyclone::schedules
