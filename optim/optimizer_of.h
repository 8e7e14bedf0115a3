// OptimizerOf<Options, GroupOptions>: the typed half shared by SGD, Adam and AdamW. It keeps one
// resolved Options per group and drives everything option-shaped from Options::fields(): group
// overrides, the lr and momentum a schedule sets, and the hyperparameters in state files.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "optim/optimizer.h"
#include "optim/option_fields.h"
#include "optim/param_groups.h"

namespace cyclone::optim {

// Options must provide `static const FieldTable<Options, GroupOptions>& fields()` (holding an
// "lr" field) and `static constexpr const char* momentum_field` (the field schedules cycle as
// momentum: SGD's momentum, Adam's beta1).
template <class Options, class GroupOptions>
class OptimizerOf : public Optimizer {
 public:
  using ParamGroup = ParamGroupOf<GroupOptions>;

  // Adds a group; options it leaves empty take the optimizer's defaults.
  void add_param_group(const ParamGroup& group) {
    add_group(group.params, group.name, [&](const std::string& where) {
      Options o = defaults_;
      for (const auto& f : Options::fields()) f.override_from(o, group.options);
      validate(o, where);
      options_.push_back(o);
    });
  }

  const Options& defaults() const { return defaults_; }
  const Options& options(size_t group) const {
    check_group(group, "options");
    return options_[group];
  }

  double lr(size_t group) const override { return field("lr").get(options(group)); }
  void set_lr(size_t group, double lr) override { set_field(group, "lr", lr, "set_lr"); }
  double momentum(size_t group) const override { return field(Options::momentum_field).get(options(group)); }
  void set_momentum(size_t group, double m) override { set_field(group, Options::momentum_field, m, "set_momentum"); }

 protected:
  OptimizerOf(std::string name, Options defaults) : Optimizer(std::move(name)), defaults_(std::move(defaults)) {}

  // For the derived constructor: checks the defaults, then adds every group.
  void add_param_groups(const std::vector<ParamGroup>& groups) {
    validate(defaults_, name());
    require(!groups.empty(), name(), "got an empty list of parameter groups");
    for (const ParamGroup& g : groups) add_param_group(g);
  }

  // Throws std::invalid_argument("<where>: ...") unless `o` is a valid set of options.
  virtual void validate(const Options& o, const std::string& where) const = 0;

  std::map<std::string, double> hyperparameters(size_t group) const override {
    std::map<std::string, double> h;
    for (const auto& f : Options::fields()) h[f.name] = f.get(options_.at(group));
    return h;
  }

  void check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const override {
    for (const auto& f : Options::fields()) {
      const double v = h.at(f.name);
      require(!f.flag || v == 0 || v == 1, where, f.name + " must be 0 or 1, got " + num(v));
    }
    validate(from_map(h), where);
  }

  void set_hyperparameters(size_t group, const std::map<std::string, double>& h) override {
    options_.at(group) = from_map(h);
  }

  std::vector<Options> options_;  // one per group, resolved

 private:
  static const Field<Options, GroupOptions>& field(const std::string& name) {
    const Field<Options, GroupOptions>* f = find_field(Options::fields(), name);
    if (!f) throw std::logic_error("optimizer options have no field '" + name + "'");
    return *f;
  }

  void set_field(size_t group, const std::string& name, double value, const char* fn) {
    check_group(group, fn);
    Options o = options_[group];
    field(name).set(o, value);
    validate(o, group_where(group));
    options_[group] = o;
  }

  Options from_map(const std::map<std::string, double>& h) const {
    Options o = defaults_;
    for (const auto& f : Options::fields()) f.set(o, h.at(f.name));
    return o;
  }

  Options defaults_;
};

}  // namespace cyclone::optim
