// A ScheduleSpec as named numeric arrays, for checkpoints: one array per option key (the keys
// of the option text, schedules/factory.h), float64 for real numbers and int64 for the rest, so
// that a spec comes back bit for bit. Names are "<schedule>/<key>":
//   StoredSchedule a = store_schedule(spec);   // {"onecycle/max_lr": 0.1, "onecycle/total_steps": 50, ...}
//   ScheduleSpec back = load_schedule(a);      // same_spec(back, spec)
// Per-group values are 0-d arrays when one value serves all groups and lists otherwise;
// booleans are 0/1; modes are their position in the enum (anneal: cos 0, linear 1; clr mode:
// triangular 0, triangular2 1, exp_range 2); an unset optional is an empty list. A warm-up adds
// warmup_steps and warmup_start_factor. CLR's custom mode (a C++ function) cannot be stored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "schedules/spec.h"

namespace cyclone::schedules {

struct StoredArray {
  std::variant<std::vector<double>, std::vector<int64_t>> values;
  bool scalar = false;  // a 0-d array holding one value; else a 1-d list
};
using StoredSchedule = std::map<std::string, StoredArray>;

// Throws std::invalid_argument for CLR's custom mode.
StoredSchedule store_schedule(const ScheduleSpec& spec);
// Throws std::invalid_argument naming the key that is missing, unknown or of the wrong type.
ScheduleSpec load_schedule(const StoredSchedule& arrays);

// Whether two arrays hold the same type, shape and values, bit for bit.
bool same_values(const StoredArray& a, const StoredArray& b);

// The schedule's name ("onecycle", ...).
std::string schedule_name(const ScheduleSpec& spec);

// The first key (in option order) whose stored values differ bit for bit, with each spec's
// value as option text: key "schedule" when the names differ, warmup_steps "none" without a
// warm-up. Empty when the specs are the same.
struct SpecDifference {
  std::string key, first, second;
};
std::optional<SpecDifference> first_difference(const ScheduleSpec& a, const ScheduleSpec& b);
inline bool same_spec(const ScheduleSpec& a, const ScheduleSpec& b) { return !first_difference(a, b); }

}  // namespace cyclone::schedules
