// The raw (non-autograd) CNN ops on Tensors: each checks its inputs (float32,
// one device, shapes), makes them contiguous, allocates the outputs and calls
// the one backend function of kernels/nn_contract.h that computes it. nn/
// pairs these with their backwards (nn/functional_*.cpp).
#pragma once

#include "kernels/nn_contract.h"
#include "tensor/tensor.h"

namespace cyclone::dispatch {

using kernels::ConvGeometry;
using kernels::ConvShape;
using kernels::PoolGeometry;

// ---- convolution without bias: x [N, C, H, W], w [K, C/groups, kh, kw], dy [N, K, Ho, Wo] ----
// Each backend runs its own algorithm (kernels/cpu/conv.cpp, kernels/cuda/conv.cu);
// the scratch memory it asks for (conv2d_workspace_size) is allocated here.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const ConvShape& s);
Tensor conv2d_backward_input(const Tensor& dy, const Tensor& w, const ConvShape& s);
Tensor conv2d_backward_weight(const Tensor& x, const Tensor& dy, const ConvShape& s);

// ---- batch norm: x is [N, C, ...] with S = H*W (or L, or 1) values per plane ----
struct BatchStats {
  Tensor mean, invstd;  // [C]: mean and 1/sqrt(biased var + eps) over N and S
};
BatchStats batch_norm_stats(const Tensor& x, double eps);
// y = (x - mean) * invstd * weight + bias, then max(y, 0) if relu; weight/bias may be undefined.
// residual, when defined, is added before the ReLU (the shape of x).
Tensor batch_norm_apply(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& weight,
                        const Tensor& bias, bool relu, const Tensor& residual = Tensor());
struct BatchNormSums {
  Tensor sum_dy, sum_dy_xhat;  // [C]: sum of dy and of dy * xhat over N and S
};
BatchNormSums batch_norm_backward_reduce(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& invstd);
// Training mode (sums given): dx = w invstd (dy - sum_dy/M - xhat sum_dy_xhat/M), M = N*S.
// Eval mode (sums undefined): dx = w invstd dy. weight may be undefined (= 1).
Tensor batch_norm_backward_input(const Tensor& dy, const Tensor& x, const Tensor& mean, const Tensor& invstd,
                                 const Tensor& weight, const BatchNormSums& sums);

// ---- pooling: x [N, C, H, W] with the geometry g of kernels/nn_contract.h ----
struct MaxPoolResult {
  Tensor y, indices;  // indices: int64 argmax within each input plane
};
MaxPoolResult max_pool2d_forward(const Tensor& x, const PoolGeometry& g);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const PoolGeometry& g);
Tensor avg_pool2d_forward(const Tensor& x, const PoolGeometry& g, bool count_include_pad);
Tensor avg_pool2d_backward(const Tensor& dy, const PoolGeometry& g, bool count_include_pad);
Tensor adaptive_avg_pool2d_forward(const Tensor& x, const PoolGeometry& g);
Tensor adaptive_avg_pool2d_backward(const Tensor& dy, const PoolGeometry& g);

// ---- softmax and cross-entropy, row-wise over the last dim ----
Tensor log_softmax_forward(const Tensor& x);
Tensor log_softmax_backward(const Tensor& dy, const Tensor& y);  // y: the forward's output
struct CrossEntropyResult {
  Tensor loss, lse;  // [N]: per-row loss, and logsumexp saved for the backward
};
// logits [N, C] float32, labels [N] int64.
CrossEntropyResult cross_entropy_forward(const Tensor& logits, const Tensor& labels, float smoothing,
                                         int64_t ignore_index);
Tensor cross_entropy_backward(const Tensor& dloss, const Tensor& logits, const Tensor& lse, const Tensor& labels,
                              float smoothing, int64_t ignore_index);

}  // namespace cyclone::dispatch
