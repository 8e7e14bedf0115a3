// batch_norm and the pooling ops: each checks its inputs, runs the raw op of
// tensor/dispatch_nn.h and records its backward, the derivative written beside it.
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::nn::functional {

Tensor batch_norm(const Tensor& x0, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps, bool fuse_relu,
                  const Tensor& residual) {
  if (x0.dim() < 2 || x0.dim() > 4) {
    throw std::invalid_argument("batch_norm: expected input [N, C], [N, C, L] or [N, C, H, W], got " +
                                shape_str(x0.shape()));
  }
  const int64_t n = x0.size(0), c = x0.size(1), s = x0.numel() / std::max<int64_t>(1, n * c);
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias}) {
    if (t->defined() && (t->dim() != 1 || t->size(0) != c)) {
      throw std::invalid_argument("batch_norm: per-channel tensors must be [" + std::to_string(c) + "], got " +
                                  shape_str(t->shape()) + " for input " + shape_str(x0.shape()));
    }
  }
  const bool use_batch_stats = training || !running_mean.defined();
  if (use_batch_stats && n * s <= 1) {
    throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got input " +
                                shape_str(x0.shape()));
  }
  if (residual.defined() && residual.shape() != x0.shape()) {
    throw std::invalid_argument("batch_norm: the residual " + shape_str(residual.shape()) +
                                " must have the input's shape " + shape_str(x0.shape()));
  }
  dispatch::common_device({x0, running_mean, running_var, weight, bias, residual}, "batch_norm");
  const Tensor x = x0.contiguous().detach();
  const Tensor w = weight.defined() ? weight.contiguous().detach() : Tensor();
  const Tensor b = bias.defined() ? bias.contiguous().detach() : Tensor();
  const Device dev = x.device();
  dispatch::BatchStats st;
  Tensor y;
  {
    NoGradGuard no_grad;
    if (use_batch_stats) {
      st = dispatch::batch_norm_stats(x, eps);
      if (training && running_mean.defined()) {
        // running = (1 - m) running + m stat, with the unbiased variance var * M / (M - 1).
        const double m = static_cast<double>(n * s);
        const Tensor var = sub(rdiv(1.0, square(st.invstd)), full({}, eps, dev));
        running_mean.copy_(add(mul(running_mean, 1.0 - momentum), mul(st.mean, momentum)));
        running_var.copy_(add(mul(running_var, 1.0 - momentum), mul(var, momentum * m / (m - 1.0))));
      }
    } else {
      st.mean = empty({c}, TensorOptions().on(dev));
      st.invstd = empty({c}, TensorOptions().on(dev));
      st.mean.copy_(running_mean);
      st.invstd.copy_(rdiv(1.0, sqrt(add(running_var, eps))));
    }
    const Tensor r = residual.defined() ? residual.detach() : Tensor();
    y = dispatch::batch_norm_apply(x, st.mean, st.invstd, w, b, fuse_relu, r);
  }
  // With xhat = (x - mean) invstd and M = N*S values per channel:
  //   training: dx = w invstd (dy - sum(dy)/M - xhat sum(dy xhat)/M)   (mean and invstd depend on x)
  //   eval:     dx = w invstd dy
  //   dw = sum(dy xhat),  db = sum(dy)
  // With fuse_relu, dy is first masked by y > 0; d residual = that masked dy.
  return record("BatchNormBackward", {x0, weight, bias, residual}, y,
                [x, w, st, use_batch_stats, fuse_relu, y = y.detach(), has_w = weight.defined(),
                 has_b = bias.defined(), has_r = residual.defined()](const Tensor& dy0) {
                  Tensor dy = dy0.contiguous();
                  if (fuse_relu) dy = dispatch::binary(dispatch::BinaryOp::ReluBackward, dy, y);
                  const dispatch::BatchNormSums sums = dispatch::batch_norm_backward_reduce(dy, x, st.mean, st.invstd);
                  const Tensor dx = dispatch::batch_norm_backward_input(
                      dy, x, st.mean, st.invstd, w, use_batch_stats ? sums : dispatch::BatchNormSums{});
                  return std::vector<Tensor>{dx, has_w ? sums.sum_dy_xhat : Tensor(), has_b ? sums.sum_dy : Tensor(),
                                             has_r ? dy : Tensor()};
                });
}

