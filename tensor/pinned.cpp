// Pinned host tensors, asynchronous uploads and stream events, on the CUDA
// runtime services of kernels/cuda_runtime.h.
#include "tensor/pinned.h"

#include <memory>
#include <stdexcept>

#include "autograd/node.h"  // AutogradMeta, which TensorImpl owns
#include "kernels/cuda_runtime.h"

namespace cyclone {

Tensor empty_pinned(const Shape& shape, DType dtype) {
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("empty_pinned(): negative dimension in shape " + shape_str(shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(numel_of(shape)) * dtype_size(dtype), kCPU, true);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->device = kCPU;
  return Tensor(impl);
}

namespace {
kernels::cuda::Stream kernel_stream(CudaStream s) {
  return s == CudaStream::upload ? kernels::cuda::Stream::upload : kernels::cuda::Stream::compute;
}
}  // namespace

void upload_async(const Tensor& dst, const Tensor& src, CudaStream stream) {
  if (!dst.is_cuda() || !dst.is_contiguous()) throw std::invalid_argument("upload_async: dst must be a contiguous CUDA tensor");
  if (!src.device().is_cpu() || !src.storage()->pinned() || !src.is_contiguous()) {
    throw std::invalid_argument("upload_async: src must be a contiguous pinned CPU tensor (see empty_pinned)");
  }
  if (src.shape() != dst.shape() || src.dtype() != dst.dtype()) {
    throw std::invalid_argument("upload_async: src " + shape_str(src.shape()) + " " + dtype_name(src.dtype()) +
                                " does not match dst " + shape_str(dst.shape()) + " " + dtype_name(dst.dtype()));
  }
  if (dst.numel() == 0) return;
  kernels::cuda::copy_to_device_async(dst.raw_data(), src.raw_data(), static_cast<size_t>(dst.numel()) * dst.element_size(),
                                      kernel_stream(stream));
}

void StreamEvent::record(CudaStream stream) {
  reset();
  handle_ = kernels::cuda::event_record(kernel_stream(stream));
}

void StreamEvent::make_wait(CudaStream stream) const {
  if (handle_) kernels::cuda::stream_wait_event(kernel_stream(stream), handle_);
}

void StreamEvent::wait() {
  if (!handle_) return;
  kernels::cuda::event_synchronize(handle_);
  reset();
}

void StreamEvent::reset() {
  if (handle_) kernels::cuda::event_destroy(handle_);
  handle_ = nullptr;
}

}  // namespace cyclone
