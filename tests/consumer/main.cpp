// Uses the installed library: autograd on a tiny expression, checked by value.
#include <cyclone/cyclone.h>

#include <cmath>
#include <cstdio>

int main() {
  using namespace cyclone;
  Tensor x = from_vector(std::vector<float>{1, 2, 3}, {3}).requires_grad_();
  Tensor y = sum(x * x);
  y.backward();
  const auto g = x.grad().to_vector();
  const bool ok = std::fabs(y.item() - 14.f) < 1e-6f && g[0] == 2.f && g[1] == 4.f && g[2] == 6.f;
  std::printf("consumer: y=%g grad=[%g %g %g] %s\n", y.item(), g[0], g[1], g[2], ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
