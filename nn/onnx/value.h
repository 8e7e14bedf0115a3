// Values flowing through an imported ONNX graph: a cyclone Tensor, or a small host
// array (shapes, pads, slice bounds, constants) that the importer evaluates on the CPU.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "io/ndarray.h"
#include "tensor/tensor.h"

namespace cyclone::nn::onnx {

// A host array of int64 or double values in C order. Integers stay exact (slice bounds
// use INT64_MAX), so the two kinds are kept in separate vectors.
struct HostArray {
  Shape shape;  // empty = scalar
  bool is_float = false;
  std::vector<int64_t> ints;  // when !is_float
  std::vector<double> reals;  // when is_float

  size_t numel() const { return is_float ? reals.size() : ints.size(); }
  double real(size_t i) const { return is_float ? reals[i] : static_cast<double>(ints[i]); }
  // The values as integers; `context` names the place in errors (floats are rejected).
  std::vector<int64_t> as_ints(const std::string& context) const;
  // A single value (any shape with one element) as double.
  double scalar(const std::string& context) const;

  static HostArray of_ints(std::vector<int64_t> values, Shape shape);
  static HostArray of_reals(std::vector<double> values, Shape shape);
  // Integer/bool ndarrays become ints, floating ones reals.
  static HostArray from_ndarray(const io::NdArray& a);
  // f32 tensor (reals) or i64 tensor (ints) on `device`.
  Tensor to_tensor(Device device) const;
};

using Value = std::variant<Tensor, HostArray>;

// ---- structural ops on host arrays (the graph's shape arithmetic) ----
// Values at the given flat source indices, in a new shape.
HostArray host_take(const HostArray& a, const std::vector<size_t>& flat_indices, Shape shape);
HostArray host_reshape(const HostArray& a, Shape shape);
HostArray host_transpose(const HostArray& a, const std::vector<int64_t>& perm);
// Per-axis bounds already clamped; steps may be negative.
HostArray host_slice(const HostArray& a, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                     const std::vector<int64_t>& axes, const std::vector<int64_t>& steps);
HostArray host_concat(const std::vector<HostArray>& parts, int64_t axis);
HostArray host_gather(const HostArray& a, const HostArray& indices, int64_t axis);
HostArray host_cast(const HostArray& a, bool to_float);
// Broadcasting elementwise op: op is '+', '-', '*' or '/' (integer division truncates).
HostArray host_binary(const HostArray& a, const HostArray& b, char op);
// Broadcasting elementwise function of any number of host arrays. The result holds reals
// when `float_result` (from `real`, given each argument as double), else integers (from
// `integer` on int64 values when every argument is integer, or `real`'s value truncated).
HostArray host_map(const std::vector<const HostArray*>& args, bool float_result,
                   const std::function<double(const std::vector<double>&)>& real,
                   const std::function<int64_t(const std::vector<int64_t>&)>& integer = nullptr);

}  // namespace cyclone::nn::onnx
