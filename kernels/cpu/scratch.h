// Scratch memory for CPU kernels: one buffer per thread and role, grown on
// demand and kept, so large temporaries are not mapped and zero-filled by the
// operating system on every call.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace cyclone::kernels::cpu {

// A 64-byte aligned float buffer; get(n) keeps the old contents only when it does not grow.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* get(size_t n) {
    if (n > cap_) {
      std::free(p_);
      cap_ = std::max(n, cap_ * 2);
      p_ = static_cast<float*>(std::aligned_alloc(64, ((cap_ * 4 + 63) / 64) * 64));
      if (!p_) {
        cap_ = 0;
        throw std::bad_alloc();
      }
    }
    return p_;
  }
  ~Scratch() { std::free(p_); }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace cyclone::kernels::cpu
