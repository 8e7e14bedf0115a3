// The TF32 switches of kernels/cuda/math_mode.h.
#include "kernels/cuda/math_mode.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.h"

namespace cyclone::kernels::cuda {
namespace {

bool env_flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  const std::string s = v;
  if (s == "1") return true;
  if (s == "0") return false;
  throw std::invalid_argument(std::string(name) + "=" + s + ": expected 0 or 1");
}

std::atomic<bool>& matmul_flag() {
  static std::atomic<bool> flag{env_flag("CYCLONE_ALLOW_TF32_MATMUL", false)};
  return flag;
}
std::atomic<bool>& conv_flag() {
  static std::atomic<bool> flag{env_flag("CYCLONE_ALLOW_TF32_CONV", true)};
  return flag;
}

}  // namespace

bool allow_tf32_matmul() { return matmul_flag(); }
void set_allow_tf32_matmul(bool allow) { matmul_flag() = allow; }
bool allow_tf32_conv() { return conv_flag(); }
void set_allow_tf32_conv(bool allow) { conv_flag() = allow; }

bool tf32_tensor_cores() {
  static const bool yes = [] {
    int device = 0, major = 0;
    CYCLONE_CUDA_CHECK(cudaGetDevice(&device));
    CYCLONE_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    return major >= 8;
  }();
  return yes;
}

}  // namespace cyclone::kernels::cuda
