// ONNX reductions and normalisations for the importer: ReduceMean/Sum/Max/Min and the
// ReduceL1/L2/LogSum/LogSumExp/SumSquare family, ArgMax/ArgMin, Softmax and LogSoftmax (both
// opset semantics), on cyclone's differentiable functions.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

enum class Reduce { mean, sum, max, min, l1, l2, log_sum, log_sum_exp, sum_square };

// The reduced axes: the `axes` attribute, or (ReduceSum from opset 13, the others from 18)
// the optional second input. None means every axis, unless noop_with_empty_axes is set.
Value reduce(const OpContext& c, Reduce kind) {
  const Tensor x = c.tensor(0, true);
  const int64_t rank = x.dim();
  const bool axes_input = c.opset >= (kind == Reduce::sum ? 13 : 18);
  std::vector<int64_t> axes = axes_input ? (c.has(1) ? c.ints(1) : std::vector<int64_t>{}) : c.attr_ints("axes", {});
  const bool keepdims = c.attr_int("keepdims", 1) != 0;
  if (axes.empty() && c.attr_int("noop_with_empty_axes", 0) != 0) return add(x, 0.0);
  for (int64_t& a : axes) a = onnx_axis(a, rank, "axis");
  if (axes.empty()) {
    axes.resize(static_cast<size_t>(rank));
    std::iota(axes.begin(), axes.end(), 0);
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) throw std::invalid_argument("an axis is given twice");
  for (int64_t a : axes) {
    if (x.size(a) == 0 && (kind == Reduce::max || kind == Reduce::min))
      throw std::invalid_argument("cannot take the max or min over an empty axis of " + shape_str(x.shape()));
  }
  switch (kind) {
    case Reduce::mean: return mean(x, axes, keepdims);
    case Reduce::sum: return sum(x, axes, keepdims);
    case Reduce::max: return amax(x, axes, keepdims);
    case Reduce::min: return amin(x, axes, keepdims);
    case Reduce::l1: return sum(abs(x), axes, keepdims);
    case Reduce::l2: return sqrt(sum(square(x), axes, keepdims));
    case Reduce::log_sum: return log(sum(x, axes, keepdims));
    case Reduce::log_sum_exp: return logsumexp(x, axes, keepdims);
    case Reduce::sum_square: return sum(square(x), axes, keepdims);
  }
  return x;
}

// Softmax / LogSoftmax. From opset 13 along one axis (default -1); before, over the input
// coerced to 2-D at `axis` (default 1): every dim from `axis` on is one row.
Value softmax_like(const OpContext& c, bool log_form) {
  const Tensor x = c.tensor(0, true);
  const int64_t rank = x.dim();
  if (rank == 0) throw std::invalid_argument("input must have rank >= 1");
  const int64_t axis = onnx_axis(c.attr_int("axis", c.opset >= 13 ? -1 : 1), rank, "axis");
  auto f = [log_form](const Tensor& t, int64_t d) {
    return log_form ? functional::log_softmax(t, d) : functional::softmax(t, d);
  };
  if (c.opset >= 13) return f(x, axis);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  const Tensor rows = x.reshape({outer, -1});
  return f(rows, 1).reshape(x.shape());
}

// ArgMax / ArgMin along `axis` (int64 result), keepdims, and select_last_index (the last of
// equal extremes instead of the first).
Value arg_extreme(const OpContext& c, bool is_max) {
  Tensor x = c.tensor(0, true);
  const int64_t axis = onnx_axis(c.attr_int("axis", 0), x.dim(), "axis");
  const bool keepdims = c.attr_int("keepdims", 1) != 0, last = c.attr_int("select_last_index", 0) != 0;
  if (!is_max) x = neg(x);
  if (last) x = x.flip(axis);
  Tensor i = argmax(x, axis, keepdims);
  if (last) i = rsub(static_cast<double>(x.size(axis) - 1), i.to(DType::f32)).to(DType::i64);
  return i;
}

}  // namespace

void add_reduce_ops(std::map<std::string, OpFn>& t) {
  t["ReduceMean"] = [](const OpContext& c) { return reduce(c, Reduce::mean); };
  t["ReduceSum"] = [](const OpContext& c) { return reduce(c, Reduce::sum); };
  t["ReduceMax"] = [](const OpContext& c) { return reduce(c, Reduce::max); };
  t["ReduceMin"] = [](const OpContext& c) { return reduce(c, Reduce::min); };
  t["ReduceL1"] = [](const OpContext& c) { return reduce(c, Reduce::l1); };
  t["ReduceL2"] = [](const OpContext& c) { return reduce(c, Reduce::l2); };
  t["ReduceLogSum"] = [](const OpContext& c) { return reduce(c, Reduce::log_sum); };
  t["ReduceLogSumExp"] = [](const OpContext& c) { return reduce(c, Reduce::log_sum_exp); };
  t["ReduceSumSquare"] = [](const OpContext& c) { return reduce(c, Reduce::sum_square); };
  t["Softmax"] = [](const OpContext& c) { return softmax_like(c, false); };
  t["LogSoftmax"] = [](const OpContext& c) { return softmax_like(c, true); };
  t["ArgMax"] = [](const OpContext& c) { return arg_extreme(c, true); };
  t["ArgMin"] = [](const OpContext& c) { return arg_extreme(c, false); };
}

}  // namespace cyclone::nn::onnx
