// ONNX elementwise ops for the importer: activations (Sigmoid, HardSwish, Clip, Elu, ...),
// math (Exp, Log, Pow, Erf, rounding, ...), variadic Min/Max/Sum/Mean, comparisons, logic and
// Where. Each is
// one of cyclone's differentiable functions or a composition of them (so it has a backward
// and runs on every device); on host arrays (shape arithmetic) they are computed on the host.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor x_of(const OpContext& c) { return c.tensor(0, true); }

// Host arrays take the host path, one function for both kinds.
using RealFn = double (*)(double);
Value unary(const OpContext& c, Tensor (*on_tensor)(const Tensor&), RealFn on_host) {
  if (c.is_host(0)) {
    const HostArray& h = c.host(0);
    return host_map({&h}, h.is_float, [on_host](const std::vector<double>& v) { return on_host(v[0]); });
  }
  return on_tensor(x_of(c));
}

// exp(min(x, 0)): the negative branch of Elu-like ops, finite (with a finite gradient) for any x.
Tensor exp_neg_part(const Tensor& x) { return exp(minimum(x, zeros({}, x.device()))); }

// Elu: x for x > 0, alpha (e^x - 1) otherwise.
Tensor elu_of(const Tensor& x, double alpha) {
  const Tensor z = zeros({}, x.device());
  return where(gt(x, z), x, mul(add(exp_neg_part(x), -1.0), alpha));
}

// Softplus: log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), stable for large |x|.
Tensor softplus_of(const Tensor& x) { return add(relu(x), log(add(exp(neg(abs(x))), 1.0))); }

Value clip(const OpContext& c) {
  double lo = -kInf, hi = kInf;
  if (c.opset < 11) {
    lo = c.attr_float("min", -std::numeric_limits<float>::max());
    hi = c.attr_float("max", std::numeric_limits<float>::max());
  } else if ((c.has(1) && !c.is_host(1)) || (c.has(2) && !c.is_host(2))) {
    // Bounds computed at run time: min(max(x, lo), hi), as ONNX defines it.
    Tensor y = x_of(c);
    if (c.has(1)) y = maximum(y, c.tensor(1, true));
    if (c.has(2)) y = minimum(y, c.tensor(2, true));
    return y;
  } else {
    if (c.has(1)) lo = c.host(1).scalar("min");
    if (c.has(2)) hi = c.host(2).scalar("max");
  }
  if (lo > hi) lo = hi;  // ONNX: every value becomes max
  if (c.is_host(0)) {
    const HostArray& h = c.host(0);
    return host_map({&h}, h.is_float, [lo, hi](const std::vector<double>& v) { return std::min(std::max(v[0], lo), hi); });
  }
  return clamp(x_of(c), lo, hi);
}

// Pow: the result has X's type.
Value pow_op(const OpContext& c) {
  if (c.all_host()) {
    const HostArray &a = c.host(0), &b = c.host(1);
    return host_map({&a, &b}, a.is_float, [](const std::vector<double>& v) { return std::pow(v[0], v[1]); });
  }
  if (c.is_host(1) && c.host(1).numel() == 1 && c.host(1).shape.empty()) return pow(x_of(c), c.host(1).scalar("Y"));
  return pow(x_of(c), c.tensor(1, true));
}

// PRelu: x for x >= 0, slope * x otherwise = relu(x) - slope * relu(-x); the slope broadcasts to x.
Value prelu(const OpContext& c) {
  const Tensor x = x_of(c), slope = c.tensor(1, true);
  broadcast_shapes(x.shape(), slope.shape(), "X and slope");
  return sub(relu(x), mul(slope, relu(neg(x))));
}

// Min, Max, Sum, Mean of one or more broadcasting inputs.
enum class Fold { min, max, sum, mean };
Value variadic(const OpContext& c, Fold f) {
  if (c.num_inputs() == 0) throw std::invalid_argument("at least one input is required");
  if (c.all_host()) {
    std::vector<const HostArray*> args;
    bool any_float = false;
    for (size_t i = 0; i < c.num_inputs(); ++i) {
      args.push_back(&c.host(i));
      any_float = any_float || args.back()->is_float;
    }
    auto real = [f](const std::vector<double>& v) {
      double r = v[0];
      for (size_t k = 1; k < v.size(); ++k) r = f == Fold::min ? std::min(r, v[k]) : f == Fold::max ? std::max(r, v[k]) : r + v[k];
      return f == Fold::mean ? r / static_cast<double>(v.size()) : r;
    };
    auto integer = [f](const std::vector<int64_t>& v) {
      int64_t r = v[0];
      for (size_t k = 1; k < v.size(); ++k) r = f == Fold::min ? std::min(r, v[k]) : f == Fold::max ? std::max(r, v[k]) : r + v[k];
      return f == Fold::mean ? r / static_cast<int64_t>(v.size()) : r;
    };
    return host_map(args, any_float, real, integer);
  }
  Tensor y = c.tensor(0, true);
  for (size_t i = 1; i < c.num_inputs(); ++i) {
    const Tensor x = c.tensor(i, true);
    y = f == Fold::min ? minimum(y, x) : f == Fold::max ? maximum(y, x) : add(y, x);
  }
  if (f == Fold::mean) y = mul(y, 1.0 / static_cast<double>(c.num_inputs()));
  if (c.num_inputs() == 1) y = add(y, 0.0);  // a new value, not an alias of the input
  return y;
}

