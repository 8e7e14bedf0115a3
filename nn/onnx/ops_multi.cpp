// ONNX ops with several outputs for the importer: Split, Dropout with its optional mask, and
// BatchNormalization in training mode with its running-statistics outputs.
#include <numeric>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

// Split along `axis` into the given sizes (the `split` attribute before opset 13, the second
// input from 13), or into ctx.num_outputs equal parts.
std::vector<Value> split(const OpContext& c) {
  const bool host = c.is_host(0);
  const Shape shape = host ? c.host(0).shape : c.tensor(0).shape();
  const int64_t axis = onnx_axis(c.attr_int("axis", 0), static_cast<int64_t>(shape.size()), "axis");
  const int64_t n = shape[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes = c.opset >= 13 ? (c.has(1) ? c.ints(1) : std::vector<int64_t>{}) : c.attr_ints("split", {});
  const auto parts = static_cast<int64_t>(c.num_outputs);
  if (sizes.empty()) {
    if (parts == 0 || n % parts != 0) {
      throw std::invalid_argument("axis " + std::to_string(axis) + " of size " + std::to_string(n) +
                                  " does not split into " + std::to_string(parts) + " equal parts");
    }
    sizes.assign(static_cast<size_t>(parts), n / parts);
  }
  if (static_cast<int64_t>(sizes.size()) != parts) {
    throw std::invalid_argument("split gives " + std::to_string(sizes.size()) + " sizes for " + std::to_string(parts) +
                                " outputs");
  }
  if (std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != n) {
    throw std::invalid_argument("split sizes " + shape_str(sizes) + " do not add up to " + std::to_string(n));
  }
  std::vector<Value> out;
  int64_t start = 0;
  for (int64_t len : sizes) {
    if (host)
      out.emplace_back(host_slice(c.host(0), {start}, {start + len}, {axis}, {1}));
    else
      out.emplace_back(c.tensor(0).slice(axis, start, start + len));
    start += len;
  }
  return out;
}

// Dropout: outputs (y, mask). It drops (like nn::functional::dropout, with cyclone's random
// numbers) when the training_mode input says so, or, when that input is absent, when the
// model is in training mode; otherwise y is x and the mask all true.
std::vector<Value> dropout(const OpContext& c) {
  double ratio = 0.5;
  if (c.opset < 12)
    ratio = c.attr_float("ratio", 0.5f);
  else if (c.has(1))
    ratio = c.host(1).scalar("ratio");
  const bool training = c.opset >= 12 && c.has(2) ? c.host(2).scalar("training_mode") != 0.0 : c.training;
  const Tensor x = c.tensor(0, true);
  const bool drops = training && ratio > 0;
  std::vector<Value> out;
  out.emplace_back(drops ? functional::dropout(x, ratio, true) : add(x, 0.0));
  if (c.num_outputs > 1) {
    if (drops) throw std::invalid_argument("the mask output of a Dropout that drops is not supported");
    out.emplace_back(ones(x.shape(), x.device()).to(DType::u8));  // every element kept
  }
  if (c.num_outputs > 2) throw std::invalid_argument("Dropout has at most 2 outputs");
  return out;
}

// BatchNormalization asked for (Y, running_mean, running_var), opset 14 on with training_mode:
// Y from the batch statistics (mean and biased variance over every axis but 1), and
// running = input * momentum + batch * (1 - momentum), as new values. (With one output the
// single-output form in ops_nn.cpp runs.)
std::vector<Value> batch_norm_training(const OpContext& c) {
  if (c.num_outputs != 3) throw std::invalid_argument("BatchNormalization gives 1 or 3 outputs");
  const Tensor x = c.tensor(0, true);
  if (x.dim() < 2) throw std::invalid_argument("input X must have rank >= 2, got shape " + shape_str(x.shape()));
  std::vector<int64_t> axes{0};
  Shape per_channel{x.size(1)};
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d), per_channel.push_back(1);
  const double eps = c.attr_float("epsilon", 1e-5f), momentum = c.attr_float("momentum", 0.9f);
  auto channel = [&](size_t i) { return c.tensor(i, true).reshape(per_channel); };
  const Tensor m = mean(x, axes, true), centred = sub(x, m);
  const Tensor v = mean(square(centred), axes, true);
  const Tensor y = add(mul(div(centred, sqrt(add(v, eps))), channel(1)), channel(2));
  const Shape flat{x.size(1)};
  std::vector<Value> out;
  out.emplace_back(y);
  out.emplace_back(add(mul(c.tensor(3, true), momentum), mul(m.reshape(flat), 1.0 - momentum)));
  out.emplace_back(add(mul(c.tensor(4, true), momentum), mul(v.reshape(flat), 1.0 - momentum)));
  return out;
}

}  // namespace

void add_multi_output_ops(std::map<std::string, MultiOpFn>& t) {
  t["Split"] = split;
  t["Dropout"] = dropout;
  t["BatchNormalization"] = batch_norm_training;
}

}  // namespace cyclone::nn::onnx
