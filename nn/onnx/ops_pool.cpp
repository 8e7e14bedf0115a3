// ONNX pooling ops for the importer: MaxPool and AveragePool of any spatial rank (with
// dilations, ceil_mode and any pads), GlobalAveragePool and GlobalMaxPool, all composed of
// cyclone's differentiable functions (so backward and CUDA come with them).
#include <algorithm>
#include <limits>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {
namespace F = functional;

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// One spatial axis of a pooling window: kernel, stride, dilation, begin and end pads.
struct AxisWindow {
  int64_t k = 1, s = 1, d = 1, begin = 0, end = 0;
  bool ceil_mode = false;
};

// Output length along one axis: floor((in + pads - ((k - 1) * d + 1)) / s) + 1, or with ceil
// in ceil_mode, where a last window starting in the end padding is dropped (as PyTorch does,
// and the ONNX spec from opset 19).
int64_t pooled_length(int64_t in, const AxisWindow& w) {
  const int64_t span = in + w.begin + w.end - ((w.k - 1) * w.d + 1);
  if (span < 0) {
    throw std::invalid_argument("the window (kernel " + std::to_string(w.k) + ", dilation " + std::to_string(w.d) +
                                ") is larger than the padded input (" + std::to_string(in) + ")");
  }
  int64_t out = (w.ceil_mode ? (span + w.s - 1) / w.s : span / w.s) + 1;
  if (w.ceil_mode && (out - 1) * w.s >= in + w.begin) --out;
  return out;
}

// F::pad's pads (last axis first) that pad only `axis` of a rank-`rank` tensor.
std::vector<int64_t> axis_pads(int64_t rank, int64_t axis, int64_t begin, int64_t end) {
  std::vector<int64_t> p(static_cast<size_t>(2 * (rank - axis)), 0);
  p[p.size() - 2] = begin;
  p[p.size() - 1] = end;
  return p;
}

// Pools both spatial axes of v [N, C, H, W] (dilation 1) with the 2-D kernels. Pads they take
// (symmetric, at most half the kernel) go to them. Others are applied first, -inf for max and
// zeros for average, whose sums are divided by the pooled count of real cells unless
// count_include_pad; the result is then cut to the true output size (ceil_mode can give the
// padded input one window more).
Tensor pool2d(const Tensor& v, const AxisWindow& h, const AxisWindow& w, bool is_max, bool count_include_pad) {
  const int64_t oh = pooled_length(v.size(2), h), ow = pooled_length(v.size(3), w);
  F::Pool2dOptions o;
  o.kernel_h = h.k, o.kernel_w = w.k, o.stride_h = h.s, o.stride_w = w.s;
  o.ceil_mode = h.ceil_mode;
  o.count_include_pad = count_include_pad;
  if (h.begin == h.end && w.begin == w.end && h.begin <= h.k / 2 && w.begin <= w.k / 2) {
    o.pad_h = h.begin, o.pad_w = w.begin;
    return is_max ? F::max_pool2d(v, o) : F::avg_pool2d(v, o);
  }
  const std::vector<int64_t> pads{w.begin, w.end, h.begin, h.end};
  auto cut = [&](const Tensor& y) { return y.narrow(2, 0, oh).narrow(3, 0, ow); };
  if (is_max) return cut(F::max_pool2d(F::pad(v, pads, kNegInf), o));
  const Tensor sums = F::avg_pool2d(F::pad(v, pads), o);
  if (count_include_pad) return cut(sums);
  const Tensor real = F::pad(ones({1, 1, v.size(2), v.size(3)}, v.device()), pads);
  return cut(div(sums, F::avg_pool2d(real, o)));  // (sum / k) / (count / k)
}

// Pools x along `axis` only (dilation 1): x is viewed as [before, 1, L, after] and pooled
// with a (k, 1) window.
Tensor pool_axis(const Tensor& x, int64_t axis, const AxisWindow& w, bool is_max, bool count_include_pad) {
  Shape s = x.shape();
  const auto a = static_cast<size_t>(axis);
  const int64_t before = numel_of(Shape(s.begin(), s.begin() + axis)),
                after = numel_of(Shape(s.begin() + axis + 1, s.end()));
  AxisWindow one;
  one.ceil_mode = w.ceil_mode;
  const Tensor y = pool2d(x.reshape({before, 1, s[a], after}), w, one, is_max, count_include_pad);
  s[a] = y.size(2);
  return y.reshape(s);
}

