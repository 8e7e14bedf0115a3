// Optimizer: the base of SGD, Adam and AdamW. It owns the parameter groups and the
// per-parameter state, steps every parameter that has a gradient, and saves/loads its state.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "optim/param_groups.h"
#include "tensor/tensor.h"

namespace cyclone::optim {

// An optimizer's state as named tensors and named numbers (bools as 0/1), with keys:
//   "num_groups", "group.<g>.num_params", "group.<g>.<hyperparameter>" (e.g. "group.0.lr"),
//   "state.<i>.step" and "state.<i>.<buffer>" (e.g. "state.3.exp_avg"),
// where <i> numbers the parameters across all groups in order, as in PyTorch's state_dict.
struct OptimizerState {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, double> scalars;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient (the others are skipped, as in PyTorch),
  // with graph recording off.
  void step();
  // Drops every gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  size_t num_groups() const { return groups_.size(); }
  size_t num_params() const { return slots_.size(); }
  const std::vector<Tensor>& params(size_t group) const;
  const std::string& group_name(size_t group) const;

  // The values a schedule sets each step: lr, and momentum (SGD's momentum, Adam's beta1).
  virtual double lr(size_t group) const = 0;
  virtual void set_lr(size_t group, double lr) = 0;
  virtual double momentum(size_t group) const = 0;
  virtual void set_momentum(size_t group, double momentum) = 0;

  // A copy of the whole state (later steps do not change it). load_state_dict checks every
  // key, count and shape before changing anything, and moves state tensors to each
  // parameter's device.
  OptimizerState state_dict() const;
  void load_state_dict(const OptimizerState& state);

  const std::string& name() const { return name_; }  // "SGD", "Adam", "AdamW"

 protected:
  explicit Optimizer(std::string name) : name_(std::move(name)) {}

  // One parameter and its state.
  struct Slot {
    Tensor param;
    size_t group = 0;
    int64_t step = 0;                     // steps that updated this parameter
    std::map<std::string, Tensor> state;  // buffers, e.g. "momentum_buffer"
  };

  // Adds a group of `params` named `name`. A parameter may belong to one group only;
  // parameters must be float32, contiguous leaves. Once they are checked, add_options(where)
  // resolves, validates and stores the group's options (`where` names the group for messages).
  void add_group(const std::vector<Tensor>& params, const std::string& name,
                 const std::function<void(const std::string& where)>& add_options);

  // ---- what each optimizer supplies (OptimizerOf implements the options part) ----
  // Group g's hyperparameters by name (lr included; bools as 0/1).
  virtual std::map<std::string, double> hyperparameters(size_t group) const = 0;
  // Loading: check_hyperparameters throws unless the values in `h` are valid (its keys are
  // those of hyperparameters(), already checked); set_hyperparameters then applies them.
  virtual void check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const = 0;
  virtual void set_hyperparameters(size_t group, const std::map<std::string, double>& h) = 0;
  // The buffer names a parameter's state may hold.
  virtual std::set<std::string> buffer_names() const = 0;
  // Throws unless a loaded parameter state is complete for a group with hyperparameters `h`.
  virtual void check_loaded_state(const std::set<std::string>& /*buffers*/, int64_t /*step*/,
                                  const std::map<std::string, double>& /*h*/, const std::string& /*where*/) const {}
  // Updates the parameters `slots` of group `group`; each has a gradient and its step count
  // already includes this step.
  virtual void update(size_t group, const std::vector<size_t>& slots) = 0;

  // ---- helpers for the optimizers ----
  // Splits `slots` into runs on one device (in order of first appearance), one fused step each.
  void for_each_device(const std::vector<size_t>& slots, const std::function<void(const std::vector<size_t>&)>& fn) const;
  // "SGD: group 1 ('head')"
  std::string group_where(size_t group) const;
  void check_group(size_t group, const char* fn) const;  // std::out_of_range when too large
  // Throws std::invalid_argument("<where>: <message>") unless ok, e.g.
  // "SGD: group 1 ('head'): lr must be >= 0, got -1".
  static void require(bool ok, const std::string& where, const std::string& message);
  static std::string num(double v);  // "0.1", "1e-08"
  // Throws unless slot i's gradient matches its parameter's shape, device and dtype.
  void check_grad(size_t slot) const;
  // The gradient of slot i, checked, as a dense float32 tensor on its parameter's device.
  Tensor dense_grad(size_t slot) const;

  std::vector<Slot> slots_;

 private:
  struct Group {
    std::string name;
    std::vector<Tensor> params;
    std::vector<size_t> slots;
  };
  std::string name_;
  std::vector<Group> groups_;
};

}  // namespace cyclone::optim