// Equal, Less, Greater, LessOrEqual, GreaterOrEqual: bool results (uint8 tensors).
Value compare(const OpContext& c, char op) {
  auto test = [op](auto a, auto b) {
    return op == '=' ? a == b : op == '<' ? a < b : op == '>' ? a > b : op == 'l' ? a <= b : a >= b;
  };
  if (c.all_host()) {
    const HostArray &a = c.host(0), &b = c.host(1);
    return host_map({&a, &b}, false, [test](const std::vector<double>& v) { return test(v[0], v[1]) ? 1.0 : 0.0; },
                    [test](const std::vector<int64_t>& v) { return static_cast<int64_t>(test(v[0], v[1])); });
  }
  const Tensor a = c.tensor(0, true), b = c.tensor(1, true);
  switch (op) {
    case '=': return eq(a, b);
    case '<': return lt(a, b);
    case '>': return gt(a, b);
    case 'l': return le(a, b);
    default: return ge(a, b);
  }
}

Value not_op(const OpContext& c) {
  if (c.is_host(0)) {
    const HostArray& h = c.host(0);
    return host_map({&h}, false, [](const std::vector<double>& v) { return v[0] == 0.0 ? 1.0 : 0.0; },
                    [](const std::vector<int64_t>& v) { return static_cast<int64_t>(v[0] == 0); });
  }
  return eq(c.tensor(0), zeros({}, c.device));
}

// Where(cond, X, Y): X where cond is true, else Y, all three broadcasting.
Value where_op(const OpContext& c) {
  if (c.all_host()) {
    const HostArray &cond = c.host(0), &a = c.host(1), &b = c.host(2);
    return host_map({&cond, &a, &b}, a.is_float || b.is_float,
                    [](const std::vector<double>& v) { return v[0] != 0.0 ? v[1] : v[2]; },
                    [](const std::vector<int64_t>& v) { return v[0] != 0 ? v[1] : v[2]; });
  }
  return where(c.tensor(0), c.tensor(1, true), c.tensor(2, true));
}

// And, Or, Xor of bool inputs; the result is bool.
Value logical(const OpContext& c, char op) {
  auto f = [op](bool a, bool b) { return op == '&' ? a && b : op == '|' ? a || b : a != b; };
  if (c.all_host()) {
    const HostArray &a = c.host(0), &b = c.host(1);
    return host_map({&a, &b}, false, [f](const std::vector<double>& v) { return f(v[0] != 0, v[1] != 0) ? 1.0 : 0.0; },
                    [f](const std::vector<int64_t>& v) { return static_cast<int64_t>(f(v[0] != 0, v[1] != 0)); });
  }
  const Tensor z = zeros({}, c.device);
  const Tensor a = ne(c.tensor(0), z).to(DType::f32), b = ne(c.tensor(1), z).to(DType::f32);
  const Tensor t = op == '&' ? mul(a, b) : op == '|' ? maximum(a, b) : abs(sub(a, b));
  return ne(t, z);
}

// IsNaN, and IsInf with detect_positive / detect_negative.
Value is_special(const OpContext& c, bool nan) {
  const bool pos = c.attr_int("detect_positive", 1) != 0, neg_inf = c.attr_int("detect_negative", 1) != 0;
  if (c.is_host(0)) {
    const HostArray& h = c.host(0);
    return host_map({&h}, false, [=](const std::vector<double>& v) {
      const double x = v[0];
      return (nan ? std::isnan(x) : std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg_inf))) ? 1.0 : 0.0;
    });
  }
  const Tensor x = x_of(c);
  if (nan) return ne(x, x);
  const Tensor p = eq(x, full({}, kInf, x.device())).to(DType::f32), n = eq(x, full({}, -kInf, x.device())).to(DType::f32);
  const Tensor hit = add(mul(p, pos ? 1.0 : 0.0), mul(n, neg_inf ? 1.0 : 0.0));
  return ne(hit, zeros({}, x.device()));
}

// Shrink: x + bias for x < -lambd, x - bias for x > lambd, else 0.
Value shrink(const OpContext& c) {
  const double lambd = c.attr_float("lambd", 0.5f), bias = c.attr_float("bias", 0.0f);
  if (c.is_host(0)) {
    const HostArray& h = c.host(0);
    return host_map({&h}, h.is_float, [=](const std::vector<double>& v) {
      return v[0] < -lambd ? v[0] + bias : v[0] > lambd ? v[0] - bias : 0.0;
    });
  }
  const Tensor x = x_of(c), z = zeros({}, x.device());
  return where(lt(x, full({}, -lambd, x.device())), add(x, bias),
               where(gt(x, full({}, lambd, x.device())), add(x, -bias), z));
}

}  // namespace

