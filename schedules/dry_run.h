// Schedule dry runs with no model: sample a schedule's values, or write them to a CSV file
// for plotting (step, lr_g0.., momentum_g0..).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "schedules/schedule.h"

namespace cyclone::schedules {

// Values of one group for steps 0 .. steps-1. steps >= 0.
std::vector<Value> sample(const Schedule& schedule, int64_t steps, size_t group);

// Writes a CSV with header "step,lr_g0,...,lr_g{n-1}" followed by "momentum_g0,..." when any
// sampled value carries a momentum (a cell is empty where a step has none), then one row per
// step 0 .. steps-1. Numbers are written with round-trip precision. Throws
// std::runtime_error naming the path if it cannot be written.
void write_schedule_csv(const Schedule& schedule, int64_t steps, const std::string& path);

// The same CSV as text (what write_schedule_csv writes).
std::string schedule_csv(const Schedule& schedule, int64_t steps);

}  // namespace cyclone::schedules
