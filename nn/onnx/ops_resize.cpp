// ONNX Resize (opsets 10-17) and Upsample (7-9), nearest and linear: separable, one axis at a
// time. The source indices and weights of each output position are computed here on the host
// from the known sizes; the tensor work is a differentiable gather along the axis (and for
// linear, two gathers blended by constant weights).
#include <cmath>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {
namespace F = functional;

namespace {

// Where each output position of one axis reads: input lo[i] with weight 1 - w_hi[i], and input
// hi[i] with weight w_hi[i] (nearest: lo only).
struct AxisMap {
  std::vector<int64_t> lo, hi;
  std::vector<float> w_hi;
};

// The input coordinate of output x on an axis resized from `in` to `out` by `scale`, as the ONNX
// spec (and its reference implementation, whose output_width is scale * in) defines each mode.
double source_coord(ResizeCoord mode, int64_t x, int64_t in, int64_t out, double scale) {
  const double length = scale * static_cast<double>(in), xd = static_cast<double>(x);
  switch (mode) {
    case ResizeCoord::half_pixel:
      return (xd + 0.5) / scale - 0.5;
    case ResizeCoord::pytorch_half_pixel:
      return out > 1 ? (xd + 0.5) / scale - 0.5 : -0.5;  // clamps onto input 0
    case ResizeCoord::align_corners:
      return length == 1.0 ? 0.0 : xd * static_cast<double>(in - 1) / (length - 1.0);
    case ResizeCoord::asymmetric:
      return xd / scale;
    case ResizeCoord::tf_half_pixel_for_nearest:
      return (xd + 0.5) / scale;
  }
  return 0.0;
}

// The nearer of floor(c) and floor(c) + 1 by the rounding mode; legacy (Resize-10, Upsample)
// truncates when enlarging and rounds up when shrinking, as onnxruntime does.
int64_t nearest_index(NearestMode mode, double c, double scale) {
  const double lo = std::floor(c), frac = c - lo;
  if (frac == 0.0) return static_cast<int64_t>(lo);
  bool up = false;
  switch (mode) {
    case NearestMode::round_prefer_floor:
      up = frac > 0.5;
      break;
    case NearestMode::round_prefer_ceil:
      up = frac >= 0.5;
      break;
    case NearestMode::floor:
      up = false;
      break;
    case NearestMode::ceil:
      up = true;
      break;
    case NearestMode::legacy:
      up = scale < 1.0;
      break;
  }
  return static_cast<int64_t>(lo) + (up ? 1 : 0);
}

AxisMap axis_map(const ResizeAttrs& a, int64_t in, int64_t out, double scale) {
  AxisMap m;
  const auto clamp = [in](int64_t i) { return std::min(std::max<int64_t>(i, 0), in - 1); };
  for (int64_t x = 0; x < out; ++x) {
    const double c = source_coord(a.coord, x, in, out, scale);
    if (!a.linear) {
      m.lo.push_back(clamp(nearest_index(a.nearest, c, scale)));
      continue;
    }
    const double lo = std::floor(c);
    m.lo.push_back(clamp(static_cast<int64_t>(lo)));
    m.hi.push_back(clamp(static_cast<int64_t>(lo) + 1));
    m.w_hi.push_back(static_cast<float>(c - lo));
  }
  return m;
}

// y = x resized along `dim` by the map: a gather, or for linear the blend of two gathers,
// (1 - w) * x[lo] + w * x[hi], with w a constant broadcast along the other axes.
Tensor resize_axis(const Tensor& x, int64_t dim, const AxisMap& m) {
  const Tensor near = F::index_select(x, dim, m.lo);
  if (m.hi.empty() || m.hi == m.lo) return near;
  Shape wshape(static_cast<size_t>(x.dim()), 1);
  wshape[static_cast<size_t>(dim)] = static_cast<int64_t>(m.w_hi.size());
  std::vector<float> w_lo(m.w_hi.size());
  for (size_t i = 0; i < w_lo.size(); ++i) w_lo[i] = 1.0f - m.w_hi[i];
  const TensorOptions on = TensorOptions().on(x.device());
  return add(mul(near, from_vector(w_lo, wshape, on)),
             mul(F::index_select(x, dim, m.hi), from_vector(m.w_hi, wshape, on)));
}

// The values of a float input that must be known at import (scales): a constant, or an
// initializer's tensor.
std::vector<double> float_values(const OpContext& c, size_t i) {
  if (c.is_host(i)) {
    const HostArray& h = c.host(i);
    std::vector<double> v(h.numel());
    for (size_t k = 0; k < v.size(); ++k) v[k] = h.real(k);
    return v;
  }
  const std::vector<float> f = c.tensor(i, true).cpu().to_vector<float>();
  return {f.begin(), f.end()};
}

// Resizes x to `out` (one size per axis), each axis by its scale.
Tensor resize(const Tensor& x0, const ResizeAttrs& a, const std::vector<int64_t>& out,
              const std::vector<double>& scale) {
  Tensor x = x0;
  for (int64_t d = 0; d < x0.dim(); ++d) {
    const auto k = static_cast<size_t>(d);
    if (out[k] == x0.size(d) && scale[k] == 1.0) continue;  // every mode maps x to x
    if (out[k] < 1 || x0.size(d) < 1) {
      throw std::invalid_argument("cannot resize axis " + std::to_string(d) + " of " + shape_str(x0.shape()) + " to " +
                                  std::to_string(out[k]));
    }
    x = resize_axis(x, d, axis_map(a, x0.size(d), out[k], scale[k]));
  }
  return x;
}

// From scales (output size floor(in * scale)) or from sizes (scale = size / in).
Tensor resize_by(const OpContext& c, const ResizeAttrs& a, const std::vector<double>& scales,
                 const std::vector<int64_t>& sizes) {
  const Tensor x = c.tensor(0, true);
  const auto rank = static_cast<size_t>(x.dim());
  if ((scales.empty() ? sizes.size() : scales.size()) != rank) {
    throw std::invalid_argument("scales or sizes must have one value per axis of input " + shape_str(x.shape()));
  }
  std::vector<int64_t> out(rank);
  std::vector<double> scale(rank);
  for (size_t d = 0; d < rank; ++d) {
    const auto in = static_cast<double>(x.size(static_cast<int64_t>(d)));
    if (scales.empty()) {
      out[d] = sizes[d], scale[d] = static_cast<double>(sizes[d]) / in;
    } else {
      if (!(scales[d] > 0)) throw std::invalid_argument("scales must be positive");
      scale[d] = scales[d], out[d] = static_cast<int64_t>(std::floor(in * scales[d]));
    }
  }
  return resize(x, a, out, scale);
}

bool present(const OpContext& c, size_t i) {
  if (!c.has(i)) return false;
  if (c.is_host(i)) return c.host(i).numel() > 0;
  return std::get<Tensor>(*c.inputs[i]).numel() > 0;
}

// Resize-11 on: X, roi, scales, sizes (exactly one of scales and sizes); Resize-10: X, scales.
Value resize_op(const OpContext& c) {
  const ResizeAttrs a = resize_attrs(c.node, c.opset);
  if (c.opset < 11) return resize_by(c, a, float_values(c, 1), {});
  const bool by_scales = present(c, 2), by_sizes = present(c, 3);
  if (by_scales == by_sizes) throw std::invalid_argument("exactly one of scales and sizes must be given");
  return by_scales ? resize_by(c, a, float_values(c, 2), {}) : resize_by(c, a, {}, c.ints(3));
}

// Upsample-7: the scales attribute; Upsample-9: the scales input.
Value upsample_op(const OpContext& c) {
  const ResizeAttrs a = resize_attrs(c.node, c.opset);
  const std::vector<double> scales =
      c.opset < 9 ? std::vector<double>(a.scales.begin(), a.scales.end()) : float_values(c, 1);
  return resize_by(c, a, scales, {});
}

}  // namespace

void add_resize_ops(std::map<std::string, OpFn>& t) {
  t["Resize"] = resize_op;
  t["Upsample"] = upsample_op;
}

}  // namespace cyclone::nn::onnx