namespace {

int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  const int64_t span = in + 2 * p - k;
  if (span < 0) return 0;  // the window does not fit (C++ division would round toward zero)
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;  // the last window must start inside the input or left pad
  return out;
}

dispatch::PoolGeometry pool_geometry(const Tensor& x, const Pool2dOptions& o, const char* op) {
  if (x.dim() != 4) throw std::invalid_argument(std::string(op) + ": expected input [N, C, H, W], got " + shape_str(x.shape()));
  if (o.kernel_h < 1 || o.kernel_w < 1 || o.stride_h < 1 || o.stride_w < 1) {
    throw std::invalid_argument(std::string(op) + ": kernel and stride must be >= 1");
  }
  if (o.pad_h < 0 || o.pad_w < 0 || o.pad_h > o.kernel_h / 2 || o.pad_w > o.kernel_w / 2) {
    throw std::invalid_argument(std::string(op) + ": padding must be between 0 and half the kernel size");
  }
  dispatch::PoolGeometry g;
  g.n = x.size(0); g.c = x.size(1); g.h = x.size(2); g.w = x.size(3);
  g.kh = o.kernel_h; g.kw = o.kernel_w; g.sh = o.stride_h; g.sw = o.stride_w; g.ph = o.pad_h; g.pw = o.pad_w;
  g.oh = pool_out(g.h, g.kh, g.sh, g.ph, o.ceil_mode);
  g.ow = pool_out(g.w, g.kw, g.sw, g.pw, o.ceil_mode);
  if (g.oh <= 0 || g.ow <= 0) {
    throw std::invalid_argument(std::string(op) + ": input " + shape_str(x.shape()) + " is smaller than the kernel");
  }
  return g;
}

}  // namespace

Tensor max_pool2d(const Tensor& x0, const Pool2dOptions& o) {
  const dispatch::PoolGeometry g = pool_geometry(x0, o, "max_pool2d");
  const dispatch::MaxPoolResult r = dispatch::max_pool2d_forward(x0.detach(), g);
  // d/dx: dy routed to the argmax of each window.
  return record("MaxPool2dBackward", {x0}, r.y, [g, idx = r.indices](const Tensor& dy) {
    return std::vector<Tensor>{dispatch::max_pool2d_backward(dy, idx, g)};
  });
}

Tensor avg_pool2d(const Tensor& x0, const Pool2dOptions& o) {
  const dispatch::PoolGeometry g = pool_geometry(x0, o, "avg_pool2d");
  const bool cip = o.count_include_pad;
  const Tensor y = dispatch::avg_pool2d_forward(x0.detach(), g, cip);
  // d/dx: each window's dy / divisor, added to every element of the window.
  return record("AvgPool2dBackward", {x0}, y, [g, cip](const Tensor& dy) {
    return std::vector<Tensor>{dispatch::avg_pool2d_backward(dy, g, cip)};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x0, int64_t out_h, int64_t out_w) {
  if (x0.dim() != 4) {
    throw std::invalid_argument("adaptive_avg_pool2d: expected input [N, C, H, W], got " + shape_str(x0.shape()));
  }
  if (out_h < 1 || out_w < 1) throw std::invalid_argument("adaptive_avg_pool2d: output size must be >= 1");
  dispatch::PoolGeometry g;
  g.n = x0.size(0); g.c = x0.size(1); g.h = x0.size(2); g.w = x0.size(3); g.oh = out_h; g.ow = out_w;
  const Tensor y = dispatch::adaptive_avg_pool2d_forward(x0.detach(), g);
  // d/dx: each output's dy / (its window's size), added to every element of that window.
  return record("AdaptiveAvgPool2dBackward", {x0}, y, [g](const Tensor& dy) {
    return std::vector<Tensor>{dispatch::adaptive_avg_pool2d_backward(dy, g)};
  });
}

}  // namespace cyclone::nn::functional
