// ONNX ConvTranspose, 1-D and 2-D (1-D as 2-D with a height of 1), on F::conv_transpose2d.
// Pads may be asymmetric or negative (from output_shape or auto_pad): the transposed convolution
// runs with the symmetric part, and the result is then cropped or zero-extended to the rest.
#include <algorithm>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {
namespace F = functional;

namespace {

int64_t floor_div2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

// One attribute list for `r` spatial axes (`per` values each), `fallback` for each when absent.
std::vector<int64_t> per_axis(std::vector<int64_t> v, size_t r, int64_t fallback, const std::string& name,
                              size_t per = 1) {
  if (v.empty()) v.assign(r * per, fallback);
  if (v.size() != r * per) {
    throw std::invalid_argument("attribute '" + name + "' has " + std::to_string(v.size()) + " values for a " +
                                std::to_string(r) + "-D input");
  }
  return v;
}

// The geometry of one spatial axis: input size, kernel, stride, dilation, output padding and the
// begin/end pads (negative = extend), from the spec's
//   out = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin - pad_end.
struct Axis {
  int64_t in, k, s, d, op, begin, end;
  int64_t full() const { return s * (in - 1) + (k - 1) * d + 1; }  // with no padding of either kind
  int64_t out() const { return full() + op - begin - end; }
};

std::vector<Axis> axes_of(const ConvTransposeAttrs& a, const Tensor& x, const Tensor& w) {
  const size_t r = static_cast<size_t>(x.dim()) - 2;
  const auto strides = per_axis(a.strides, r, 1, "strides"), dil = per_axis(a.dilations, r, 1, "dilations");
  const auto outpad = per_axis(a.output_padding, r, 0, "output_padding");
  const auto pads = per_axis(a.pads, r, 0, "pads", 2);
  std::vector<Axis> axes;
  for (size_t i = 0; i < r; ++i) {
    const auto dim = static_cast<int64_t>(i) + 2;
    if (!a.kernel.empty() && per_axis(a.kernel, r, 1, "kernel_shape")[i] != w.size(dim)) {
      throw std::invalid_argument("kernel_shape does not match weight " + shape_str(w.shape()));
    }
    Axis ax{x.size(dim), w.size(dim), strides[i], dil[i], outpad[i], pads[i], pads[i + r]};
    // output_shape and SAME_* fix the output size; the total padding follows, its odd unit at
    // the end for SAME_UPPER and at the beginning otherwise (the spec's formula).
    int64_t want = -1;
    if (!a.output_shape.empty())
      want = per_axis(a.output_shape, r, 1, "output_shape")[i];
    else if (a.auto_pad == AutoPad::same_upper || a.auto_pad == AutoPad::same_lower)
      want = ax.in * ax.s;
    else if (a.auto_pad == AutoPad::valid)
      ax.begin = ax.end = 0;
    if (want >= 0) {
      const int64_t total = ax.full() + ax.op - want;
      const int64_t half = floor_div2(total);
      ax.begin = a.auto_pad == AutoPad::same_upper ? half : total - half;
      ax.end = total - ax.begin;
    }
    if (ax.out() < 1) throw std::invalid_argument("the output would be empty along spatial axis " + std::to_string(i));
    axes.push_back(ax);
  }
  return axes;
}

Value conv_transpose(const OpContext& c) {
  const ConvTransposeAttrs a = conv_transpose_attrs(c.node);
  Tensor x = c.tensor(0, true), w = c.tensor(1, true);
  const Tensor b = c.has(2) ? c.tensor(2, true) : Tensor();
  if ((x.dim() != 3 && x.dim() != 4) || w.dim() != x.dim()) {
    throw std::invalid_argument("input " + shape_str(x.shape()) + " and weight " + shape_str(w.shape()) +
                                " must both have rank 3 or both rank 4 (1-D or 2-D)");
  }
  if (x.size(1) != w.size(0) || x.size(1) % a.group != 0) {
    throw std::invalid_argument("input " + shape_str(x.shape()) + ", weight " + shape_str(w.shape()) + " and group " +
                                std::to_string(a.group) + " do not fit together");
  }
  std::vector<Axis> axes = axes_of(a, x, w);
  const bool one_d = x.dim() == 3;
  if (one_d) {
    x = x.unsqueeze(2), w = w.unsqueeze(2);
    axes.insert(axes.begin(), Axis{1, 1, 1, 1, 0, 0, 0});
  }
  // Run with pad p = the symmetric part; output position i then reads the result at
  // i + begin - p, which may lie before it (negative begin) or past its end: zeros there.
  F::ConvTranspose2dOptions o;
  o.groups = a.group;
  std::vector<int64_t> start(2), tail(2), got(2);  // got: the result's length
  for (size_t i = 0; i < 2; ++i) {
    Axis& ax = axes[i];
    // (With output_padding >= stride, allowed when the dilation is larger, the kernel cannot make
    // the padding's far end; then p = 0, so that what lies past the result is truly zero.)
    const int64_t p = ax.op >= ax.s ? 0 : std::max<int64_t>(0, std::min(ax.begin, ax.end));
    const int64_t made = ax.full() - 2 * p;
    start[i] = ax.begin - p;
    const int64_t need = start[i] + ax.out() - made;  // positions wanted past the result's end
    const int64_t op = std::clamp<int64_t>(need, 0, ax.s - 1);
    tail[i] = std::max<int64_t>(0, need - op);
    got[i] = made + op;
    (i == 0 ? o.stride_h : o.stride_w) = ax.s;
    (i == 0 ? o.dilation_h : o.dilation_w) = ax.d;
    (i == 0 ? o.pad_h : o.pad_w) = p;
    (i == 0 ? o.output_pad_h : o.output_pad_w) = op;
  }
  const std::vector<int64_t> none{0, 0}, out{axes[0].out(), axes[1].out()};
  const bool exact = start == none && tail == none && got == out;
  Tensor y = F::conv_transpose2d(x, w, exact ? b : Tensor(), o);
  if (!exact) {
    // F.pad order: (w_lo, w_hi, h_lo, h_hi).
    y = F::pad(y, {std::max<int64_t>(0, -start[1]), tail[1], std::max<int64_t>(0, -start[0]), tail[0]});
    y = y.slice(2, std::max<int64_t>(0, start[0]), std::max<int64_t>(0, start[0]) + axes[0].out())
            .slice(3, std::max<int64_t>(0, start[1]), std::max<int64_t>(0, start[1]) + axes[1].out());
    if (b.defined()) y = add(y, b.view({1, b.size(0), 1, 1}));
  }
  return one_d ? y.squeeze(2) : y;
}

}  // namespace

void add_conv_transpose_ops(std::map<std::string, OpFn>& t) { t["ConvTranspose"] = conv_transpose; }

}  // namespace cyclone::nn::onnx
