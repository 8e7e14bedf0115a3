// conv_transpose2d on the convolution kernels of tensor/dispatch_nn.h: the transposed
// convolution is the convolution's input gradient, so it runs on the same three passes.
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::nn::functional {
namespace {

void check_inputs(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTranspose2dOptions& o) {
  if (x.dim() != 4)
    throw std::invalid_argument("conv_transpose2d: expected input [N, C, H, W], got " + shape_str(x.shape()));
  if (w.dim() != 4) {
    throw std::invalid_argument("conv_transpose2d: expected weight [C, K/groups, kh, kw], got " + shape_str(w.shape()));
  }
  if (o.groups < 1 || w.size(0) != x.size(1) || x.size(1) % o.groups != 0) {
    throw std::invalid_argument("conv_transpose2d: weight " + shape_str(w.shape()) + " and groups=" +
                                std::to_string(o.groups) + " do not fit input " + shape_str(x.shape()));
  }
  const int64_t k = w.size(1) * o.groups;
  if (b.defined() && (b.dim() != 1 || b.size(0) != k)) {
    throw std::invalid_argument("conv_transpose2d: bias must be [" + std::to_string(k) + "], got " +
                                shape_str(b.shape()));
  }
  if (o.stride_h < 1 || o.stride_w < 1 || o.dilation_h < 1 || o.dilation_w < 1 || o.pad_h < 0 || o.pad_w < 0) {
    throw std::invalid_argument("conv_transpose2d: stride and dilation must be >= 1 and padding >= 0");
  }
  if (o.output_pad_h < 0 || o.output_pad_w < 0 || o.output_pad_h >= o.stride_h || o.output_pad_w >= o.stride_w) {
    throw std::invalid_argument("conv_transpose2d: output padding must be >= 0 and smaller than the stride");
  }
  dispatch::common_device({x, w, b}, "conv_transpose2d");
}

// The convolution whose input gradient this transposed convolution is: its input is our
// output [N, K, Ho, Wo], its output our input [N, C, H, W], its weight ours.
dispatch::ConvShape adjoint_conv(const Tensor& x, const Tensor& w, const ConvTranspose2dOptions& o) {
  dispatch::ConvShape s;
  dispatch::ConvGeometry& g = s.g;
  g.kh = w.size(2), g.kw = w.size(3);
  g.sh = o.stride_h, g.sw = o.stride_w, g.ph = o.pad_h, g.pw = o.pad_w, g.dh = o.dilation_h, g.dw = o.dilation_w;
  g.n = x.size(0);
  g.c = w.size(1) * o.groups;
  g.h = (x.size(2) - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + o.output_pad_h + 1;
  g.w = (x.size(3) - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + o.output_pad_w + 1;
  s.k = x.size(1);
  s.groups = o.groups;
  return s;
}

}  // namespace

Tensor conv_transpose2d(const Tensor& x0, const Tensor& w0, const Tensor& bias, const ConvTranspose2dOptions& o) {
  check_inputs(x0, w0, bias, o);
  const Tensor x = x0.contiguous().detach(), w = w0.contiguous().detach();
  const dispatch::ConvShape s = adjoint_conv(x, w, o);
  if (s.g.h <= 0 || s.g.w <= 0 || s.g.out_h() != x.size(2) || s.g.out_w() != x.size(3)) {
    throw std::invalid_argument("conv_transpose2d: input " + shape_str(x.shape()) + " with kernel " +
                                std::to_string(s.g.kh) + "x" + std::to_string(s.g.kw) +
                                " and this padding gives no output");
  }
  // With C(u, w) = conv2d(u, w) and its adjoints in u and w, C_u* and C_w*:
  //   y  = C_u*(x, w)                     (the transposed convolution)
  //   dx = C(dy, w)                       (C_u* is linear in x; its adjoint is C)
  //   dw = C_w*(dy, x): <C_u*(x, w), dy> = <x, C(dy, w)>, so dw is conv2d's weight
  //        gradient with dy as the convolution's input and x as its output gradient
  //   db[k] = sum of dy over N, Ho, Wo
  Tensor out = dispatch::conv2d_backward_input(x, w, s);
  if (bias.defined()) {
    NoGradGuard no_grad;
    out = add(out, bias.view({1, s.g.c, 1, 1}));
  }
  const bool has_bias = bias.defined(), need_x = x0.requires_grad(), need_w = w0.requires_grad();
  return record("ConvTranspose2dBackward", {x0, w0, bias}, out, [s, x, w, has_bias, need_x, need_w](const Tensor& dy) {
    const Tensor dx = need_x ? dispatch::conv2d_forward(dy, w, s) : Tensor();
    const Tensor dw = need_w ? dispatch::conv2d_backward_weight(dy, x, s) : Tensor();
    const Tensor db = has_bias ? sum(dy, {0, 2, 3}) : Tensor();
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace cyclone::nn::functional
