// Entry point of cyclone_tests: doctest's main, after one setting. The CUDA = CPU
// tests compare in fp32, so TF32 convs (allowed by default, as in PyTorch) are
// switched off here; the TF32 versions are tested on their own, against their
// error bound (test_cuda_conv_versions.cpp, test_tensor_cores.cu).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#if CYCLONE_WITH_CUDA
#include "kernels/cuda/math_mode.h"
#endif

int main(int argc, char** argv) {
#if CYCLONE_WITH_CUDA
  cyclone::kernels::cuda::set_allow_tf32_conv(false);
#endif
  return doctest::Context(argc, argv).run();
}
