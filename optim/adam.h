// Adam (coupled L2 weight decay, optional AMSGrad) and AdamW (decoupled weight decay),
// following torch.optim.Adam / AdamW exactly (see kernels/optim_contract.h).
#pragma once
#include <utility>
#include <vector>

#include "optim/optimizer.h"

namespace cyclone::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
};

// AdamW's defaults differ from Adam's only in weight_decay (1e-2, as in PyTorch).
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

// Per step t of a parameter (each parameter counts its own steps, as in PyTorch):
//   g = grad + weight_decay * p            (Adam: coupled)
//   p = p * (1 - lr * weight_decay)        (AdamW: decoupled; g = grad)
//   m = beta1 * m + (1 - beta1) * g,  v = beta2 * v + (1 - beta2) * g * g
//   vmax = max(vmax, v) and v -> vmax      (amsgrad)
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  explicit Adam(const std::vector<Tensor>& params, AdamOptions defaults = {});
  explicit Adam(const std::vector<ParamGroup>& groups, AdamOptions defaults = {});

  const AdamOptions& defaults() const { return defaults_; }
  const AdamOptions& options(size_t group) const;

  double lr(size_t group) const override;
  void set_lr(size_t group, double lr) override;
  double momentum(size_t group) const override;  // beta1
  void set_momentum(size_t group, double beta1) override;

 protected:
  Adam(const std::vector<ParamGroup>& groups, AdamOptions defaults, bool decoupled, std::string name);

  void add_group_options(const GroupOptions& options, const std::string& where) override;
  std::map<std::string, double> hyperparameters(size_t group) const override;
  void check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const override;
  void set_hyperparameters(size_t group, const std::map<std::string, double>& h) override;
  std::set<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
  void check_loaded_state(const std::set<std::string>& buffers, int64_t step, const std::map<std::string, double>& h,
                          const std::string& where) const override;
  void update(size_t group, const std::vector<size_t>& slots) override;

 private:
  static void validate(const AdamOptions& o, const std::string& where);
  AdamOptions defaults_;
  bool decoupled_;                    // AdamW
  std::vector<AdamOptions> options_;  // one per group, resolved
};

class AdamW final : public Adam {
 public:
  explicit AdamW(const std::vector<Tensor>& params, AdamWOptions defaults = {});
  explicit AdamW(const std::vector<ParamGroup>& groups, AdamWOptions defaults = {});
};

}  // namespace cyclone::optim
