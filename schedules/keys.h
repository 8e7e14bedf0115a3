// The option keys of one schedule spec, each bound to its typed field: how the key reads from
// option text, and how it is stored as a numeric array and read back. Internal to schedules/:
// the registry (factory.cpp) lists one table of these per schedule name, and both the text
// parser (factory.cpp) and the stored form (stored.cpp) walk that same table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "schedules/factory.h"
#include "schedules/spec.h"
#include "schedules/stored.h"

namespace cyclone::schedules::keys {

// One option's text, read as a typed value; every error names the schedule and the key.
struct Text {
  std::string schedule;
  std::string key;
  std::string value;
  size_t num_groups;  // for slices

  [[noreturn]] void fail(const std::string& why) const;
  double number() const { return number(value); }
  double number(const std::string& v) const;
  int64_t integer() const;
  bool boolean() const;
  std::vector<int64_t> integer_list() const;
  PerGroup per_group() const;  // a scalar, a comma list (one per group), "lo..hi" or "..hi"
};

// Reading a stored array back; every error names `where` (e.g. "schedule key onecycle/max_lr").
double f64_scalar(const StoredArray& a, const std::string& where);
int64_t i64_scalar(const StoredArray& a, const std::string& where);
std::vector<double> f64_list(const StoredArray& a, const std::string& where);
std::vector<int64_t> i64_list(const StoredArray& a, const std::string& where);
std::string text_of(const std::vector<int64_t>& v);  // "30,60,90"

// One field type: text -> value, value -> stored array -> value, value -> text (for messages).
template <class T>
struct Codec;
template <>
struct Codec<double> {
  static double parse(const Text& t) { return t.number(); }
  static StoredArray store(double v) { return {std::vector<double>{v}, true}; }
  static double load(const StoredArray& a, const std::string& w) { return f64_scalar(a, w); }
  static std::string text(double v) { return detail::fmt(v); }
};
template <>
struct Codec<int64_t> {
  static int64_t parse(const Text& t) { return t.integer(); }
  static StoredArray store(int64_t v) { return {std::vector<int64_t>{v}, true}; }
  static int64_t load(const StoredArray& a, const std::string& w) { return i64_scalar(a, w); }
  static std::string text(int64_t v) { return std::to_string(v); }
};
template <>
struct Codec<size_t> {  // num_groups
  static size_t parse(const Text& t);
  static StoredArray store(size_t v) { return {std::vector<int64_t>{static_cast<int64_t>(v)}, true}; }
  static size_t load(const StoredArray& a, const std::string& w);
  static std::string text(size_t v) { return std::to_string(v); }
};
template <>
struct Codec<bool> {  // stored as 0 or 1
  static bool parse(const Text& t) { return t.boolean(); }
  static StoredArray store(bool v) { return {std::vector<int64_t>{v ? 1 : 0}, true}; }
  static bool load(const StoredArray& a, const std::string& w);
  static std::string text(bool v) { return v ? "true" : "false"; }
};
template <>
struct Codec<PerGroup> {  // one value for all groups: a 0-d array; one per group: a list
  static PerGroup parse(const Text& t) { return t.per_group(); }
  static StoredArray store(const PerGroup& v) { return {v.given(), v.is_broadcast()}; }
  static PerGroup load(const StoredArray& a, const std::string& w);
  static std::string text(const PerGroup& v);
};
template <>
struct Codec<std::vector<int64_t>> {
  static std::vector<int64_t> parse(const Text& t) { return t.integer_list(); }
  static StoredArray store(const std::vector<int64_t>& v) { return {v, false}; }
  static std::vector<int64_t> load(const StoredArray& a, const std::string& w) { return i64_list(a, w); }
  static std::string text(const std::vector<int64_t>& v) { return text_of(v); }
};
template <>
struct Codec<std::optional<int64_t>> {  // a list of zero values (unset) or one
  static std::optional<int64_t> parse(const Text& t) { return t.integer(); }
  static StoredArray store(const std::optional<int64_t>& v);
  static std::optional<int64_t> load(const StoredArray& a, const std::string& w);
  static std::string text(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "unset"; }
};
// Enums are stored as their position in the enum's declaration: new values go at the end.
template <>
struct Codec<Anneal> {
  static Anneal parse(const Text& t) { return parse_anneal(t.value); }
  static StoredArray store(Anneal v) { return {std::vector<int64_t>{static_cast<int64_t>(v)}, true}; }
  static Anneal load(const StoredArray& a, const std::string& w);
  static std::string text(Anneal v) { return to_string(v); }
};
template <>
struct Codec<ClrMode> {  // custom mode needs a C++ function: neither text nor storage can hold it
  static ClrMode parse(const Text& t);
  static StoredArray store(ClrMode v);
  static ClrMode load(const StoredArray& a, const std::string& w);
  static std::string text(ClrMode v) { return to_string(v); }
};

// One key of schedule spec S. A field key has all four functions; an action key (onecycle's
// preset) only reads text and is not stored.
template <class S>
struct Key {
  std::string name;
  bool required = false;
  std::function<void(S&, const Text&)> parse;
  std::function<StoredArray(const S&)> store;
  std::function<void(S&, const StoredArray&, const std::string& where)> load;
  std::function<std::string(const S&)> text;
};

template <class S, class T>
Key<S> field(std::string name, T S::*member, bool required = false) {
  return {std::move(name),
          required,
          [member](S& s, const Text& t) { s.*member = Codec<T>::parse(t); },
          [member](const S& s) { return Codec<T>::store(s.*member); },
          [member](S& s, const StoredArray& a, const std::string& w) { s.*member = Codec<T>::load(a, w); },
          [member](const S& s) { return Codec<T>::text(s.*member); }};
}

template <class S>
Key<S> action(std::string name, std::function<void(S&, const Text&)> parse) {
  return {std::move(name), false, std::move(parse), nullptr, nullptr, nullptr};
}

// A Key with the spec type erased (it holds the ScheduleKind alternative of its entry).
struct AnyKey {
  std::string name;
  bool required;
  std::function<void(ScheduleKind&, const Text&)> parse;
  std::function<StoredArray(const ScheduleKind&)> store;  // null for an action key
  std::function<void(ScheduleKind&, const StoredArray&, const std::string&)> load;
  std::function<std::string(const ScheduleKind&)> text;
};

// One schedule name: its keys in the order text applies them (num_groups last; the parser
// applies it first), its blank spec and its defaults for a fit; `peak` is the key that
// spec_for_fit sets from FitShape::lr.
struct Entry {
  std::string name;
  std::string peak;
  std::vector<AnyKey> keys;
  std::function<ScheduleKind()> blank;
  std::function<ScheduleKind(const FitShape&)> for_fit;
};

template <class S>
Entry entry(std::string name, std::string peak, std::vector<Key<S>> keys, std::function<S(const FitShape&)> for_fit) {
  keys.push_back(field<S>("num_groups", &S::num_groups));
  Entry e{std::move(name),
          std::move(peak),
          {},
          [] { return ScheduleKind(S{}); },
          [for_fit](const FitShape& f) { return ScheduleKind(for_fit(f)); }};
  for (Key<S>& k : keys) {
    AnyKey a{k.name,  k.required, [p = k.parse](ScheduleKind& kind, const Text& t) { p(std::get<S>(kind), t); },
             nullptr, nullptr,    nullptr};
    if (k.store) {
      a.store = [f = k.store](const ScheduleKind& kind) { return f(std::get<S>(kind)); };
      a.load = [f = k.load](ScheduleKind& kind, const StoredArray& v, const std::string& w) {
        f(std::get<S>(kind), v, w);
      };
      a.text = [f = k.text](const ScheduleKind& kind) { return f(std::get<S>(kind)); };
    }
    e.keys.push_back(std::move(a));
  }
  return e;
}

// The registry, in the order of ScheduleKind's alternatives (factory.cpp).
const std::vector<Entry>& registry();
const Entry& find_entry(const std::string& name);
inline const Entry& entry_of(const ScheduleSpec& spec) { return registry().at(spec.kind.index()); }

// The warm-up's keys, which every schedule takes.
inline constexpr const char* kWarmupSteps = "warmup_steps";
inline constexpr const char* kWarmupStartFactor = "warmup_start_factor";

}  // namespace cyclone::schedules::keys