void add_math_ops(std::map<std::string, OpFn>& t) {
  t["Sigmoid"] = [](const OpContext& c) { return unary(c, sigmoid, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }); };
  t["Tanh"] = [](const OpContext& c) { return unary(c, tanh, [](double x) { return std::tanh(x); }); };
  t["Exp"] = [](const OpContext& c) { return unary(c, exp, [](double x) { return std::exp(x); }); };
  t["Log"] = [](const OpContext& c) { return unary(c, log, [](double x) { return std::log(x); }); };
  t["Sqrt"] = [](const OpContext& c) { return unary(c, sqrt, [](double x) { return std::sqrt(x); }); };
  t["Abs"] = [](const OpContext& c) { return unary(c, abs, [](double x) { return std::abs(x); }); };
  t["Neg"] = [](const OpContext& c) { return unary(c, neg, [](double x) { return -x; }); };
  t["Erf"] = [](const OpContext& c) { return unary(c, erf, [](double x) { return std::erf(x); }); };
  t["Reciprocal"] = [](const OpContext& c) -> Value { return rdiv(1.0, x_of(c)); };
  t["Softsign"] = [](const OpContext& c) -> Value {  // x / (1 + |x|)
    const Tensor x = x_of(c);
    return div(x, add(abs(x), 1.0));
  };
  t["Softplus"] = [](const OpContext& c) -> Value { return softplus_of(x_of(c)); };
  t["Mish"] = [](const OpContext& c) -> Value {  // x tanh(softplus(x))
    const Tensor x = x_of(c);
    return mul(x, tanh(softplus_of(x)));
  };
  t["LeakyRelu"] = [](const OpContext& c) -> Value { return leaky_relu(x_of(c), c.attr_float("alpha", 0.01f)); };
  t["Elu"] = [](const OpContext& c) -> Value { return elu_of(x_of(c), c.attr_float("alpha", 1.0f)); };
  t["Selu"] = [](const OpContext& c) -> Value {  // gamma * elu(x, alpha)
    const double alpha = c.attr_float("alpha", 1.67326319217681884765625f);
    const double gamma = c.attr_float("gamma", 1.05070102214813232421875f);
    return mul(elu_of(x_of(c), alpha), gamma);
  };
  t["Celu"] = [](const OpContext& c) -> Value {  // max(0, x) + min(0, alpha (e^(x/alpha) - 1))
    const double alpha = c.attr_float("alpha", 1.0f);
    return mul(elu_of(mul(x_of(c), 1.0 / alpha), 1.0), alpha);
  };
  t["ThresholdedRelu"] = [](const OpContext& c) -> Value {  // x for x > alpha, else 0
    const Tensor x = x_of(c);
    return where(gt(x, full({}, c.attr_float("alpha", 1.0f), x.device())), x, zeros({}, x.device()));
  };
  t["HardSigmoid"] = [](const OpContext& c) -> Value {  // max(0, min(1, alpha x + beta))
    return clamp(add(mul(x_of(c), c.attr_float("alpha", 0.2f)), c.attr_float("beta", 0.5f)), 0.0, 1.0);
  };
  t["HardSwish"] = [](const OpContext& c) -> Value {  // x * max(0, min(1, x / 6 + 1/2))
    const Tensor x = x_of(c);
    return mul(x, clamp(add(mul(x, 1.0 / 6.0), 0.5), 0.0, 1.0));
  };
  t["Clip"] = clip;
  t["Pow"] = pow_op;
  t["PRelu"] = prelu;
  t["Min"] = [](const OpContext& c) { return variadic(c, Fold::min); };
  t["Max"] = [](const OpContext& c) { return variadic(c, Fold::max); };
  t["Sum"] = [](const OpContext& c) { return variadic(c, Fold::sum); };
  t["Mean"] = [](const OpContext& c) { return variadic(c, Fold::mean); };
  t["Equal"] = [](const OpContext& c) { return compare(c, '='); };
  t["Less"] = [](const OpContext& c) { return compare(c, '<'); };
  t["Greater"] = [](const OpContext& c) { return compare(c, '>'); };
  t["LessOrEqual"] = [](const OpContext& c) { return compare(c, 'l'); };
  t["GreaterOrEqual"] = [](const OpContext& c) { return compare(c, 'g'); };
  t["Not"] = not_op;
  t["And"] = [](const OpContext& c) { return logical(c, '&'); };
  t["Or"] = [](const OpContext& c) { return logical(c, '|'); };
  t["Xor"] = [](const OpContext& c) { return logical(c, '^'); };
  t["IsNaN"] = [](const OpContext& c) { return is_special(c, true); };
  t["IsInf"] = [](const OpContext& c) { return is_special(c, false); };
  t["Shrink"] = shrink;
  t["Floor"] = [](const OpContext& c) { return unary(c, floor, [](double x) { return std::floor(x); }); };
  t["Ceil"] = [](const OpContext& c) { return unary(c, ceil, [](double x) { return std::ceil(x); }); };
  t["Round"] = [](const OpContext& c) { return unary(c, round, [](double x) { return std::nearbyint(x); }); };
  t["Sign"] = [](const OpContext& c) { return unary(c, sign, [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }); };
  t["Where"] = where_op;
}

}  // namespace cyclone::nn::onnx
