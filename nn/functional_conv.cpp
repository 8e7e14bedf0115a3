// conv2d as im2col + one batched GEMM over the groups (the whole batch at
// once: cols is [C*kh*kw, N*Ho*Wo]), and its backward:
//   out_g  = W_g   @ cols_g          [K/g, P],  P = N*Ho*Wo
//   dW_g   = dout_g @ cols_g^T
//   dcols_g = W_g^T @ dout_g,  dx = col2im(dcols)
//   dbias  = sum of dout over N, H, W
// 1x1 stride-1 unpadded convs skip im2col: cols is x with C moved first.
// That is the CUDA strategy. On the CPU, kernels/cpu/conv.h does the same
// products one image at a time, so the columns stay in cache and the backward
// recomputes them from x instead of keeping them alive.
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "kernels/cpu/conv.h"
#include "kernels/nn_contract.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"

namespace cyclone::nn::functional {
namespace {

using kernels::ConvGeometry;

bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// [C*kh*kw, N*Ho*Wo] columns of x.
Tensor make_cols(const Tensor& x, const ConvGeometry& g) {
  if (is_pointwise(g)) return x.permute({1, 0, 2, 3}).contiguous().view({g.c, -1});
  Tensor cols = empty({g.c * g.kh * g.kw, g.n * g.out_h() * g.out_w()}, TensorOptions().on(x.device()));
  CYCLONE_CALL(x.device(), im2col, x.data<float>(), g, cols.data<float>());
  return cols;
}

// C[b] = op(A[b]) @ op(B[b]) over b < groups, each operand a dense block of rows.
void grouped_gemm(const Tensor& a, bool ta, int64_t a_rows, int64_t a_cols, const Tensor& b, bool tb, int64_t b_rows,
                  int64_t b_cols, const Tensor& c, int64_t groups) {
  kernels::GemmArgs args;
  args.batch = groups;
  args.m = ta ? a_cols : a_rows;
  args.k = ta ? a_rows : a_cols;
  args.n = tb ? b_rows : b_cols;
  args.a = a.data<float>(); args.lda = a_cols; args.stride_a = a_rows * a_cols; args.trans_a = ta;
  args.b = b.data<float>(); args.ldb = b_cols; args.stride_b = b_rows * b_cols; args.trans_b = tb;
  args.c = c.data<float>(); args.ldc = args.n; args.stride_c = args.m * args.n;
  CYCLONE_CALL(a.device(), gemm, args);
}

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

// The CPU path: per-image kernels, x (not the columns) saved for the backward.
Tensor conv2d_per_image(const Tensor& x0, const Tensor& w0, const Tensor& bias, const Tensor& x, const Tensor& w,
                        const ConvGeometry& g, int64_t groups) {
  const kernels::cpu::ConvShape s{g, w.size(0), groups};
  Tensor out = empty({g.n, s.k, g.out_h(), g.out_w()}, TensorOptions().on(x.device()));
  kernels::cpu::conv2d_forward(x.data<float>(), w.data<float>(), s, out.data<float>());
  if (bias.defined()) {
    NoGradGuard no_grad;
    out = add(out, bias.view({1, s.k, 1, 1}));
  }
  const bool has_bias = bias.defined();
  const bool need_x = x0.requires_grad(), need_w = w0.requires_grad();
  return record("Conv2dBackward", {x0, w0, bias}, out, [s, x, w, has_bias, need_x, need_w](const Tensor& dy0) {
    const Tensor dy = dy0.contiguous();
    Tensor dx, dw;
    if (need_w) {
      dw = empty(w.shape(), TensorOptions().on(dy.device()));
      kernels::cpu::conv2d_backward_weight(x.data<float>(), dy.data<float>(), s, dw.data<float>());
    }
    if (need_x) {
      dx = empty(x.shape(), TensorOptions().on(dy.device()));
      kernels::cpu::conv2d_backward_input(dy.data<float>(), w.data<float>(), s, dx.data<float>());
    }
    Tensor db = has_bias ? sum(dy, {0, 2, 3}) : Tensor();
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace

Tensor conv2d(const Tensor& x0, const Tensor& w0, const Tensor& bias, const Conv2dOptions& o) {
  check_conv_inputs(x0, w0, bias, o);
  const Tensor x = x0.contiguous().detach(), w = w0.contiguous().detach();
  ConvGeometry g;
  g.n = x.size(0); g.c = x.size(1); g.h = x.size(2); g.w = x.size(3);
  g.kh = w.size(2); g.kw = w.size(3);
  g.sh = o.stride_h; g.sw = o.stride_w; g.ph = o.pad_h; g.pw = o.pad_w; g.dh = o.dilation_h; g.dw = o.dilation_w;
  const int64_t ho = g.out_h(), wo = g.out_w(), k = w.size(0), groups = o.groups;
  if (ho <= 0 || wo <= 0) {
    throw std::invalid_argument("conv2d: input " + shape_str(x.shape()) + " is too small for kernel " +
                                std::to_string(g.kh) + "x" + std::to_string(g.kw) + " with this padding/dilation");
  }
  if (x.device().is_cpu()) return conv2d_per_image(x0, w0, bias, x, w, g, groups);
  Tensor out;
  Tensor cols;
  {
    NoGradGuard no_grad;
    cols = make_cols(x, g);
    const int64_t kg = k / groups, rows_g = (g.c / groups) * g.kh * g.kw, p = g.n * ho * wo;
    Tensor out_kp = empty({k, p}, TensorOptions().on(x.device()));
    grouped_gemm(w, false, kg, rows_g, cols, false, rows_g, p, out_kp, groups);
    out = out_kp.view({k, g.n, ho, wo}).permute({1, 0, 2, 3}).contiguous();
    if (bias.defined()) out = add(out, bias.view({1, k, 1, 1}));
  }
  const bool has_bias = bias.defined();
  const bool need_x = x0.requires_grad(), need_w = w0.requires_grad();
  return record("Conv2dBackward", {x0, w0, bias}, out, [g, w, cols, groups, k, ho, wo, has_bias, need_x, need_w](const Tensor& dy) {
    const int64_t kg = k / groups, rows_g = (g.c / groups) * g.kh * g.kw, p = g.n * ho * wo;
    const Tensor dout = dy.permute({1, 0, 2, 3}).contiguous();  // [K, N, Ho, Wo] = [K, P]
    Tensor dw;
    if (need_w) {
      dw = empty(w.shape(), TensorOptions().on(dy.device()));
      grouped_gemm(dout, false, kg, p, cols, true, rows_g, p, dw, groups);
    }
    Tensor dx;
    if (need_x) {
      Tensor dcols = empty({g.c * g.kh * g.kw, p}, TensorOptions().on(dy.device()));
      grouped_gemm(w, true, kg, rows_g, dout, false, kg, p, dcols, groups);
      if (is_pointwise(g)) {
        dx = dcols.view({g.c, g.n, g.h, g.w}).permute({1, 0, 2, 3}).contiguous();
      } else {
        dx = empty({g.n, g.c, g.h, g.w}, TensorOptions().on(dy.device()));
        CYCLONE_CALL(dy.device(), col2im, dcols.data<float>(), g, dx.data<float>());
      }
    }
    Tensor db = has_bias ? sum(dy, {0, 2, 3}) : Tensor();
    return std::vector<Tensor>{dx, dw, db};
  });
}

}  // namespace cyclone::nn::functional
