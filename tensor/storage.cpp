// Storage lifetime: memory comes from, and returns to, tensor/allocator (or,
// for pinned host memory, the CUDA runtime's page-locked allocator).
#include "tensor/storage.h"

#include <stdexcept>

#include "kernels/cuda_runtime.h"
#include "tensor/allocator.h"

namespace cyclone {

Storage::Storage(size_t nbytes, Device device, bool pinned) : nbytes_(nbytes), device_(device), pinned_(pinned) {
  if (pinned && !device.is_cpu()) throw std::invalid_argument("Storage: pinned memory lives on the host (cpu)");
  data_ = pinned ? kernels::cuda::pinned_malloc(nbytes) : allocate(device, nbytes);
}

Storage::~Storage() {
  if (pinned_) {
    kernels::cuda::pinned_free(data_);
  } else {
    deallocate(device_, data_, nbytes_);
  }
}

}  // namespace cyclone
