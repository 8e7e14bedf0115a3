// ONNX layer ops for the importer: Conv, BatchNormalization, pools, Gemm, MatMul, Relu and
// broadcasting Add/Sub/Mul/Div, each on cyclone's differentiable functions.
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
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

void require_notset_auto_pad(const OpContext& c) {
  const std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET") {
    throw std::invalid_argument("auto_pad '" + auto_pad + "' is not supported (only NOTSET with explicit pads)");
  }
}

// Two spatial values of attribute `name` (default `fallback` for both).
std::vector<int64_t> pair_attr(const OpContext& c, const std::string& name, int64_t fallback) {
  std::vector<int64_t> v = c.attr_ints(name, {fallback, fallback});
  if (v.size() != 2)
    throw std::invalid_argument("attribute '" + name + "' = " + list_str(v) + ": expected 2 values (2-D only)");
  return v;
}

// ONNX pads [h_begin, w_begin, h_end, w_end].
std::vector<int64_t> pads_attr(const OpContext& c) {
  std::vector<int64_t> p = c.attr_ints("pads", {0, 0, 0, 0});
  if (p.size() != 4)
    throw std::invalid_argument("attribute 'pads' = " + list_str(p) + ": expected 4 values (2-D only)");
  for (int64_t v : p) {
    if (v < 0) throw std::invalid_argument("attribute 'pads' = " + list_str(p) + ": negative pads are not supported");
  }
  return p;
}

Value conv(const OpContext& c) {
  require_notset_auto_pad(c);
  Tensor x = c.tensor(0, true);
  const Tensor w = c.tensor(1, true);
  const Tensor b = c.has(2) ? c.tensor(2, true) : Tensor();
  require_rank(x, 4, "input X (only 2-D convolution is supported)");
  require_rank(w, 4, "weight W");
  F::Conv2dOptions o;
  o.groups = c.attr_int("group", 1);
  const auto strides = pair_attr(c, "strides", 1), dil = pair_attr(c, "dilations", 1);
  o.stride_h = strides[0], o.stride_w = strides[1], o.dilation_h = dil[0], o.dilation_w = dil[1];
  if (c.has_attr("kernel_shape")) {
    const auto k = c.attr_ints("kernel_shape", {});
    if (k != std::vector<int64_t>{w.size(2), w.size(3)}) {
      throw std::invalid_argument("kernel_shape " + list_str(k) + " does not match weight " + shape_str(w.shape()));
    }
  }
  if (o.groups < 1 || x.size(1) != w.size(1) * o.groups || w.size(0) % o.groups != 0) {
    throw std::invalid_argument("input " + shape_str(x.shape()) + ", weight " + shape_str(w.shape()) + " and group " +
                                std::to_string(o.groups) + " do not fit together");
  }
  const auto p = pads_attr(c);
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
  return F::batch_norm(x, mean, var, scale, bias, c.training, momentum, eps);
}

// Kernel, strides, symmetric pads and ceil_mode of MaxPool / AveragePool.
F::Pool2dOptions pool_options(const OpContext& c, const Tensor& x) {
  require_notset_auto_pad(c);
  require_rank(x, 4, "input X (only 2-D pooling is supported)");
  const auto k = c.required_ints("kernel_shape");
  if (k.size() != 2) throw std::invalid_argument("kernel_shape " + list_str(k) + ": expected 2 values (2-D only)");
  const auto s = pair_attr(c, "strides", 1), d = pair_attr(c, "dilations", 1), p = pads_attr(c);
  if (d[0] != 1 || d[1] != 1) throw std::invalid_argument("dilations " + list_str(d) + " are not supported");
  if (p[0] != p[2] || p[1] != p[3])
    throw std::invalid_argument("asymmetric pads " + list_str(p) + " are not supported");
  F::Pool2dOptions o;
  o.kernel_h = k[0], o.kernel_w = k[1], o.stride_h = s[0], o.stride_w = s[1], o.pad_h = p[0], o.pad_w = p[1];
  o.ceil_mode = c.attr_int("ceil_mode", 0) != 0;
  return o;
}

Value max_pool(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  return F::max_pool2d(x, pool_options(c, x));
}

Value average_pool(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  F::Pool2dOptions o = pool_options(c, x);
  o.count_include_pad = c.attr_int("count_include_pad", 0) != 0;  // ONNX's default excludes padding
  return F::avg_pool2d(x, o);
}

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
