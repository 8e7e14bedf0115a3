// Initialisers (see init.h).
#include "nn/init.h"

#include <cmath>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "tensor/dispatch.h"

namespace cyclone::nn::init {

std::pair<int64_t, int64_t> fans(const Tensor& w) {
  if (w.dim() < 2) throw std::invalid_argument("init: fan in/out needs at least 2 dims, got " + shape_str(w.shape()));
  int64_t field = 1;
  for (int64_t d = 2; d < w.dim(); ++d) field *= w.size(d);
  return {w.size(1) * field, w.size(0) * field};
}

void uniform_(Tensor& t, double lo, double hi) {
  NoGradGuard g;
  dispatch::random_uniform(t, static_cast<float>(lo), static_cast<float>(hi));
}

void normal_(Tensor& t, double mean, double std) {
  NoGradGuard g;
  dispatch::random_normal(t, static_cast<float>(mean), static_cast<float>(std));
}

void kaiming_uniform_(Tensor& t, double a) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fans(t).first));
  uniform_(t, -bound, bound);
}

void kaiming_normal_(Tensor& t, double a) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  normal_(t, 0.0, gain / std::sqrt(static_cast<double>(fans(t).first)));
}

void xavier_uniform_(Tensor& t, double gain) {
  const auto [fi, fo] = fans(t);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fi + fo));
  uniform_(t, -bound, bound);
}

void constant_(Tensor& t, double v) {
  NoGradGuard g;
  t.fill_(v);
}

}  // namespace cyclone::nn::init
