// Storage lifetime: memory comes from, and returns to, tensor/allocator.
#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace cyclone {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  data_ = allocate(device, nbytes);
}

Storage::~Storage() { deallocate(device_, data_, nbytes_); }

}  // namespace cyclone
