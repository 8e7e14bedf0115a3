// Sampling schedules into vectors and CSV text/files.
#include "schedules/dry_run.h"

#include <stdexcept>

#include "io/file_io.h"
#include "schedules/per_group.h"

namespace cyclone::schedules {

namespace {

void require_steps(int64_t steps) {
  if (steps < 0) {
    throw std::invalid_argument("schedule dry run: steps must be >= 0, got " +
                                std::to_string(steps));
  }
}

}  // namespace

std::vector<Value> sample(const Schedule& schedule, int64_t steps, size_t group) {
  require_steps(steps);
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(steps));
  for (int64_t s = 0; s < steps; ++s) out.push_back(schedule.at(s, group));
  return out;
}

std::string schedule_csv(const Schedule& schedule, int64_t steps) {
  require_steps(steps);
  const size_t n = schedule.num_groups();
  std::vector<std::vector<Value>> rows;
  rows.reserve(static_cast<size_t>(steps));
  bool has_momentum = false;
  for (int64_t s = 0; s < steps; ++s) {
    rows.push_back(schedule.at_all_groups(s));
    for (const Value& v : rows.back()) has_momentum = has_momentum || v.momentum.has_value();
  }
  std::string out = "step";
  for (size_t g = 0; g < n; ++g) out += ",lr_g" + std::to_string(g);
  if (has_momentum) {
    for (size_t g = 0; g < n; ++g) out += ",momentum_g" + std::to_string(g);
  }
  out += '\n';
  for (int64_t s = 0; s < steps; ++s) {
    const std::vector<Value>& row = rows[static_cast<size_t>(s)];
    out += std::to_string(s);
    for (const Value& v : row) out += "," + detail::fmt(v.lr);
    if (has_momentum) {
      for (const Value& v : row) out += "," + (v.momentum ? detail::fmt(*v.momentum) : "");
    }
    out += '\n';
  }
  return out;
}

void write_schedule_csv(const Schedule& schedule, int64_t steps, const std::string& path) {
  std::string text = schedule_csv(schedule, steps);
  io::write_file_atomic(path, text.data(), text.size());
}

}  // namespace cyclone::schedules
