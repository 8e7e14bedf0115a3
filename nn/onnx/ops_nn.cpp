// ONNX layer ops for the importer: Conv, BatchNormalization, pools, Gemm, MatMul, Relu and
// broadcasting Add/Sub/Mul/Div, each on cyclone's differentiable functions.
#include <limits>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {
namespace F = functional;

namespace {

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

void require_rank(const Tensor& x, int64_t rank, const std::string& what) {
  if (x.dim() != rank) {
    throw std::invalid_argument(what + " must have rank " + std::to_string(rank) + ", got shape " +
                                shape_str(x.shape()));
  }
}

Value conv(const OpContext& c) {
  const WindowAttrs a = conv_attrs(c.node);
  Tensor x = c.tensor(0, true);
  const Tensor w = c.tensor(1, true);
  const Tensor b = c.has(2) ? c.tensor(2, true) : Tensor();
  require_rank(x, 4, "input X (only 2-D convolution is supported)");
  require_rank(w, 4, "weight W");
  F::Conv2dOptions o;
  o.groups = a.group;
  o.stride_h = a.strides[0], o.stride_w = a.strides[1], o.dilation_h = a.dilations[0], o.dilation_w = a.dilations[1];
  if (!a.kernel.empty() && a.kernel != std::vector<int64_t>{w.size(2), w.size(3)}) {
    throw std::invalid_argument("kernel_shape " + list_str(a.kernel) + " does not match weight " +
                                shape_str(w.shape()));
  }
  if (x.size(1) != w.size(1) * o.groups || w.size(0) % o.groups != 0) {
    throw std::invalid_argument("input " + shape_str(x.shape()) + ", weight " + shape_str(w.shape()) + " and group " +
                                std::to_string(o.groups) + " do not fit together");
  }
  const auto p = resolve_pads(a, {x.size(2), x.size(3)}, {w.size(2), w.size(3)});
  if (p[0] == p[2] && p[1] == p[3]) {
    o.pad_h = p[0], o.pad_w = p[1];
  } else {
    x = F::pad(x, {p[1], p[3], p[0], p[2]});  // asymmetric: pad explicitly, then a valid convolution
  }
  return F::conv2d(x, w, b, o);
}

Value batch_norm(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  if (x.dim() < 2) throw std::invalid_argument("input X must have rank >= 2, got shape " + shape_str(x.shape()));
  const Tensor scale = c.tensor(1, true), bias = c.tensor(2, true), mean = c.tensor(3, true), var = c.tensor(4, true);
  for (const Tensor* t : {&scale, &bias, &mean, &var}) {
    if (t->dim() != 1 || t->size(0) != x.size(1)) {
      throw std::invalid_argument("scale, B, mean and var must have shape [" + std::to_string(x.size(1)) +
                                  "] for input " + shape_str(x.shape()) + ", got " + shape_str(t->shape()));
    }
  }
  const double eps = c.attr_float("epsilon", 1e-5f);
  // ONNX's running = momentum * running + (1 - momentum) * batch; PyTorch's momentum is 1 - that.
  const double momentum = 1.0 - c.attr_float("momentum", 0.9f);
  const bool training = c.training || c.attr_int("training_mode", 0) != 0;  // training_mode: opset 14 on
  return F::batch_norm(x, mean, var, scale, bias, training, momentum, eps);
}

// MaxPool / AveragePool. Pads come from auto_pad and the input's size (ceil_mode is then
// moot: SAME pads give ceil(in / stride) outputs and VALID ones floor's). Symmetric pads go to
// the pooling itself; asymmetric ones are applied first, with -inf for MaxPool and zeros for
// AveragePool, whose sums are then divided by the count of real (unpadded) elements unless
// count_include_pad is set.
Tensor pool(const OpContext& c, bool is_max) {
  const WindowAttrs a = pool_attrs(c.node);
  Tensor x = c.tensor(0, true);
  require_rank(x, 4, "input X (only 2-D pooling is supported)");
  const auto p = resolve_pads(a, {x.size(2), x.size(3)}, a.kernel);
  F::Pool2dOptions o;
  o.kernel_h = a.kernel[0], o.kernel_w = a.kernel[1], o.stride_h = a.strides[0], o.stride_w = a.strides[1];
  o.ceil_mode = a.auto_pad == AutoPad::notset && a.ceil_mode;
  o.count_include_pad = a.count_include_pad;
  if (p[0] == p[2] && p[1] == p[3]) {
    o.pad_h = p[0], o.pad_w = p[1];
    return is_max ? F::max_pool2d(x, o) : F::avg_pool2d(x, o);
  }
  const std::vector<int64_t> torch_pads{p[1], p[3], p[0], p[2]};
  if (is_max) return F::max_pool2d(F::pad(x, torch_pads, -std::numeric_limits<double>::infinity()), o);
  const Tensor sums = F::avg_pool2d(F::pad(x, torch_pads), o);
  if (a.count_include_pad) return sums;
  const Tensor real = F::pad(ones({1, 1, x.size(2), x.size(3)}, x.device()), torch_pads);
  return div(sums, F::avg_pool2d(real, o));  // (sum / k) / (count / k)
}

Value max_pool(const OpContext& c) { return pool(c, true); }

Value average_pool(const OpContext& c) { return pool(c, false); }

Value global_average_pool(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  require_rank(x, 4, "input X (only 2-D pooling is supported)");
  return F::adaptive_avg_pool2d(x, 1, 1);
}

// Y = alpha * A' B' + beta * C, with A' = transA ? A^T : A and B' likewise.
Value gemm(const OpContext& c) {
  const Tensor a = c.tensor(0, true), b = c.tensor(1, true);
  require_rank(a, 2, "input A");
  require_rank(b, 2, "input B");
  const bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
  const double alpha = c.attr_float("alpha", 1.0f), beta = c.attr_float("beta", 1.0f);
  const Tensor bias = c.has(2) ? c.tensor(2, true) : Tensor();
  const int64_t k_a = ta ? a.size(0) : a.size(1), k_b = tb ? b.size(1) : b.size(0);
  if (k_a != k_b) {
    throw std::invalid_argument("A " + shape_str(a.shape()) + (ta ? " (transposed)" : "") + " and B " +
                                shape_str(b.shape()) + (tb ? " (transposed)" : "") + " do not multiply");
  }
  const int64_t n = tb ? b.size(0) : b.size(1);
  if (!ta && tb && alpha == 1.0 && beta == 1.0 && (!bias.defined() || bias.shape() == Shape{n})) {
    return F::linear(a, b, bias);  // the nn.Linear form: x W^T + b
  }
  Tensor y = matmul(ta ? a.t() : a, tb ? b.t() : b);
  if (alpha != 1.0) y = mul(y, alpha);
  if (bias.defined()) y = add(y, beta == 1.0 ? bias : mul(bias, beta));
  return y;
}

Value mat_mul(const OpContext& c) { return matmul(c.tensor(0, true), c.tensor(1, true)); }

Value relu_op(const OpContext& c) { return relu(c.tensor(0, true)); }

Value binary(const OpContext& c, char op) {
  if (c.all_host()) return host_binary(c.host(0), c.host(1), op);
  // Constants join a float computation as float tensors.
  bool as_float = false;
  for (size_t i = 0; i < 2; ++i) {
    if (c.has(i) && !c.is_host(i)) as_float = as_float || std::get<Tensor>(*c.inputs[i]).dtype() == DType::f32;
  }
  const Tensor a = c.tensor(0, as_float), b = c.tensor(1, as_float);
  broadcast_shapes(a.shape(), b.shape(), "inputs");
  switch (op) {
    case '+':
      return add(a, b);
    case '-':
      return sub(a, b);
    case '*':
      return mul(a, b);
    default:
      return div(a, b);
  }
}

}  // namespace

void add_nn_ops(std::map<std::string, OpFn>& t) {
  t["Conv"] = conv;
  t["BatchNormalization"] = batch_norm;
  t["MaxPool"] = max_pool;
  t["AveragePool"] = average_pool;
  t["GlobalAveragePool"] = global_average_pool;
  t["Gemm"] = gemm;
  t["MatMul"] = mat_mul;
  t["Relu"] = relu_op;
  t["Add"] = [](const OpContext& c) { return binary(c, '+'); };
  t["Sub"] = [](const OpContext& c) { return binary(c, '-'); };
  t["Mul"] = [](const OpContext& c) { return binary(c, '*'); };
  t["Div"] = [](const OpContext& c) { return binary(c, '/'); };
}

}  // namespace cyclone::nn::onnx
