// Adam (coupled L2 weight decay, optional AMSGrad) and AdamW (decoupled weight decay),
// following torch.optim.Adam / AdamW exactly (see kernels/optim_contract.h).
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "optim/optimizer_of.h"

namespace cyclone::optim {

// What one Adam or AdamW group may set; each option left empty takes the optimizer's default.
struct AdamGroupOptions {
  std::optional<double> lr = std::nullopt;
  std::optional<std::pair<double, double>> betas = std::nullopt;
  std::optional<double> eps = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<bool> amsgrad = std::nullopt;
};

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;

  // lr, beta1, beta2, eps, weight_decay, amsgrad: the names in state files.
  static const FieldTable<AdamOptions, AdamGroupOptions>& fields();
  static constexpr const char* momentum_field = "beta1";
};

using AdamParamGroup = ParamGroupOf<AdamGroupOptions>;

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
class Adam : public OptimizerOf<AdamOptions, AdamGroupOptions> {
 public:
  explicit Adam(const std::vector<Tensor>& params, AdamOptions defaults = {});
  explicit Adam(const std::vector<AdamParamGroup>& groups, AdamOptions defaults = {});

 protected:
  Adam(const std::vector<AdamParamGroup>& groups, AdamOptions defaults, bool decoupled, std::string name);

  void validate(const AdamOptions& o, const std::string& where) const override;
  std::set<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}; }
  void check_loaded_state(const std::set<std::string>& buffers, int64_t step, const std::map<std::string, double>& h,
                          const std::string& where) const override;
  void update(size_t group, const std::vector<size_t>& slots) override;

 private:
  bool decoupled_;  // AdamW
};

class AdamW final : public Adam {
 public:
  explicit AdamW(const std::vector<Tensor>& params, AdamWOptions defaults = {});
  explicit AdamW(const std::vector<AdamParamGroup>& groups, AdamWOptions defaults = {});
};

}  // namespace cyclone::optim
