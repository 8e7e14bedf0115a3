// Elementwise ops with their derivatives. Broadcast inputs get their gradient
// summed back to their own shape with sum_to (the reduction of broadcast grads).
#include <vector>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "tensor/dispatch.h"

namespace cyclone {
using dispatch::BinaryOp;
using dispatch::CompareOp;
using dispatch::UnaryOp;
using Grads = std::vector<Tensor>;

Tensor add(const Tensor& a, const Tensor& b) {
  // d(a+b)/da = 1, d(a+b)/db = 1
  return record("AddBackward", {a, b}, dispatch::binary(BinaryOp::Add, a, b),
                [sa = a.shape(), sb = b.shape()](const Tensor& g) { return Grads{sum_to(g, sa), sum_to(g, sb)}; });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  // d(a-b)/da = 1, d(a-b)/db = -1
  return record("SubBackward", {a, b}, dispatch::binary(BinaryOp::Sub, a, b),
                [sa = a.shape(), sb = b.shape()](const Tensor& g) { return Grads{sum_to(g, sa), sum_to(neg(g), sb)}; });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  // d(ab)/da = b, d(ab)/db = a
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  return record("MulBackward", {a, b}, dispatch::binary(BinaryOp::Mul, a, b),
                [a = a.detach(), b = b.detach(), ga, gb](const Tensor& g) {
                  return Grads{ga ? sum_to(mul(g, b), a.shape()) : Tensor(), gb ? sum_to(mul(g, a), b.shape()) : Tensor()};
                });
}

Tensor div(const Tensor& a, const Tensor& b) {
  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
  const bool gb = b.requires_grad();
  return record("DivBackward", {a, b}, dispatch::binary(BinaryOp::Div, a, b),
                [a = a.detach(), b = b.detach(), gb](const Tensor& g) {
                  const Tensor ga = sum_to(div(g, b), a.shape());
                  return Grads{ga, gb ? sum_to(neg(div(mul(g, a), square(b))), b.shape()) : Tensor()};
                });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  // d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a)
  Tensor y = dispatch::binary(BinaryOp::Pow, a, b);
  const bool gb = b.requires_grad();
  return record("PowBackward", {a, b}, y, [a = a.detach(), b = b.detach(), y = y.detach(), gb](const Tensor& g) {
    const Tensor ga = sum_to(mul(g, mul(b, pow(a, sub(b, ones({}, b.device()))))), a.shape());
    return Grads{ga, gb ? sum_to(mul(g, mul(y, log(a))), b.shape()) : Tensor()};
  });
}

// max/min: the gradient goes to the larger (smaller) input; ties split it evenly.
static Tensor extremum(const Tensor& a, const Tensor& b, bool is_max) {
  Tensor y = dispatch::binary(is_max ? BinaryOp::Maximum : BinaryOp::Minimum, a, b);
  return record(is_max ? "MaximumBackward" : "MinimumBackward", {a, b}, y,
                [a = a.detach(), b = b.detach(), is_max](const Tensor& g) {
                  const Tensor win = is_max ? gt(a, b) : lt(a, b);
                  const Tensor tie = eq(a, b);
                  const Tensor wa = add(where(win, ones({}, g.device()), zeros({}, g.device())), mul(where(tie, ones({}, g.device()), zeros({}, g.device())), 0.5));
                  const Tensor wb = rsub(1.0, wa);
                  return Grads{sum_to(mul(g, wa), a.shape()), sum_to(mul(g, wb), b.shape())};
                });
}
Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(a, b, false); }

Tensor add(const Tensor& a, double s) {
  // d(a+s)/da = 1
  return record("AddScalarBackward", {a}, dispatch::unary(UnaryOp::AddScalar, a, static_cast<float>(s)),
                [](const Tensor& g) { return Grads{g}; });
}

Tensor mul(const Tensor& a, double s) {
  // d(sa)/da = s
  return record("MulScalarBackward", {a}, dispatch::unary(UnaryOp::MulScalar, a, static_cast<float>(s)),
                [s](const Tensor& g) { return Grads{mul(g, s)}; });
}

Tensor pow(const Tensor& a, double p) {
  // d(a^p)/da = p a^(p-1)
  return record("PowScalarBackward", {a}, dispatch::unary(UnaryOp::PowScalar, a, static_cast<float>(p)),
                [a = a.detach(), p](const Tensor& g) {
                  return Grads{p == 2.0 ? mul(g, mul(a, 2.0)) : mul(g, mul(pow(a, p - 1.0), p))};
                });
}

Tensor rsub(double s, const Tensor& a) {
  // d(s-a)/da = -1
  return record("RSubBackward", {a}, dispatch::unary(UnaryOp::RSubScalar, a, static_cast<float>(s)),
                [](const Tensor& g) { return Grads{neg(g)}; });
}

Tensor rdiv(double s, const Tensor& a) {
  // d(s/a)/da = -s/a^2 = -y/a
  Tensor y = dispatch::unary(UnaryOp::RDivScalar, a, static_cast<float>(s));
  return record("RDivBackward", {a}, y, [a = a.detach(), y = y.detach()](const Tensor& g) {
    return Grads{neg(div(mul(g, y), a))};
  });
}

