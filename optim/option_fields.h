// An optimizer's hyperparameters as one table of fields: each field's name in state files,
// how to read and write it as a number, and how a parameter group's override sets it. The
// table serves state save/load, per-group options and the values schedules set (lr, momentum).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace cyclone::optim {

// One hyperparameter of options struct O, overridable by group options struct G.
template <class O, class G>
struct Field {
  std::string name;                               // e.g. "lr", "beta1"
  std::function<double(const O&)> get;            // bools read as 0/1
  std::function<void(O&, double)> set;
  std::function<void(O&, const G&)> override_from;  // copies G's value when G sets it
  bool flag = false;                              // a bool: state files hold 0 or 1
};

template <class O, class G>
using FieldTable = std::vector<Field<O, G>>;

// The usual field: O::*member (double or bool) and its override G::*given.
template <class O, class G, class T>
Field<O, G> member_field(std::string name, T O::*member, std::optional<T> G::*given) {
  static_assert(std::is_same_v<T, double> || std::is_same_v<T, bool>);
  return Field<O, G>{std::move(name), [member](const O& o) { return static_cast<double>(o.*member); },
                     [member](O& o, double v) { o.*member = static_cast<T>(v); },
                     [member, given](O& o, const G& g) {
                       if (g.*given) o.*member = *(g.*given);
                     },
                     std::is_same_v<T, bool>};
}

// The field called `name`; nullptr when there is none.
template <class O, class G>
const Field<O, G>* find_field(const FieldTable<O, G>& table, const std::string& name) {
  for (const Field<O, G>& f : table) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace cyclone::optim
