// Whether the CUDA backend may use TF32 tensor cores, as PyTorch's switches:
//   matmul (torch.backends.cuda.matmul.allow_tf32): default off; GEMM v4 joins the
//     GEMM's candidates only when on;
//   conv (torch.backends.cudnn.allow_tf32): default on; conv v3 (im2col + GEMM v4)
//     joins each conv pass's candidates.
// Read at first use from CYCLONE_ALLOW_TF32_MATMUL and CYCLONE_ALLOW_TF32_CONV (0 or 1).
// Either way a TF32 version is only a candidate: the autotuner keeps it where it is
// fastest and agrees with fp32 within its documented bound (kernels/cuda/gemm_tf32.cu),
// and never on a GPU without tensor cores for TF32 (before sm_80).
#pragma once

namespace cyclone::kernels::cuda {

bool allow_tf32_matmul();
void set_allow_tf32_matmul(bool allow);
bool allow_tf32_conv();
void set_allow_tf32_conv(bool allow);

// True when the device runs mma.sync on tf32 (compute capability 8.0 or later; the emulator does).
bool tf32_tensor_cores();

// The autotuner's tolerance for a TF32 version against fp32, relative to max |fp32 result|:
// 2^-10 per product, times the cancellation a sum over k may add.
constexpr double kTf32TuneTolerance = 1e-2;

}  // namespace cyclone::kernels::cuda
