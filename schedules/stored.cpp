// A ScheduleSpec to named arrays and back (stored.h), through the same key tables that read
// option text (keys.h), so that the stored keys are the option keys.
#include "schedules/stored.h"

#include <cstring>
#include <set>
#include <stdexcept>

#include "schedules/keys.h"

namespace cyclone::schedules {
namespace {

std::string key_of(const keys::Entry& e, const std::string& key) { return e.name + "/" + key; }

}  // namespace

bool same_values(const StoredArray& a, const StoredArray& b) {
  if (a.scalar != b.scalar || a.values.index() != b.values.index()) return false;
  return std::visit(
      [&](const auto& va) {
        const auto& vb = std::get<std::decay_t<decltype(va)>>(b.values);
        return va.size() == vb.size() &&
               (va.empty() || std::memcmp(va.data(), vb.data(), va.size() * sizeof(va[0])) == 0);
      },
      a.values);
}

std::string schedule_name(const ScheduleSpec& spec) { return keys::entry_of(spec).name; }

StoredSchedule store_schedule(const ScheduleSpec& spec) {
  const keys::Entry& e = keys::entry_of(spec);
  StoredSchedule out;
  for (const keys::AnyKey& k : e.keys) {
    if (k.store) out[key_of(e, k.name)] = k.store(spec.kind);
  }
  if (spec.warmup) {
    out[key_of(e, keys::kWarmupSteps)] = keys::Codec<int64_t>::store(spec.warmup->steps);
    out[key_of(e, keys::kWarmupStartFactor)] = keys::Codec<double>::store(spec.warmup->start_factor);
  }
  return out;
}

ScheduleSpec load_schedule(const StoredSchedule& arrays) {
  if (arrays.empty()) throw std::invalid_argument("stored schedule: no keys");
  const std::string first = arrays.begin()->first;
  const keys::Entry& e = keys::find_entry(first.substr(0, first.find('/')));
  ScheduleSpec spec{e.blank(), std::nullopt};
  std::set<std::string> used;
  auto get = [&](const std::string& key) -> const StoredArray& {
    auto it = arrays.find(key_of(e, key));
    if (it == arrays.end()) throw std::invalid_argument("stored schedule: missing key " + key_of(e, key));
    used.insert(it->first);
    return it->second;
  };
  auto where = [&](const std::string& key) { return "stored schedule key " + key_of(e, key); };
  for (const keys::AnyKey& k : e.keys) {
    if (k.load) k.load(spec.kind, get(k.name), where(k.name));
  }
  if (arrays.count(key_of(e, keys::kWarmupSteps)) || arrays.count(key_of(e, keys::kWarmupStartFactor))) {
    spec.warmup = WarmupSpec{keys::Codec<int64_t>::load(get(keys::kWarmupSteps), where(keys::kWarmupSteps)),
                             keys::Codec<double>::load(get(keys::kWarmupStartFactor), where(keys::kWarmupStartFactor))};
  }
  for (const auto& [key, value] : arrays) {
    if (!used.count(key)) throw std::invalid_argument("stored schedule: unexpected key " + key + " for " + e.name);
  }
  return spec;
}

std::optional<SpecDifference> first_difference(const ScheduleSpec& a, const ScheduleSpec& b) {
  const keys::Entry& e = keys::entry_of(a);
  if (a.kind.index() != b.kind.index()) return SpecDifference{"schedule", e.name, schedule_name(b)};
  for (const keys::AnyKey& k : e.keys) {
    if (k.store && !same_values(k.store(a.kind), k.store(b.kind))) {
      return SpecDifference{k.name, k.text(a.kind), k.text(b.kind)};
    }
  }
  auto steps = [](const ScheduleSpec& s) { return s.warmup ? std::to_string(s.warmup->steps) : std::string("none"); };
  if (a.warmup.has_value() != b.warmup.has_value() || (a.warmup && a.warmup->steps != b.warmup->steps)) {
    return SpecDifference{keys::kWarmupSteps, steps(a), steps(b)};
  }
  if (a.warmup && !same_values(keys::Codec<double>::store(a.warmup->start_factor),
                               keys::Codec<double>::store(b.warmup->start_factor))) {
    return SpecDifference{keys::kWarmupStartFactor, detail::fmt(a.warmup->start_factor),
                          detail::fmt(b.warmup->start_factor)};
  }
  return std::nullopt;
}

}  // namespace cyclone::schedules
