// Per-group schedule arguments (one value broadcast to every group, or one per group) and
// the argument checks and number formatting shared by every schedule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cyclone::schedules {

// A scheduling argument given either once for all groups (PerGroup x = 0.1) or once per group
// (PerGroup x = {0.1, 0.01} or a std::vector<double>).
class PerGroup {
 public:
  // Implicit on purpose, so that `o.max_lr = 0.1` and `o.max_lr = lr_slice(...)` both read well.
  PerGroup(double value) : values_{value}, broadcast_(true) {}
  PerGroup(std::vector<double> values) : values_(std::move(values)) {}
  PerGroup(std::initializer_list<double> values) : values_(values) {}

  bool is_broadcast() const { return broadcast_; }
  // Number of values given (1 for a broadcast value).
  size_t size() const { return values_.size(); }
  const std::vector<double>& given() const { return values_; }

  // The values for `num_groups` groups. Throws std::invalid_argument, naming `what` (e.g.
  // "OneCycle: max_lr"), if a list is empty or its length differs from num_groups.
  std::vector<double> expand(size_t num_groups, std::string_view what) const;

 private:
  std::vector<double> values_;
  bool broadcast_ = false;
};

// A named per-group argument, for resolve_num_groups.
struct NamedPerGroup {
  std::string_view name;
  const PerGroup* value;
};

// The group count implied by a schedule's per-group arguments: `requested` when non-zero
// (every list must then have that length), else the common length of the lists, else 1.
// Throws std::invalid_argument naming the schedule and the arguments that disagree.
size_t resolve_num_groups(std::string_view schedule, size_t requested,
                          std::initializer_list<NamedPerGroup> args);

namespace detail {

// Checks that throw std::invalid_argument("<where>: <name> must ..., got <value>").
void require_finite(double v, std::string_view where, std::string_view name);
void require_positive(double v, std::string_view where, std::string_view name);
void require_nonnegative(double v, std::string_view where, std::string_view name);
void require_in_closed(double v, double lo, double hi, std::string_view where,
                       std::string_view name);
void require_at_least(int64_t v, int64_t lo, std::string_view where, std::string_view name);
void require_all_positive(const std::vector<double>& v, std::string_view where,
                          std::string_view name);
void require_all_nonnegative(const std::vector<double>& v, std::string_view where,
                             std::string_view name);
void require_all_in_closed(const std::vector<double>& v, double lo, double hi,
                           std::string_view where, std::string_view name);

// Shortest text that reads back to the same double ("0.1", "1e-05", "25").
std::string fmt(double v);
// One number when every group has the same value, else "[a, b, c]".
std::string fmt(const std::vector<double>& v);
std::string fmt_int_list(const std::vector<int64_t>& v);

}  // namespace detail
}  // namespace cyclone::schedules
