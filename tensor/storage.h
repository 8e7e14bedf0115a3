// Storage: one allocation on one device, shared by a tensor and all its views.
#pragma once
#include <cstddef>
#include <memory>

#include "tensor/device.h"

namespace cyclone {

class Storage {
 public:
  // pinned: page-locked host memory (device must be the CPU), for fast
  // asynchronous uploads; see tensor/pinned.h.
  Storage(size_t nbytes, Device device, bool pinned = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  bool pinned_ = false;
};

}  // namespace cyclone
