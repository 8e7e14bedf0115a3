// Checked host access to a tensor's elements, for code that fills or reads CPU
// tensors element by element (data loaders, gradcheck's perturbations, buffer
// counters, weight files). Everything else goes through tensor ops.
#pragma once
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

#include "tensor/tensor.h"

namespace cyclone {

// The elements of a contiguous CPU tensor of element type T, in row-major order.
// Throws if t is on a CUDA device (use .cpu() first), not contiguous, or of another dtype.
template <class T>
std::span<T> host_span(const Tensor& t) {
  if (!t.device().is_cpu()) {
    throw std::invalid_argument("host_span: tensor of shape " + shape_str(t.shape()) + " is on " + t.device().str() +
                                " (move it with .cpu() first)");
  }
  if (!t.is_contiguous()) throw std::invalid_argument("host_span: tensor of shape " + shape_str(t.shape()) + " is not contiguous");
  return std::span<T>(t.data<T>(), static_cast<size_t>(t.numel()));
}

// The bytes of a contiguous CPU tensor of any dtype (numel * element_size of
// them), for serialisers that move raw element bytes in and out.
inline std::span<std::byte> host_bytes(const Tensor& t) {
  if (!t.device().is_cpu() || !t.is_contiguous()) {
    throw std::invalid_argument("host_bytes: expected a contiguous CPU tensor, got shape " + shape_str(t.shape()) +
                                " on " + t.device().str());
  }
  return std::span<std::byte>(static_cast<std::byte*>(t.raw_data()), static_cast<size_t>(t.numel()) * t.element_size());
}

}  // namespace cyclone
