// The contract's CUDA convolution (the conv2d_* functions of kernels/nn_contract.h):
// each pass runs the version the autotuner (kernels/cuda/autotune.h) picks for its
// shape among those of kernels/cuda/conv_versions.h, checked against v1 (im2col);
// the TF32 versions (3, 4) only where allow_tf32_conv.
#include <string>

#include "kernels/cuda/autotune.h"
#include "kernels/cuda/conv_versions.h"
#include "kernels/cuda/math_mode.h"

namespace cyclone::kernels::cuda {
namespace {

std::string shape_key(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  std::string k;
  for (int64_t v : {g.n, g.c, g.h, g.w, s.k, s.groups, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw})
    k += (k.empty() ? "" : "x") + std::to_string(v);
  return k;
}

int64_t output_floats(ConvPass pass, const ConvShape& s) {
  const ConvGeometry& g = s.g;
  switch (pass) {
    case ConvPass::forward: return g.n * s.k * g.out_h() * g.out_w();
    case ConvPass::input_grad: return g.n * g.c * g.h * g.w;
    case ConvPass::weight_grad: return s.k * (g.c / s.groups) * g.kh * g.kw;
  }
  return 0;
}

void run_tuned(ConvPass pass, const float* a, const float* b, const ConvShape& s, float* out, float* workspace) {
  if (output_floats(pass, s) == 0) return;
  TuneTrial t;
  t.family = conv_pass_name(pass);
  t.shape = shape_key(s);
  t.out_floats = output_floats(pass, s);
  t.reference = 1;
  // Preference without timing: the fp32 implicit GEMM, then TF32 (where allowed), then v1.
  if (conv_version_applies(2, s)) t.candidates.push_back({2, 1e-3});
  if (allow_tf32_conv()) {
    for (int v : {4, 3})
      if (conv_version_applies(v, s)) t.candidates.push_back({v, kTf32TuneTolerance});
  }
  t.candidates.push_back({1, 1e-3});
  t.run = [&](int version, float* o) { conv2d_version(version, pass, a, b, s, o, workspace); };
  conv2d_version(tuned_version(t), pass, a, b, s, out, workspace);
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
  switch (version) {
    case 1: return true;
    case 2: return conv_igemm_applies(s);
    case 3: return tf32_tensor_cores();
    case 4: return tf32_tensor_cores() && conv_igemm_applies(s);
  }
  return false;
}

void conv2d_version(int version, ConvPass pass, const float* a, const float* b, const ConvShape& s, float* out,
                    float* workspace) {
  const bool tf32 = conv_version_is_tf32(version);
  if (version == 2 || version == 4) {
    switch (pass) {
      case ConvPass::forward: return conv2d_forward_igemm(a, b, s, out, tf32);
      case ConvPass::input_grad: return conv2d_backward_input_igemm(a, b, s, out, tf32);
      case ConvPass::weight_grad:
        return conv2d_backward_weight_igemm(a, b, s, out, workspace, conv2d_workspace_size(s), tf32);
    }
  }
  switch (pass) {
    case ConvPass::forward: return conv2d_forward_im2col(a, b, s, out, workspace, tf32);
    case ConvPass::input_grad: return conv2d_backward_input_im2col(a, b, s, out, workspace, tf32);
    case ConvPass::weight_grad: return conv2d_backward_weight_im2col(a, b, s, out, workspace, tf32);
  }
}

void conv2d_forward(const float* x, const float* w, const ConvShape& s, float* y, float* workspace) {
  run_tuned(ConvPass::forward, x, w, s, y, workspace);
}

void conv2d_backward_input(const float* dy, const float* w, const ConvShape& s, float* dx, float* workspace) {
  run_tuned(ConvPass::input_grad, dy, w, s, dx, workspace);
}

void conv2d_backward_weight(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace) {
  run_tuned(ConvPass::weight_grad, x, dy, s, dw, workspace);
}

}  // namespace cyclone::kernels::cuda
