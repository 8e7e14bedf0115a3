// Example 1: tensors and autograd by hand.
// Builds tensors, takes views, then fits y = 1*x0 - 2*x1 + 3*x2 by gradient
// descent, checking autograd's gradient against the formula 2/N X^T (Xw - y).
#include <cmath>
#include <cstdio>
#include <iostream>

#include "cyclone.h"
#include "example_common.h"

using namespace cyclone;

int main(int argc, char** argv) {
  example::parse(argc, argv);
  manual_seed(0);
  // Tensors, views and broadcasting.
  Tensor a = arange(0, 6).reshape({2, 3});
  std::cout << "a = " << a << "\na^T = " << a.t() << "\na + [10, 20, 30] = " << a + arange(10, 40, 10) << "\n";

  // Autograd: one gradient by hand.
  Tensor x = randn({64, 3});
  Tensor y = matmul(x, from_vector(std::vector<float>{1, -2, 3}, {3, 1}));
  Tensor w = zeros({3, 1}).requires_grad_();
  Tensor loss = mean(square(matmul(x, w) - y));
  loss.backward();
  // d/dw mean((Xw - y)^2) = 2/N X^T (Xw - y); at w = 0 that is -2/N X^T y.
  Tensor by_hand = matmul(x.t(), y) * (-2.0 / 64);
  const auto g = w.grad().to_vector(), h = by_hand.to_vector();
  double err = 0;
  for (size_t i = 0; i < g.size(); ++i) err = std::max(err, double(std::fabs(g[i] - h[i])));
  std::printf("autograd vs by hand: max difference %.2e\n", err);
  if (err > 1e-5) return 1;

  // Gradient descent.
  for (int step = 0; step < 200; ++step) {
    w.set_grad(Tensor());
    Tensor l = mean(square(matmul(x, w) - y));
    l.backward();
    NoGradGuard no_grad;
    w.copy_(w - w.grad() * 0.1);
  }
  std::cout << "learned w = " << w.detach() << "\n";
  const auto wv = w.to_vector();
  return std::fabs(wv[0] - 1) < 1e-3 && std::fabs(wv[1] + 2) < 1e-3 && std::fabs(wv[2] - 3) < 1e-3 ? 0 : 1;
}