// Max over a dilated window along `axis`: -inf pads so that every window lies inside, then
// the maximum of the k strided slices holding each window's j-th element.
Tensor dilated_max_axis(const Tensor& x, int64_t axis, const AxisWindow& w) {
  const int64_t in = x.size(axis), out = pooled_length(in, w);
  const int64_t reach = (out - 1) * w.s + (w.k - 1) * w.d + 1;  // padded length the windows use
  const Tensor xp = F::pad(x, axis_pads(x.dim(), axis, w.begin, std::max<int64_t>(0, reach - in - w.begin)), kNegInf);
  Tensor y;
  for (int64_t j = 0; j < w.k; ++j) {
    const Tensor part = xp.slice(axis, j * w.d, j * w.d + (out - 1) * w.s + 1, w.s);
    y = j == 0 ? part : maximum(y, part);
  }
  return y;
}

// MaxPool / AveragePool on X [N, C, D1, ..., Dn]. Pads come from auto_pad and the input's
// size (ceil_mode is then moot: SAME pads give ceil(in / stride) outputs and VALID ones
// floor's). 2-D without dilation goes to the 2-D kernels whole; any other case is pooled one
// axis at a time. That is exact: a max over a box is the max of per-axis maxima, and the count
// of real cells in a box is the product of the per-axis counts, so per-axis averages compose.
Tensor pool(const OpContext& c, bool is_max) {
  const Tensor x = c.tensor(0, true);
  if (x.dim() < 3) throw std::invalid_argument("input X must have rank >= 3, got shape " + shape_str(x.shape()));
  const auto rank = static_cast<size_t>(x.dim() - 2);
  const WindowAttrs a = pool_attrs(c.node).for_rank(rank);
  const std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end());
  const std::vector<int64_t> p = resolve_pads(a, in, a.kernel);
  std::vector<AxisWindow> w(rank);
  for (size_t d = 0; d < rank; ++d) {
    w[d] = {a.kernel[d], a.strides[d], a.dilations[d], p[d], p[d + rank], a.auto_pad == AutoPad::notset && a.ceil_mode};
  }
  const bool dilated = std::any_of(w.begin(), w.end(), [](const AxisWindow& v) { return v.d != 1; });
  if (rank == 2 && !dilated) return pool2d(x, w[0], w[1], is_max, a.count_include_pad);
  Tensor y = x;
  for (size_t d = 0; d < rank; ++d) {
    const auto axis = static_cast<int64_t>(d + 2);
    y = w[d].d != 1 ? dilated_max_axis(y, axis, w[d]) : pool_axis(y, axis, w[d], is_max, a.count_include_pad);
  }
  return y;
}

// The spatial axes 2, 3, ... of X, which must have rank >= 3.
std::vector<int64_t> spatial_axes(const Tensor& x) {
  if (x.dim() < 3) throw std::invalid_argument("input X must have rank >= 3, got shape " + shape_str(x.shape()));
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d);
  return axes;
}

Value global_average_pool(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  const auto axes = spatial_axes(x);
  if (x.dim() == 4) return F::adaptive_avg_pool2d(x, 1, 1);
  return mean(x, axes, true);
}

Value global_max_pool(const OpContext& c) {
  const Tensor x = c.tensor(0, true);
  return amax(x, spatial_axes(x), true);
}

}  // namespace

void add_pool_ops(std::map<std::string, OpFn>& t) {
  t["MaxPool"] = [](const OpContext& c) -> Value { return pool(c, true); };
  t["AveragePool"] = [](const OpContext& c) -> Value { return pool(c, false); };
  t["GlobalAveragePool"] = global_average_pool;
  t["GlobalMaxPool"] = global_max_pool;
}

}  // namespace cyclone::nn::onnx
