// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (coupled)
// weight decay, following torch.optim.SGD exactly (see kernels/optim_contract.h).
#pragma once
#include <optional>
#include <vector>

#include "optim/optimizer_of.h"

namespace cyclone::optim {

// What one SGD group may set; each option left empty takes the optimizer's default.
struct SgdGroupOptions {
  std::optional<double> lr = std::nullopt;
  std::optional<double> momentum = std::nullopt;
  std::optional<double> dampening = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<bool> nesterov = std::nullopt;
};

struct SgdOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;  // added to the gradient: d_p = grad + weight_decay * param
  bool nesterov = false;      // needs momentum > 0 and dampening == 0

  // lr, momentum, dampening, weight_decay, nesterov: the names in state files.
  static const FieldTable<SgdOptions, SgdGroupOptions>& fields();
  static constexpr const char* momentum_field = "momentum";
};

using SgdParamGroup = ParamGroupOf<SgdGroupOptions>;

// Per step, for each parameter with a gradient (PyTorch's formulas):
//   d_p = grad + weight_decay * p
//   buf = d_p on the first step with momentum, then buf = momentum * buf + (1 - dampening) * d_p
//   d_p = nesterov ? d_p + momentum * buf : buf            (when momentum != 0)
//   p  -= lr * d_p
class SGD final : public OptimizerOf<SgdOptions, SgdGroupOptions> {
 public:
  explicit SGD(const std::vector<Tensor>& params, SgdOptions defaults = {});
  explicit SGD(const std::vector<SgdParamGroup>& groups, SgdOptions defaults = {});

 protected:
  void validate(const SgdOptions& o, const std::string& where) const override;
  std::set<std::string> buffer_names() const override { return {"momentum_buffer"}; }
  void update(size_t group, const std::vector<size_t>& slots) override;
};

}  // namespace cyclone::optim
