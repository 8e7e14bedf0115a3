// Argument checks shared by every schedule: at()'s step and group, and per-group arguments.
#include "schedules/schedule.h"

#include <stdexcept>

namespace cyclone::schedules {

Value Schedule::at(int64_t step, size_t group) const {
  if (step < 0) {
    throw std::invalid_argument(describe() + ": step must be >= 0, got " +
                                std::to_string(step));
  }
  if (group >= num_groups()) {
    throw std::out_of_range(describe() + ": group " + std::to_string(group) +
                            " out of range; the schedule has " +
                            std::to_string(num_groups()) + " parameter groups");
  }
  return value_at(step, group);
}

std::vector<Value> Schedule::at_all_groups(int64_t step) const {
  std::vector<Value> out;
  out.reserve(num_groups());
  for (size_t g = 0; g < num_groups(); ++g) out.push_back(at(step, g));
  return out;
}

std::vector<double> Schedule::expand(const PerGroup& v, std::string_view key) const {
  return v.expand(num_groups_, name_ + ": " + std::string(key));
}

std::vector<double> Schedule::expand_positive(const PerGroup& v, std::string_view key) const {
  std::vector<double> out = expand(v, key);
  detail::require_all_positive(out, name_, key);
  return out;
}

std::vector<double> Schedule::expand_nonnegative(const PerGroup& v, std::string_view key) const {
  std::vector<double> out = expand(v, key);
  detail::require_all_nonnegative(out, name_, key);
  return out;
}

std::vector<double> Schedule::expand_in_closed(const PerGroup& v, double lo, double hi, std::string_view key) const {
  std::vector<double> out = expand(v, key);
  detail::require_all_in_closed(out, lo, hi, name_, key);
  return out;
}

}  // namespace cyclone::schedules
