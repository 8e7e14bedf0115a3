// The CUDA convolution versions side by side, for the autotuner (conv_dispatch.cu,
// which implements the contract's conv2d_* functions), tests and bench/.
//   v1: im2col (a permute for a pointwise conv) into the workspace, then the batched
//       SGEMM, then a permute back to NCHW (conv.cu).
//   v2: implicit GEMM straight from the NCHW tensors, no column buffer; the weight
//       gradient split along k over the SMs (conv_igemm.cu). Needs every tensor under
//       2^31 elements (conv_igemm_applies).
//   v3: v1 with the TF32 tensor-core GEMM (GEMM v4): operands rounded to tf32, so each
//       product is off by up to ~2^-10 of |x||w| (kernels/cuda/gemm_tf32.cu). Offered to
//       the autotuner only where allow_tf32_conv (kernels/cuda/math_mode.h).
//   v4: v2 on the TF32 tensor cores (mma.sync m16n8k8), the same error bound as v3
//       (kernels/cuda/conv_igemm_tf32.cuh); offered where allow_tf32_conv.
// Layout: every version reads and writes cyclone's NCHW tensors as they are, with no
// transpose. The implicit GEMMs walk pixels with consecutive threads, which NCHW keeps
// contiguous (stride 1); an NHWC version would walk channels instead, at the price of a
// layout change around every conv for the elementwise and batch-norm kernels. The
// autotuner is where such a version would be judged.
// v1 and v2 are fp32 throughout and agree up to the order of the sums. Every version
// takes the contract's workspace, conv2d_workspace_size(s) floats (sized for v1).
#pragma once
#include <cstdint>

#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {

constexpr int kConvVersions = 4;
// The versions that run on the TF32 tensor cores.
constexpr bool conv_version_is_tf32(int version) { return version == 3 || version == 4; }
enum class ConvPass { forward, input_grad, weight_grad };
const char* conv_pass_name(ConvPass pass);  // "conv_forward", "conv_input_grad", "conv_weight_grad"

bool conv_version_applies(int version, const ConvShape& s);
// The pass's output (y, dx or dw) from version `version`; a and b are (x, w) for the
// forward, (dy, w) for the input gradient and (x, dy) for the weight gradient.
void conv2d_version(int version, ConvPass pass, const float* a, const float* b, const ConvShape& s, float* out,
                    float* workspace);

// v1 (tf32 false) and v3 (tf32 true), in conv.cu.
void conv2d_forward_im2col(const float* x, const float* w, const ConvShape& s, float* y, float* workspace, bool tf32);
void conv2d_backward_input_im2col(const float* dy, const float* w, const ConvShape& s, float* dx, float* workspace,
                                  bool tf32);
void conv2d_backward_weight_im2col(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace,
                                   bool tf32);

// v2 (tf32 false) and v4 (tf32 true), in conv_igemm.cu.
bool conv_igemm_applies(const ConvShape& s);
// How many k slices the weight gradient takes: about four blocks per SM, each slice at
// least 8 steps deep, and the partial sums within workspace_floats.
int conv_weight_grad_splits(const ConvShape& s, int64_t workspace_floats);
void conv2d_forward_igemm(const float* x, const float* w, const ConvShape& s, float* y, bool tf32);
void conv2d_backward_input_igemm(const float* dy, const float* w, const ConvShape& s, float* dx, bool tf32);
void conv2d_backward_weight_igemm(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace,
                                  int64_t workspace_floats, bool tf32);

}  // namespace cyclone::kernels::cuda
