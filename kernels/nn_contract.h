// The backend contract for the CNN ops (conv and its two backward passes, the
// im2col/col2im they are built on, batch norm, pooling, softmax/cross-entropy).
// Same rule as contract.h: the list is written once and declared in
// kernels::cpu and kernels::cuda; each backend picks its own conv algorithm.
// All tensors are dense and contiguous, NCHW, float32 unless noted.
#pragma once
#include <cstdint>

namespace cyclone::kernels {

struct ConvGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  // 0 when the (dilated) kernel does not fit the padded input.
  int64_t out_h() const { const int64_t s = h + 2 * ph - dh * (kh - 1) - 1; return s < 0 ? 0 : s / sh + 1; }
  int64_t out_w() const { const int64_t s = w + 2 * pw - dw * (kw - 1) - 1; return s < 0 ? 0 : s / sw + 1; }
};

// A (grouped) convolution: input geometry g, k output channels, groups.
struct ConvShape {
  ConvGeometry g;
  int64_t k = 0, groups = 1;
};

struct PoolGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
  int64_t oh = 0, ow = 0;  // output size, computed by the caller (floor or ceil mode)
};

}  // namespace cyclone::kernels

// clang-format off
#define CYCLONE_NN_CONTRACT                                                                           \
  /* Convolution without bias: x [n, c, h, w], w [k, c/groups, kh, kw], y [n, k, oh, ow].            \
     y[b][o][oy][ox] = sum over the group's channels ch and taps (i, j) of                           \
       w[o][ch][i][j] * x[b][ch][oy*sh - ph + i*dh][ox*sw - pw + j*dw]   (0 outside x).             \
     Each call gets `workspace`: conv2d_workspace_size(s) floats of scratch on the backend's device   \
     (the caller allocates it; it may be null when the size is 0). */                                \
  int64_t conv2d_workspace_size(const ConvShape& s);                                                  \
  void conv2d_forward(const float* x, const float* w, const ConvShape& s, float* y, float* workspace);\
  /* dx = the adjoint of the forward in x: dx[b][ch][iy][ix] = sum of dy * w over the outputs         \
     and taps that read x[b][ch][iy][ix]. dx is overwritten. */                                       \
  void conv2d_backward_input(const float* dy, const float* w, const ConvShape& s, float* dx,          \
                             float* workspace);                                                       \
  /* dw = the adjoint in w: dw[o][ch][i][j] = sum over b, oy, ox of dy[b][o][oy][ox] * (the x that   \
     tap (i, j) of output (oy, ox) reads). Takes x itself; a backend recomputes any columns. */       \
  void conv2d_backward_weight(const float* x, const float* dy, const ConvShape& s, float* dw,         \
                              float* workspace);                                                      \
  /* cols[(c*kh + i)*kw + j][(b*oh + y)*ow + x] = x[b][c][y*sh - ph + i*dh][x*sw - pw + j*dw] or 0. \
     cols is [c*kh*kw, n*oh*ow]: the whole batch side by side, ready for one GEMM. */               \
  void im2col(const float* x, const ConvGeometry& g, float* cols);                                    \
  /* The adjoint of im2col: x = sum of every cols entry back at its source (x is overwritten). */     \
  void col2im(const float* cols, const ConvGeometry& g, float* x);                                    \
  /* Per-channel batch statistics over n and s (s = h*w): mean and 1/sqrt(biased var + eps). */      \
  void batch_norm_stats(const float* x, int64_t n, int64_t c, int64_t s, double eps, float* mean,    \
                        float* invstd);                                                               \
  /* y = (x - mean) * invstd * weight + bias, plus residual[i] (a ResNet block's shortcut),      \
     then max(y, 0) if relu. weight, bias and residual may be null; residual is [n, c, s]. */        \
  void batch_norm_apply(const float* x, int64_t n, int64_t c, int64_t s, const float* mean,          \
                        const float* invstd, const float* weight, const float* bias,                  \
                        const float* residual, bool relu, float* y);                                  \
  /* Per-channel sums for the backward: sum_dy[c] = sum dy, sum_dy_xhat[c] = sum dy * xhat. */         \
  void batch_norm_backward_reduce(const float* dy, const float* x, int64_t n, int64_t c, int64_t s,   \
                                  const float* mean, const float* invstd, float* sum_dy,              \
                                  float* sum_dy_xhat);                                                \
  /* Training-mode dx = w*invstd * (dy - sum_dy/m - xhat*sum_dy_xhat/m), m = n*s.                   \
     With sum_dy == nullptr (eval mode): dx = w*invstd*dy. weight may be null (= 1). */               \
  void batch_norm_backward_input(const float* dy, const float* x, int64_t n, int64_t c, int64_t s,   \
                                 const float* mean, const float* invstd, const float* weight,         \
                                 const float* sum_dy, const float* sum_dy_xhat, float* dx);           \
  /* Max pooling; padding counts as -inf; indices hold the argmax (h*w flat, within the plane). */    \
  void max_pool2d_forward(const float* x, const PoolGeometry& g, float* y, int64_t* indices);        \
  void max_pool2d_backward(const float* dy, const int64_t* indices, const PoolGeometry& g, float* dx);\
  /* Average pooling; divisor = window size clipped to the padded input if count_include_pad,        \
     else the number of real (unpadded) elements, as in PyTorch. */                                   \
  void avg_pool2d_forward(const float* x, const PoolGeometry& g, bool count_include_pad, float* y);   \
  void avg_pool2d_backward(const float* dy, const PoolGeometry& g, bool count_include_pad, float* dx);\
  /* Adaptive average pooling to (oh, ow) with PyTorch's start/end rule; kh..pw are ignored. */        \
  void adaptive_avg_pool2d_forward(const float* x, const PoolGeometry& g, float* y);                  \
  void adaptive_avg_pool2d_backward(const float* dy, const PoolGeometry& g, float* dx);               \
  /* Row-wise log-softmax of a [rows, cols] matrix, and its backward dx = dy - exp(y) * sum(dy). */    \
  void log_softmax_forward(const float* x, int64_t rows, int64_t cols, float* y);                     \
  void log_softmax_backward(const float* dy, const float* y, int64_t rows, int64_t cols, float* dx);  \
  /* Fused softmax cross-entropy with integer labels and label smoothing e:                          \
     loss[r] = lse[r] - (1-e) x[r][label] - e/cols * sum_j x[r][j]; rows whose label == ignore_index \
     get loss 0 (and zero gradient). lse is saved for the backward.                                   \
     dx[r][j] = dloss[r] * (softmax[r][j] - (1-e)[j == label] - e/cols). */                           \
  void cross_entropy_forward(const float* x, const int64_t* labels, int64_t rows, int64_t cols,       \
                             float smoothing, int64_t ignore_index, float* loss, float* lse);         \
  void cross_entropy_backward(const float* dloss, const float* x, const float* lse,                   \
                              const int64_t* labels, int64_t rows, int64_t cols, float smoothing,     \
                              int64_t ignore_index, float* dx);
// clang-format on

namespace cyclone::kernels::cpu { CYCLONE_NN_CONTRACT }
namespace cyclone::kernels::cuda { CYCLONE_NN_CONTRACT }