Tensor neg(const Tensor& x) {
  // d(-x)/dx = -1
  return record("NegBackward", {x}, dispatch::unary(UnaryOp::Neg, x), [](const Tensor& g) { return Grads{neg(g)}; });
}

Tensor exp(const Tensor& x) {
  // d exp(x)/dx = exp(x) = y
  Tensor y = dispatch::unary(UnaryOp::Exp, x);
  return record("ExpBackward", {x}, y, [y = y.detach()](const Tensor& g) { return Grads{mul(g, y)}; });
}

Tensor log(const Tensor& x) {
  // d log(x)/dx = 1/x
  return record("LogBackward", {x}, dispatch::unary(UnaryOp::Log, x),
                [x = x.detach()](const Tensor& g) { return Grads{div(g, x)}; });
}

Tensor sqrt(const Tensor& x) {
  // d sqrt(x)/dx = 1 / (2 sqrt(x)) = 0.5 / y
  Tensor y = dispatch::unary(UnaryOp::Sqrt, x);
  return record("SqrtBackward", {x}, y, [y = y.detach()](const Tensor& g) { return Grads{div(mul(g, 0.5), y)}; });
}

Tensor abs(const Tensor& x) {
  // d|x|/dx = sign(x) (0 at 0, as in PyTorch)
  return record("AbsBackward", {x}, dispatch::unary(UnaryOp::Abs, x),
                [x = x.detach()](const Tensor& g) { return Grads{mul(g, dispatch::unary(UnaryOp::Sign, x))}; });
}

Tensor square(const Tensor& x) {
  // d x^2/dx = 2x
  return record("SquareBackward", {x}, dispatch::unary(UnaryOp::Square, x),
                [x = x.detach()](const Tensor& g) { return Grads{mul(g, mul(x, 2.0))}; });
}

Tensor relu(const Tensor& x) {
  // d relu(x)/dx = 1 if x > 0 else 0
  return record("ReluBackward", {x}, dispatch::unary(UnaryOp::Relu, x), [x = x.detach()](const Tensor& g) {
    return Grads{dispatch::binary(BinaryOp::ReluBackward, g, x)};
  });
}

Tensor sigmoid(const Tensor& x) {
  // d sigmoid(x)/dx = y (1 - y)
  Tensor y = dispatch::unary(UnaryOp::Sigmoid, x);
  return record("SigmoidBackward", {x}, y, [y = y.detach()](const Tensor& g) {
    return Grads{dispatch::binary(BinaryOp::SigmoidBackward, g, y)};
  });
}

Tensor tanh(const Tensor& x) {
  // d tanh(x)/dx = 1 - y^2
  Tensor y = dispatch::unary(UnaryOp::Tanh, x);
  return record("TanhBackward", {x}, y, [y = y.detach()](const Tensor& g) {
    return Grads{dispatch::binary(BinaryOp::TanhBackward, g, y)};
  });
}

Tensor leaky_relu(const Tensor& x, double slope) {
  // d/dx = 1 if x > 0 else slope
  const auto a = static_cast<float>(slope);
  return record("LeakyReluBackward", {x}, dispatch::unary(UnaryOp::LeakyRelu, x, a), [x = x.detach(), a](const Tensor& g) {
    return Grads{dispatch::binary(BinaryOp::LeakyReluBackward, g, x, a)};
  });
}

Tensor gelu(const Tensor& x) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x)
  return record("GeluBackward", {x}, dispatch::unary(UnaryOp::Gelu, x), [x = x.detach()](const Tensor& g) {
    return Grads{dispatch::binary(BinaryOp::GeluBackward, g, x)};
  });
}

Tensor erf(const Tensor& x) {
  // d/dx erf(x) = 2 / sqrt(pi) * exp(-x^2)
  return record("ErfBackward", {x}, dispatch::unary(UnaryOp::Erf, x), [x = x.detach()](const Tensor& g) {
    return Grads{mul(g, mul(exp(neg(square(x))), 1.1283791670955126))};
  });
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  // d/dx = 1 inside [lo, hi], 0 outside
  const auto l = static_cast<float>(lo), h = static_cast<float>(hi);
  return record("ClampBackward", {x}, dispatch::unary(UnaryOp::Clamp, x, l, h), [x = x.detach(), l, h](const Tensor& g) {
    const Tensor inside = mul(ge(x, full({}, l, x.device())).to(DType::f32), le(x, full({}, h, x.device())).to(DType::f32));
    return Grads{mul(g, inside)};
  });
}

Tensor floor(const Tensor& x) { return dispatch::unary(UnaryOp::Floor, x); }
Tensor ceil(const Tensor& x) { return dispatch::unary(UnaryOp::Ceil, x); }
Tensor round(const Tensor& x) { return dispatch::unary(UnaryOp::Round, x); }
Tensor sign(const Tensor& x) { return dispatch::unary(UnaryOp::Sign, x); }

Tensor eq(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return dispatch::compare(CompareOp::Ge, a, b); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  // d/da = cond, d/db = !cond
  return record("WhereBackward", {a, b}, dispatch::where(cond, a, b),
                [c = cond.detach(), sa = a.shape(), sb = b.shape()](const Tensor& g) {
                  const Tensor z = zeros({}, g.device());
                  return Grads{sum_to(where(c, g, z), sa), sum_to(where(c, z, g), sb)};
                });
}

}  // namespace cyclone
