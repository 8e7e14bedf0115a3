// batch_norm and the pooling ops with their backwards.
//   batch norm, training: xhat = (x - mean) * invstd, y = w xhat + b
//     dx = w invstd (dy - mean(dy) - xhat mean(dy xhat)),  dw = sum dy xhat,  db = sum dy
//   max pool: dx gets dy at each window's argmax; avg pool: dy / divisor spread over the window.
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "kernels/nn_contract.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"

namespace cyclone::nn::functional {
namespace {
const float* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }
}  // namespace

Tensor batch_norm(const Tensor& x0, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps, bool fuse_relu) {
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
  dispatch::common_device({x0, running_mean, running_var, weight, bias}, "batch_norm");
  const Tensor x = x0.contiguous().detach();
  const Device dev = x.device();
  Tensor mean = empty({c}, TensorOptions().on(dev)), invstd = empty({c}, TensorOptions().on(dev));
  Tensor y = empty(x.shape(), TensorOptions().on(dev));
  {
    NoGradGuard no_grad;
    if (use_batch_stats) {
      CYCLONE_CALL(dev, batch_norm_stats, x.data<float>(), n, c, s, eps, mean.data<float>(), invstd.data<float>());
      if (training && running_mean.defined()) {
        // running = (1 - m) running + m stat, with the unbiased variance var * M / (M - 1).
        const double m = static_cast<double>(n * s);
        const Tensor var = sub(rdiv(1.0, square(invstd)), full({}, eps, dev));
        running_mean.copy_(add(mul(running_mean, 1.0 - momentum), mul(mean, momentum)));
        running_var.copy_(add(mul(running_var, 1.0 - momentum), mul(var, momentum * m / (m - 1.0))));
      }
    } else {
      mean.copy_(running_mean);
      invstd.copy_(rdiv(1.0, sqrt(add(running_var, eps))));
    }
    const Tensor w = weight.defined() ? weight.contiguous().detach() : Tensor();
    const Tensor b = bias.defined() ? bias.contiguous().detach() : Tensor();
    CYCLONE_CALL(dev, batch_norm_apply, x.data<float>(), n, c, s, mean.data<float>(), invstd.data<float>(),
                 ptr_or_null(w), ptr_or_null(b), fuse_relu, y.data<float>());
  }
  const Tensor w = weight.defined() ? weight.contiguous().detach() : Tensor();
  return record("BatchNormBackward", {x0, weight, bias}, y,
                [x, w, mean, invstd, n, c, s, use_batch_stats, fuse_relu, y = y.detach(),
                 has_w = weight.defined(), has_b = bias.defined()](const Tensor& dy0) {
                  Tensor dy = dy0.contiguous();
                  if (fuse_relu) dy = dispatch::binary(dispatch::BinaryOp::ReluBackward, dy, y);
                  const Device d = dy.device();
                  Tensor sum_dy = empty({c}, TensorOptions().on(d)), sum_dy_xhat = empty({c}, TensorOptions().on(d));
                  CYCLONE_CALL(d, batch_norm_backward_reduce, dy.data<float>(), x.data<float>(), n, c, s,
                               mean.data<float>(), invstd.data<float>(), sum_dy.data<float>(), sum_dy_xhat.data<float>());
                  Tensor dx = empty(x.shape(), TensorOptions().on(d));
                  CYCLONE_CALL(d, batch_norm_backward_input, dy.data<float>(), x.data<float>(), n, c, s,
                               mean.data<float>(), invstd.data<float>(), has_w ? w.data<float>() : nullptr,
                               use_batch_stats ? sum_dy.data<float>() : nullptr,
                               use_batch_stats ? sum_dy_xhat.data<float>() : nullptr, dx.data<float>());
                  return std::vector<Tensor>{dx, has_w ? sum_dy_xhat : Tensor(), has_b ? sum_dy : Tensor()};
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

kernels::PoolGeometry pool_geometry(const Tensor& x, const Pool2dOptions& o, const char* op) {
  if (x.dim() != 4) throw std::invalid_argument(std::string(op) + ": expected input [N, C, H, W], got " + shape_str(x.shape()));
  if (o.kernel_h < 1 || o.kernel_w < 1 || o.stride_h < 1 || o.stride_w < 1) {
    throw std::invalid_argument(std::string(op) + ": kernel and stride must be >= 1");
  }
  if (o.pad_h < 0 || o.pad_w < 0 || o.pad_h > o.kernel_h / 2 || o.pad_w > o.kernel_w / 2) {
    throw std::invalid_argument(std::string(op) + ": padding must be between 0 and half the kernel size");
  }
  kernels::PoolGeometry g;
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
  const kernels::PoolGeometry g = pool_geometry(x0, o, "max_pool2d");
  const Tensor x = x0.contiguous().detach();
  Tensor y = empty({g.n, g.c, g.oh, g.ow}, TensorOptions().on(x.device()));
  Tensor idx = empty({g.n, g.c, g.oh, g.ow}, TensorOptions(DType::i64).on(x.device()));
  CYCLONE_CALL(x.device(), max_pool2d_forward, x.data<float>(), g, y.data<float>(), idx.data<int64_t>());
  // d/dx: dy routed to the argmax of each window.
  return record("MaxPool2dBackward", {x0}, y, [g, idx](const Tensor& dy0) {
    const Tensor dy = dy0.contiguous();
    Tensor dx = empty({g.n, g.c, g.h, g.w}, TensorOptions().on(dy.device()));
    CYCLONE_CALL(dy.device(), max_pool2d_backward, dy.data<float>(), idx.data<int64_t>(), g, dx.data<float>());
    return std::vector<Tensor>{dx};
  });
}

Tensor avg_pool2d(const Tensor& x0, const Pool2dOptions& o) {
  const kernels::PoolGeometry g = pool_geometry(x0, o, "avg_pool2d");
  const Tensor x = x0.contiguous().detach();
  Tensor y = empty({g.n, g.c, g.oh, g.ow}, TensorOptions().on(x.device()));
  const bool cip = o.count_include_pad;
  CYCLONE_CALL(x.device(), avg_pool2d_forward, x.data<float>(), g, cip, y.data<float>());
  // d/dx: each window's dy / divisor, added to every element of the window.
  return record("AvgPool2dBackward", {x0}, y, [g, cip](const Tensor& dy0) {
    const Tensor dy = dy0.contiguous();
    Tensor dx = empty({g.n, g.c, g.h, g.w}, TensorOptions().on(dy.device()));
    CYCLONE_CALL(dy.device(), avg_pool2d_backward, dy.data<float>(), g, cip, dx.data<float>());
    return std::vector<Tensor>{dx};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x0, int64_t out_h, int64_t out_w) {
  if (x0.dim() != 4) {
    throw std::invalid_argument("adaptive_avg_pool2d: expected input [N, C, H, W], got " + shape_str(x0.shape()));
  }
  if (out_h < 1 || out_w < 1) throw std::invalid_argument("adaptive_avg_pool2d: output size must be >= 1");
  const Tensor x = x0.contiguous().detach();
  kernels::PoolGeometry g;
  g.n = x.size(0); g.c = x.size(1); g.h = x.size(2); g.w = x.size(3); g.oh = out_h; g.ow = out_w;
  Tensor y = empty({g.n, g.c, out_h, out_w}, TensorOptions().on(x.device()));
  CYCLONE_CALL(x.device(), adaptive_avg_pool2d_forward, x.data<float>(), g, y.data<float>());
  return record("AdaptiveAvgPool2dBackward", {x0}, y, [g](const Tensor& dy0) {
    const Tensor dy = dy0.contiguous();
    Tensor dx = empty({g.n, g.c, g.h, g.w}, TensorOptions().on(dy.device()));
    CYCLONE_CALL(dy.device(), adaptive_avg_pool2d_backward, dy.data<float>(), g, dx.data<float>());
    return std::vector<Tensor>{dx};
  });
}

}  // namespace cyclone::nn::functional
