// Per-group argument expansion, shared argument checks and number formatting.
#include "schedules/per_group.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace cyclone::schedules {

namespace {

std::string where_name(std::string_view where, std::string_view name) {
  std::string s(where);
  s += ": ";
  s += name;
  return s;
}

[[noreturn]] void fail(std::string_view where, std::string_view name, std::string_view must,
                       const std::string& got) {
  throw std::invalid_argument(where_name(where, name) + " must " + std::string(must) +
                              ", got " + got);
}

}  // namespace

std::vector<double> PerGroup::expand(size_t num_groups, std::string_view what) const {
  if (values_.empty()) {
    throw std::invalid_argument(std::string(what) + " is an empty list; give one value per "
                                "parameter group or a single value for all groups");
  }
  if (broadcast_) return std::vector<double>(num_groups, values_[0]);
  if (values_.size() != num_groups) {
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(values_.size()) +
                                " values but the schedule has " + std::to_string(num_groups) +
                                " parameter groups");
  }
  return values_;
}

size_t resolve_num_groups(std::string_view schedule, size_t requested,
                          std::initializer_list<NamedPerGroup> args) {
  size_t n = requested;
  std::string_view decided_by = "num_groups";
  for (const NamedPerGroup& a : args) {
    if (a.value->is_broadcast()) continue;
    if (a.value->size() == 0) {
      throw std::invalid_argument(where_name(schedule, a.name) + " is an empty list");
    }
    if (n == 0) {
      n = a.value->size();
      decided_by = a.name;
    } else if (a.value->size() != n) {
      throw std::invalid_argument(
          std::string(schedule) + ": group count mismatch: " + std::string(a.name) + " has " +
          std::to_string(a.value->size()) + " values but " + std::string(decided_by) +
          " implies " + std::to_string(n) + " parameter groups");
    }
  }
  return n == 0 ? 1 : n;
}

namespace detail {

void require_finite(double v, std::string_view where, std::string_view name) {
  if (!std::isfinite(v)) fail(where, name, "be finite", fmt(v));
}

void require_positive(double v, std::string_view where, std::string_view name) {
  if (!(std::isfinite(v) && v > 0)) fail(where, name, "be positive and finite", fmt(v));
}

void require_nonnegative(double v, std::string_view where, std::string_view name) {
  if (!(std::isfinite(v) && v >= 0)) fail(where, name, "be >= 0 and finite", fmt(v));
}

void require_in_closed(double v, double lo, double hi, std::string_view where,
                       std::string_view name) {
  if (!(v >= lo && v <= hi)) {
    fail(where, name, "be in [" + fmt(lo) + ", " + fmt(hi) + "]", fmt(v));
  }
}

void require_at_least(int64_t v, int64_t lo, std::string_view where, std::string_view name) {
  if (v < lo) fail(where, name, "be >= " + std::to_string(lo), std::to_string(v));
}

void require_all_positive(const std::vector<double>& v, std::string_view where,
                          std::string_view name) {
  for (double x : v) require_positive(x, where, name);
}

void require_all_nonnegative(const std::vector<double>& v, std::string_view where,
                             std::string_view name) {
  for (double x : v) require_nonnegative(x, where, name);
}

void require_all_in_closed(const std::vector<double>& v, double lo, double hi,
                           std::string_view where, std::string_view name) {
  for (double x : v) require_in_closed(x, lo, hi, where, name);
}

std::string fmt(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string fmt(const std::vector<double>& v) {
  bool all_same = !v.empty();
  for (double x : v) all_same = all_same && x == v[0];
  if (all_same) return fmt(v[0]);
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + fmt(v[i]);
  return s + "]";
}

std::string fmt_int_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace detail
}  // namespace cyclone::schedules
