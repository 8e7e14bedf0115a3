// CYCLONE_CALL(device, fn, args...): calls kernels::cuda::fn or kernels::cpu::fn
// by device and gives its result; in a CPU-only build a CUDA tensor gets a
// clear error instead. Private to tensor/: everything above calls tensor ops.
#pragma once
#include <stdexcept>
#include <string>

#include "kernels/contract.h"

namespace cyclone::dispatch {
[[noreturn]] inline void no_cuda(const char* op) {
  throw std::runtime_error(std::string(op) +
                           ": tensor is on CUDA but cyclone was built without CUDA support "
                           "(reconfigure with -DCYCLONE_CUDA=ON)");
}
}  // namespace cyclone::dispatch

#if CYCLONE_WITH_CUDA
#define CYCLONE_CALL(dev, fn, ...) \
  ((dev).is_cuda() ? ::cyclone::kernels::cuda::fn(__VA_ARGS__) : ::cyclone::kernels::cpu::fn(__VA_ARGS__))
#else
// (The CUDA arm never returns; the comma gives it the CPU function's type.)
#define CYCLONE_CALL(dev, fn, ...)                                                                \
  ((dev).is_cuda() ? (::cyclone::dispatch::no_cuda(#fn), ::cyclone::kernels::cpu::fn(__VA_ARGS__)) \
                   : ::cyclone::kernels::cpu::fn(__VA_ARGS__))
#endif
