// Argument checks shared by every schedule's at().
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

}  // namespace cyclone::schedules
