// Dispatch for copy (strided, broadcast, dtype-converting, device-crossing),
// fill and random fills.
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "kernels/cuda_runtime.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"
#include "tensor/rng.h"

namespace cyclone::dispatch {

void copy(const Tensor& dst, const Tensor& src) {
  NoGradGuard no_grad;
  if (broadcast_shapes(src.shape(), dst.shape(), "copy_") != dst.shape()) {
    throw std::invalid_argument("copy_: source of shape " + shape_str(src.shape()) +
                                " cannot be broadcast to destination shape " + shape_str(dst.shape()));
  }
  if (dst.numel() == 0) return;
  Tensor s = src;
  if (!(src.device() == dst.device())) {
    // The explicit device crossing: one memcpy of a contiguous copy, straight
    // into dst when it has the same shape, dtype and a dense layout.
    const Tensor c = src.contiguous();
    const bool direct = c.shape() == dst.shape() && c.dtype() == dst.dtype() && dst.is_contiguous();
    Tensor target = direct ? dst : empty(c.shape(), TensorOptions(c.dtype()).on(dst.device()));
    const size_t bytes = static_cast<size_t>(c.numel()) * c.element_size();
    if (dst.device().is_cuda() && c.device().is_cuda()) {
      kernels::cuda::copy_device_to_device(target.raw_data(), c.raw_data(), bytes);
    } else if (dst.device().is_cuda()) {
      kernels::cuda::copy_to_device(target.raw_data(), c.raw_data(), bytes);
    } else {
      kernels::cuda::copy_to_host(target.raw_data(), c.raw_data(), bytes);
    }
    if (direct) return;
    s = target;
  }
  CYCLONE_CALL(dst.device(), copy, s.dtype(), s.raw_data(), layout_of(s, dst.shape()), dst.dtype(),
               dst.raw_data(), layout_of(dst, dst.shape()), dst.numel());
}

void fill(const Tensor& dst, double value) {
  if (dst.numel() == 0) return;
  if (dst.is_contiguous()) {
    CYCLONE_CALL(dst.device(), fill, dst.dtype(), dst.raw_data(), dst.numel(), value);
    return;
  }
  const Tensor v = full({}, value, TensorOptions(dst.dtype()).on(dst.device()));
  copy(dst, v);
}

namespace {
template <class F>
void random_fill(const Tensor& dst, int64_t per_block, const char* op, F&& call) {
  check_dtype(dst, DType::f32, op, "out");
  if (dst.numel() == 0) return;
  const uint64_t blocks = static_cast<uint64_t>((dst.numel() + per_block - 1) / per_block);
  const uint64_t offset = default_generator().reserve(blocks);
  const uint64_t seed = default_generator().state().seed;
  if (dst.is_contiguous()) {
    call(dst.data<float>(), seed, offset);
    return;
  }
  Tensor tmp = empty(dst.shape(), TensorOptions().on(dst.device()));
  call(tmp.data<float>(), seed, offset);
  copy(dst, tmp);
}
}  // namespace

void random_uniform(const Tensor& dst, float lo, float hi) {
  random_fill(dst, 4, "rand", [&](float* p, uint64_t seed, uint64_t off) {
    CYCLONE_CALL(dst.device(), random_uniform, p, dst.numel(), seed, off, lo, hi);
  });
}

void random_normal(const Tensor& dst, float mean, float std) {
  random_fill(dst, 2, "randn", [&](float* p, uint64_t seed, uint64_t off) {
    CYCLONE_CALL(dst.device(), random_normal, p, dst.numel(), seed, off, mean, std);
  });
}

}  // namespace cyclone::dispatch
