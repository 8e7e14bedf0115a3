// The contract's CUDA convolution (the conv2d_* functions of kernels/nn_contract.h):
// each pass runs the newest version of kernels/cuda/conv_versions.h that applies.
#include "kernels/cuda/conv_versions.h"

namespace cyclone::kernels::cuda {
namespace {

void run_best(ConvPass pass, const float* a, const float* b, const ConvShape& s, float* out, float* workspace) {
  conv2d_version(conv_version_applies(2, s) ? 2 : 1, pass, a, b, s, out, workspace);
}

}  // namespace

const char* conv_pass_name(ConvPass pass) {
  switch (pass) {
    case ConvPass::forward: return "conv_forward";
    case ConvPass::input_grad: return "conv_input_grad";
    case ConvPass::weight_grad: return "conv_weight_grad";
  }
  return "conv";
}

bool conv_version_applies(int version, const ConvShape& s) {
  return version == 1 || (version == 2 && conv_igemm_applies(s));
}

void conv2d_version(int version, ConvPass pass, const float* a, const float* b, const ConvShape& s, float* out,
                    float* workspace) {
  if (version == 2) {
    switch (pass) {
      case ConvPass::forward: return conv2d_forward_igemm(a, b, s, out);
      case ConvPass::input_grad: return conv2d_backward_input_igemm(a, b, s, out);
      case ConvPass::weight_grad:
        return conv2d_backward_weight_igemm(a, b, s, out, workspace, conv2d_workspace_size(s));
    }
  }
  switch (pass) {
    case ConvPass::forward: return conv2d_forward_im2col(a, b, s, out, workspace);
    case ConvPass::input_grad: return conv2d_backward_input_im2col(a, b, s, out, workspace);
    case ConvPass::weight_grad: return conv2d_backward_weight_im2col(a, b, s, out, workspace);
  }
}

void conv2d_forward(const float* x, const float* w, const ConvShape& s, float* y, float* workspace) {
  run_best(ConvPass::forward, x, w, s, y, workspace);
}

void conv2d_backward_input(const float* dy, const float* w, const ConvShape& s, float* dx, float* workspace) {
  run_best(ConvPass::input_grad, dy, w, s, dx, workspace);
}

void conv2d_backward_weight(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace) {
  run_best(ConvPass::weight_grad, x, dy, s, dw, workspace);
}

}  // namespace cyclone::kernels::cuda
