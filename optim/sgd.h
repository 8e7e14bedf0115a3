// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled)
// weight decay, following torch.optim.SGD exactly (see kernels/optim_contract.h).
#pragma once
#include <vector>

#include "optim/optimizer.h"

namespace cyclone::optim {

struct SgdOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // added to the gradient: d_p = grad + weight_decay * param
  bool nesterov = false;      // needs momentum > 0 and dampening == 0
};

// Per step, for each parameter with a gradient (PyTorch's formulas):
//   d_p = grad + weight_decay * p
//   buf = d_p on the first step with momentum, then buf = momentum * buf + (1 - dampening) * d_p
//   d_p = nesterov ? d_p + momentum * buf : buf            (when momentum != 0)
//   p  -= lr * d_p
class SGD final : public Optimizer {
 public:
  explicit SGD(const std::vector<Tensor>& params, SgdOptions defaults = {});
  explicit SGD(const std::vector<ParamGroup>& groups, SgdOptions defaults = {});

  const SgdOptions& defaults() const { return defaults_; }
  const SgdOptions& options(size_t group) const;

  double lr(size_t group) const override;
  void set_lr(size_t group, double lr) override;
  double momentum(size_t group) const override;
  void set_momentum(size_t group, double momentum) override;

 protected:
  void add_group_options(const GroupOptions& options, const std::string& where) override;
  std::map<std::string, double> hyperparameters(size_t group) const override;
  void check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const override;
  void set_hyperparameters(size_t group, const std::map<std::string, double>& h) override;
  std::set<std::string> buffer_names() const override { return {"momentum_buffer"}; }
  void update(size_t group, const std::vector<size_t>& slots) override;

 private:
  static void validate(const SgdOptions& o, const std::string& where);
  SgdOptions defaults_;
  std::vector<SgdOptions> options_;  // one per group, resolved
};

}  // namespace cyclone::optim
