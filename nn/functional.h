// The differentiable CNN ops (like torch.nn.functional): each pairs a forward
// on the nn kernel contract (kernels/nn_contract.h) with its backward, the
// derivative written next to it. Layers in nn/layers.h are thin wrappers.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace cyclone::nn::functional {

struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
  Conv2dOptions& stride(int64_t s) { stride_h = stride_w = s; return *this; }
  Conv2dOptions& padding(int64_t p) { pad_h = pad_w = p; return *this; }
  Conv2dOptions& dilation(int64_t d) { dilation_h = dilation_w = d; return *this; }
  Conv2dOptions& with_groups(int64_t g) { groups = g; return *this; }
};

// x [N, C, H, W], weight [K, C/groups, kh, kw], bias [K] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opts = {});

struct ConvTranspose2dOptions {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, output_pad_h = 0, output_pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1, groups = 1;
};

// The transposed convolution (the adjoint of conv2d in its input), as torch's conv_transpose2d:
// x [N, C, H, W], weight [C, K/groups, kh, kw], bias [K] or undefined, output [N, K, Ho, Wo] with
// Ho = (H - 1) * stride_h - 2 * pad_h + dilation_h * (kh - 1) + output_pad_h + 1 (likewise Wo).
// output_pad must be smaller than the stride.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& opts = {});

// out.select(dim, i) = x.select(dim, indices[i]) (tensor/gather.h's index_select), differentiable:
// dx.select(dim, s) = the sum of dy.select(dim, i) over the i with indices[i] == s.
Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices);

// x [N, C] or [N, C, L] or [N, C, H, W]. In training mode normalises with the
// batch statistics (biased variance) and updates running_mean/running_var in
// place with `momentum` (unbiased variance), exactly as PyTorch; in eval mode
// uses the running statistics. weight/bias/running stats may be undefined.
// fuse_relu applies max(y, 0) in the same kernel; residual (x's shape), when defined, is
// added before it: relu(bn(x) + residual), a ResNet block's tail in one pass.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5,
                  bool fuse_relu = false, const Tensor& residual = Tensor());

struct Pool2dOptions {
  int64_t kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d only
  static Pool2dOptions square(int64_t kernel, int64_t stride = -1, int64_t padding = 0) {
    Pool2dOptions o;
    o.kernel_h = o.kernel_w = kernel;
    o.stride_h = o.stride_w = stride < 0 ? kernel : stride;
    o.pad_h = o.pad_w = padding;
    return o;
  }
};

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& opts);
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& opts);
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

// y = x W^T + b; x [..., in], weight [out, in], bias [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// Row-wise log-softmax over `dim` (default: the last).
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
Tensor softmax(const Tensor& x, int64_t dim = -1);

enum class Reduction { Mean, Sum, None };
Reduction parse_reduction(const std::string& name);

// Fused softmax cross-entropy: logits [N, C], integer labels [N].
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0, int64_t ignore_index = -100);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

// Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p) in training.
Tensor dropout(const Tensor& x, double p, bool training);

// Constant padding with PyTorch's F.pad convention: pads = (last_lo, last_hi,
// second_last_lo, second_last_hi, ...), non-negative. Works on any dim,
// including the channel axis (used by option-A ResNet shortcuts).
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);

// Fraction of rows whose argmax equals the label (not differentiable).
double accuracy(const Tensor& logits, const Tensor& labels);
// Number of correct rows (exact integer count).
int64_t correct_count(const Tensor& logits, const Tensor& labels);

}  // namespace cyclone::nn::functional
