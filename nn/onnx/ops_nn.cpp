// ONNX layer ops for the importer: Conv (1-D and 2-D), BatchNormalization, Gemm, MatMul, Relu
// and broadcasting Add/Sub/Mul/Div, each on cyclone's differentiable functions (pools: ops_pool.cpp).
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attr_reading.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {
namespace F = functional;

namespace {

void require_rank(const Tensor& x, int64_t rank, const std::string& what) {
  if (x.dim() != rank) {
    throw std::invalid_argument(what + " must have rank " + std::to_string(rank) + ", got shape " +
                                shape_str(x.shape()));
  }
}

// 2-D convolution with ONNX's [h_begin, w_begin, h_end, w_end] pads: symmetric ones go to
// conv2d, asymmetric ones are applied first and the convolution is then valid.
Tensor conv2d_padded(Tensor x, const Tensor& w, const Tensor& b, const WindowAttrs& a, const std::vector<int64_t>& p) {
  F::Conv2dOptions o;
  o.groups = a.group;
  o.stride_h = a.strides[0], o.stride_w = a.strides[1], o.dilation_h = a.dilations[0], o.dilation_w = a.dilations[1];
  if (p[0] == p[2] && p[1] == p[3]) {
    o.pad_h = p[0], o.pad_w = p[1];
  } else {
    x = F::pad(x, {p[1], p[3], p[0], p[2]});
  }
  return F::conv2d(x, w, b, o);
}

// Conv on X [N, C, H, W] or, as a 2-D convolution of height 1, X [N, C, L].
Value conv(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  const Tensor w = c.tensor(1, true);
  const Tensor b = c.has(2) ? c.tensor(2, true) : Tensor();
  if (x.dim() != 3 && x.dim() != 4) {
    throw std::invalid_argument("input X must have rank 3 or 4 (1-D or 2-D convolution), got shape " +
                                shape_str(x.shape()));
  }
  require_rank(w, x.dim(), "weight W");
  const auto rank = static_cast<size_t>(x.dim() - 2);
  WindowAttrs a = conv_attrs(c.node).for_rank(rank);
  const std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end()), k(w.shape().begin() + 2, w.shape().end());
  if (!a.kernel.empty() && a.kernel != k) {
    throw std::invalid_argument("kernel_shape " + list_str(a.kernel) + " does not match weight " +
                                shape_str(w.shape()));
  }
  if (x.size(1) != w.size(1) * a.group || w.size(0) % a.group != 0) {
    throw std::invalid_argument("input " + shape_str(x.shape()) + ", weight " + shape_str(w.shape()) + " and group " +
                                std::to_string(a.group) + " do not fit together");
  }
  const std::vector<int64_t> p = resolve_pads(a, in, k);
  if (rank == 2) return conv2d_padded(x, w, b, a, p);
  a.strides.insert(a.strides.begin(), 1);  // 1-D: a height-1 axis with a trivial window
  a.dilations.insert(a.dilations.begin(), 1);
  return conv2d_padded(x.unsqueeze(2), w.unsqueeze(2), b, a, {0, p[0], 0, p[1]}).squeeze(2);
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
  t["Gemm"] = gemm;
  t["MatMul"] = mat_mul;
  t["Relu"] = relu_op;
  t["Add"] = [](const OpContext& c) { return binary(c, '+'); };
  t["Sub"] = [](const OpContext& c) { return binary(c, '-'); };
  t["Mul"] = [](const OpContext& c) { return binary(c, '*'); };
  t["Div"] = [](const OpContext& c) { return binary(c, '/'); };
}

}  // namespace cyclone::nn::onnx
