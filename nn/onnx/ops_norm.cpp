// ONNX normalisations for the importer beyond BatchNormalization: LayerNormalization (with its
// Mean and InvStdDev outputs), InstanceNormalization and LRN, as compositions of cyclone's
// differentiable functions.
#include <cmath>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

Tensor rsqrt_of(const Tensor& t) { return rdiv(1.0, sqrt(t)); }

// LayerNormalization (opset 17): normalises over the dims from `axis` on;
// Y = (X - mean) * InvStdDev * Scale + B with InvStdDev = 1 / sqrt(var + epsilon) (biased var).
std::vector<Value> layer_norm(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  const int64_t axis = onnx_axis(c.attr_int("axis", -1), x.dim(), "axis");
  const double eps = c.attr_float("epsilon", 1e-5f);
  std::vector<int64_t> dims;
  for (int64_t d = axis; d < x.dim(); ++d) dims.push_back(d);
  const Tensor m = mean(x, dims, true), centred = sub(x, m);
  const Tensor inv_std = rsqrt_of(add(mean(square(centred), dims, true), eps));
  Tensor y = mul(mul(centred, inv_std), c.tensor(1, true));
  if (c.has(2)) y = add(y, c.tensor(2, true));
  std::vector<Value> out{y};
  if (c.num_outputs > 1) out.emplace_back(m);
  if (c.num_outputs > 2) out.emplace_back(inv_std);
  if (c.num_outputs > 3) throw std::invalid_argument("LayerNormalization has at most 3 outputs");
  return out;
}

// InstanceNormalization: per sample and channel over the spatial dims, then scale and B per channel.
Value instance_norm(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  if (x.dim() < 3) throw std::invalid_argument("input must have rank >= 3, got shape " + shape_str(x.shape()));
  std::vector<int64_t> dims;
  Shape per_channel{x.size(1)};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d), per_channel.push_back(1);
  const double eps = c.attr_float("epsilon", 1e-5f);
  const Tensor centred = sub(x, mean(x, dims, true));
  const Tensor y = mul(centred, rsqrt_of(add(mean(square(centred), dims, true), eps)));
  return add(mul(y, c.tensor(1, true).reshape(per_channel)), c.tensor(2, true).reshape(per_channel));
}

// LRN across channels: y = x / (bias + alpha / size * sum of x^2 over the `size` channels around
// c, from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2)) ^ beta.
Value lrn(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  if (x.dim() < 3) throw std::invalid_argument("input must have rank >= 3, got shape " + shape_str(x.shape()));
  const int64_t size = c.attr_int("size", 0);
  if (size < 1) throw std::invalid_argument("attribute 'size' must be >= 1");
  const double alpha = c.attr_float("alpha", 1e-4f), beta = c.attr_float("beta", 0.75f), bias = c.attr_float("bias", 1.0f);
  const int64_t before = (size - 1) / 2, after = size - 1 - before, channels = x.size(1);
  const Tensor sq = square(x);
  Tensor window;
  for (int64_t off = -before; off <= after; ++off) {
    // sq shifted by `off` along the channels, zero outside
    const int64_t lo = std::max<int64_t>(0, -off), hi = std::min(channels, channels - off);
    if (lo >= hi) continue;
    std::vector<Tensor> parts;
    Shape s = x.shape();
    if (lo > 0) s[1] = lo, parts.push_back(zeros(s, x.device()));
    parts.push_back(sq.slice(1, lo + off, hi + off));
    if (hi < channels) s[1] = channels - hi, parts.push_back(zeros(s, x.device()));
    const Tensor shifted = parts.size() == 1 ? parts[0] : cat(parts, 1);
    window = window.defined() ? add(window, shifted) : shifted;
  }
  return div(x, pow(add(mul(window, alpha / static_cast<double>(size)), bias), beta));
}

}  // namespace

void add_norm_ops(std::map<std::string, OpFn>& one, std::map<std::string, MultiOpFn>& many) {
  one["InstanceNormalization"] = instance_norm;
  one["LRN"] = lrn;
  many["LayerNormalization"] = layer_norm;
}

}  // namespace cyclone::nn::onnx
