// conv2d: checks the inputs, runs the convolution of tensor/dispatch_nn.h (one
// path for every device; each backend brings its own algorithm) and records
// the backward, which takes x (not saved columns) on every device.
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::nn::functional {
namespace {

void check_conv_inputs(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  if (x.dim() != 4) {
    throw std::invalid_argument("conv2d: expected input [N, C, H, W], got " + shape_str(x.shape()));
  }
  if (w.dim() != 4) throw std::invalid_argument("conv2d: expected weight [K, C/groups, kh, kw], got " + shape_str(w.shape()));
  if (o.groups < 1 || x.size(1) % o.groups != 0 || w.size(0) % o.groups != 0) {
    throw std::invalid_argument("conv2d: groups=" + std::to_string(o.groups) + " must divide input channels " +
                                std::to_string(x.size(1)) + " and output channels " + std::to_string(w.size(0)));
  }
  if (w.size(1) * o.groups != x.size(1)) {
    throw std::invalid_argument("conv2d: weight " + shape_str(w.shape()) + " expects " +
                                std::to_string(w.size(1) * o.groups) + " input channels, got input " +
                                shape_str(x.shape()));
  }
  if (b.defined() && (b.dim() != 1 || b.size(0) != w.size(0))) {
    throw std::invalid_argument("conv2d: bias must be [" + std::to_string(w.size(0)) + "], got " + shape_str(b.shape()));
  }
  if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1 || o.pad_h < 0 || o.pad_w < 0) {
    throw std::invalid_argument("conv2d: stride and dilation must be >= 1 and padding >= 0");
  }
  dispatch::common_device({x, w, b}, "conv2d");
}

dispatch::ConvShape shape_of(const Tensor& x, const Tensor& w, const Conv2dOptions& o) {
  dispatch::ConvShape s;
  dispatch::ConvGeometry& g = s.g;
  g.n = x.size(0); g.c = x.size(1); g.h = x.size(2); g.w = x.size(3);
  g.kh = w.size(2); g.kw = w.size(3);
  g.sh = o.stride_h; g.sw = o.stride_w; g.ph = o.pad_h; g.pw = o.pad_w; g.dh = o.dilation_h; g.dw = o.dilation_w;
  s.k = w.size(0);
  s.groups = o.groups;
  return s;
}

}  // namespace

Tensor conv2d(const Tensor& x0, const Tensor& w0, const Tensor& bias, const Conv2dOptions& o) {
  check_conv_inputs(x0, w0, bias, o);
  const Tensor x = x0.contiguous().detach(), w = w0.contiguous().detach();
  const dispatch::ConvShape s = shape_of(x, w, o);
  if (s.g.out_h() <= 0 || s.g.out_w() <= 0) {
    throw std::invalid_argument("conv2d: input " + shape_str(x.shape()) + " is too small for kernel " +
                                std::to_string(s.g.kh) + "x" + std::to_string(s.g.kw) + " with this padding/dilation");
  }
  Tensor out = dispatch::conv2d_forward(x, w, s);
  if (bias.defined()) {
    NoGradGuard no_grad;
    out = add(out, bias.view({1, s.k, 1, 1}));
  }
  // y = conv(x, w) + b, linear in each of x and w:
  //   dx = conv(x, w)'s adjoint in x applied to dy (a transposed convolution of dy with w)
  //   dw[o][ch][i][j] = sum over b, oy, ox of dy[b][o][oy][ox] * x[b][ch][oy*sh - ph + i*dh][ox*sw - pw + j*dw]
  //   db[o] = sum of dy over N, Ho, Wo
  const bool has_bias = bias.defined();
  const bool need_x = x0.requires_grad(), need_w = w0.requires_grad();
  return record("Conv2dBackward", {x0, w0, bias}, out, [s, x, w, has_bias, need_x, need_w](const Tensor& dy) {
    const Tensor dw = need_w ? dispatch::conv2d_backward_weight(x, dy, s) : Tensor();
    const Tensor dx = need_x ? dispatch::conv2d_backward_input(dy, w, s) : Tensor();
    const Tensor db = has_bias ? sum(dy, {0, 2, 3}) : Tensor();
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace cyclone::nn::functional
