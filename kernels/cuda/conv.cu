// CUDA convolution versions 1 and 3 (kernels/cuda/conv_versions.h): one im2col
// over the whole batch and one GEMM batched over the groups (the contract's fp32
// GEMM for v1, the TF32 GEMM v4 for v3), with
//   cols   = im2col(x)                [C*kh*kw, P],  P = N*Ho*Wo
//   out_g  = W_g @ cols_g             [K/g, P], then permuted to NCHW
//   dW_g   = dout_g @ cols_g^T        (cols recomputed from x: the same values)
//   dcols_g = W_g^T @ dout_g,  dx = col2im(dcols)
// where dout is dy permuted to [K, P]. A 1x1 stride-1 unpadded conv skips
// im2col: cols is x with C moved first. The permutes are strided copies on
// the copy kernel. Workspace: (C*kh*kw + K) * P floats, for cols (or dcols)
// and the [K, P] output (or dout). The CPU backend does the same products one
// image at a time (kernels/cpu/conv.cpp).
#include "kernels/contract.h"
#include "kernels/cuda/conv_versions.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// dst [d1, d0, h, w] <- src [d0, d1, h, w], both dense: swaps the two leading dims.
void swap_leading_dims(const float* src, int64_t d0, int64_t d1, int64_t h, int64_t w, float* dst) {
  const int64_t n = d0 * d1 * h * w;
  if (n == 0) return;
  Layout ls, ld;
  ls.ndim = ld.ndim = 4;
  const int64_t sizes[4] = {d1, d0, h, w};
  const int64_t src_strides[4] = {h * w, d1 * h * w, w, 1};
  const int64_t dst_strides[4] = {d0 * h * w, h * w, w, 1};
  for (int d = 0; d < 4; ++d) {
    ls.sizes[d] = ld.sizes[d] = sizes[d];
    ls.strides[d] = src_strides[d];
    ld.strides[d] = dst_strides[d];
  }
  ls.contiguous = false;
  ld.contiguous = true;
  copy(DType::f32, src, ls, DType::f32, dst, ld, n);
}

// cols [C*kh*kw, P] of x.
void make_cols(const float* x, const ConvGeometry& g, float* cols) {
  if (is_pointwise(g)) {
    swap_leading_dims(x, g.n, g.c, g.h, g.w, cols);
  } else {
    im2col(x, g, cols);
  }
}

// C[b] = op(A[b]) @ op(B[b]) over b < groups, each operand a dense block of rows.
void grouped_gemm(const float* a, bool ta, int64_t a_rows, int64_t a_cols, const float* b, bool tb, int64_t b_rows,
                  int64_t b_cols, float* c, int64_t groups, bool tf32) {
  GemmArgs args;
  args.batch = groups;
  args.m = ta ? a_cols : a_rows;
  args.k = ta ? a_rows : a_cols;
  args.n = tb ? b_rows : b_cols;
  args.a = a; args.lda = a_cols; args.stride_a = a_rows * a_cols; args.trans_a = ta;
  args.b = b; args.ldb = b_cols; args.stride_b = b_rows * b_cols; args.trans_b = tb;
  args.c = c; args.ldc = args.n; args.stride_c = args.m * args.n;
  tf32 ? gemm_version(4, args) : gemm(args);
}

// The GEMM sizes of one conv: K/g output rows, C/g*kh*kw reduction rows, P columns.
struct Sizes {
  int64_t kg, rows_g, rows, p, oh, ow;
};

Sizes sizes_of(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  const int64_t oh = g.out_h(), ow = g.out_w();
  return {s.k / s.groups, (g.c / s.groups) * g.kh * g.kw, g.c * g.kh * g.kw, g.n * oh * ow, oh, ow};
}

}  // namespace

int64_t conv2d_workspace_size(const ConvShape& s) {
  const Sizes z = sizes_of(s);
  return (z.rows + s.k) * z.p;
}

void conv2d_forward_im2col(const float* x, const float* w, const ConvShape& s, float* y, float* workspace, bool tf32) {
  const Sizes z = sizes_of(s);
  if (z.p == 0 || s.k == 0) return;
  float* cols = workspace;
  float* out_kp = workspace + z.rows * z.p;  // [K, N, Ho, Wo]
  make_cols(x, s.g, cols);
  grouped_gemm(w, false, z.kg, z.rows_g, cols, false, z.rows_g, z.p, out_kp, s.groups, tf32);
  swap_leading_dims(out_kp, s.k, s.g.n, z.oh, z.ow, y);
}

void conv2d_backward_input_im2col(const float* dy, const float* w, const ConvShape& s, float* dx, float* workspace,
                                  bool tf32) {
  const Sizes z = sizes_of(s);
  const ConvGeometry& g = s.g;
  float* dout = workspace;               // [K, P]
  float* dcols = workspace + s.k * z.p;  // [C*kh*kw, P]
  swap_leading_dims(dy, g.n, s.k, z.oh, z.ow, dout);
  if (z.p > 0) grouped_gemm(w, true, z.kg, z.rows_g, dout, false, z.kg, z.p, dcols, s.groups, tf32);
  if (is_pointwise(g)) {
    swap_leading_dims(dcols, g.c, g.n, g.h, g.w, dx);
  } else {
    col2im(dcols, g, dx);
  }
}

void conv2d_backward_weight_im2col(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace,
                                   bool tf32) {
  const Sizes z = sizes_of(s);
  const ConvGeometry& g = s.g;
  float* dout = workspace;              // [K, P]
  float* cols = workspace + s.k * z.p;  // [C*kh*kw, P]
  swap_leading_dims(dy, g.n, s.k, z.oh, z.ow, dout);
  make_cols(x, g, cols);
  grouped_gemm(dout, false, z.kg, z.p, cols, true, z.rows_g, z.p, dw, s.groups, tf32);
}

}  // namespace cyclone::kernels::cuda
