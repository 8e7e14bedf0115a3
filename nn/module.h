// Module: the base of every layer and model. It owns named parameters (leaf
// tensors that require grad), named buffers (state such as BN running stats)
// and named children, and gives PyTorch's dotted names to all of them
// ("layer1.0.conv1.weight", "bn1.running_mean", ...).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace cyclone::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict found: every problem, not just the first.
struct LoadReport {
  std::vector<std::string> missing;     // in the model, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the model
  std::vector<std::string> mismatched;  // "name: model [..] vs file [..]"
  std::vector<std::string> loaded;
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string str() const;  // a readable multi-line summary
  // One line: each list's count and its first `names` names, e.g. "missing keys (75: conv1.weight,
  // bn1.weight, bn1.bias, and 72 more); 0 tensors loaded".
  std::string summary(size_t names = 3) const;
};

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string type_name() const = 0;
  virtual std::string extra_repr() const { return ""; }

  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Module*>> named_children() const;
  // Every module in pre-order, this one first with name "".
  std::vector<std::pair<std::string, Module*>> named_modules() const;
  Module* child(const std::string& name) const;  // null when absent

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves parameters and buffers (they stay leaves; gradients are dropped).
  void to(Device device);
  Device device() const;
  void zero_grad();
  int64_t num_parameters() const;
  void requires_grad_(bool on);  // for freezing

  // Parameters then buffers, module by module in pre-order, with dotted names.
  NamedTensors state_dict() const;
  // Copies values in place (keeping devices). Strict: any missing/unexpected
  // key or shape mismatch throws one error listing all of them, and nothing
  // is changed. Non-strict: loads what matches and returns the report.
  // BatchNorm's num_batches_tracked may be absent from a file (older PyTorch
  // checkpoints lack it); it is then left as is.
  LoadReport load_state_dict(const NamedTensors& state, bool strict = true);

  std::string repr(int indent = 0) const;  // PyTorch-style module tree

 protected:
  void register_parameter(const std::string& name, Tensor* slot);
  void register_buffer(const std::string& name, Tensor* slot);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  // Called after train(); modules whose behaviour differs may react.
  virtual void on_train_changed() {}

  bool training_ = true;

 private:
  std::vector<std::pair<std::string, Tensor*>> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

using ModulePtr = std::shared_ptr<Module>;

}  // namespace cyclone::nn
