// ONNX ops that repeat a value for the importer: Expand (broadcast to a shape) and Tile, on
// tensors (differentiable views and concatenation) and on host arrays.
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

// Expand: X broadcast with `shape` (both ways, as numpy: a 1 in `shape` keeps X's dim).
Value expand(const OpContext& c) {
  const std::vector<int64_t> target = c.ints(1);
  if (c.is_host(0)) {
    const HostArray& x = c.host(0);
    const HostArray shape_of_zeros = HostArray::of_ints(std::vector<int64_t>(static_cast<size_t>(numel_of(target)), 0), target);
    return host_map({&x, &shape_of_zeros}, x.is_float, [](const std::vector<double>& v) { return v[0]; },
                    [](const std::vector<int64_t>& v) { return v[0]; });
  }
  const Tensor x = c.tensor(0);
  const Shape out = broadcast_shapes(x.shape(), target, "input and shape");
  Shape padded(out.size() - x.shape().size(), 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  return x.reshape(padded).expand(out);
}

// Tile: X repeated repeats[d] times along each dim d.
Value tile(const OpContext& c) {
  const std::vector<int64_t> repeats = c.ints(1);
  const size_t rank = c.is_host(0) ? c.host(0).shape.size() : static_cast<size_t>(c.tensor(0).dim());
  if (repeats.size() != rank) {
    throw std::invalid_argument("repeats has " + std::to_string(repeats.size()) + " values for an input of rank " +
                                std::to_string(rank));
  }
  for (int64_t r : repeats) {
    if (r < 0) throw std::invalid_argument("repeats must be >= 0, got " + std::to_string(r));
  }
  if (c.is_host(0)) {
    HostArray y = c.host(0);
    for (size_t d = 0; d < rank; ++d) {
      if (repeats[d] == 1) continue;
      y = host_concat(std::vector<HostArray>(static_cast<size_t>(repeats[d]), y), static_cast<int64_t>(d));
    }
    return y;
  }
  Tensor y = c.tensor(0);
  for (size_t d = 0; d < rank; ++d) {
    if (repeats[d] == 1) continue;
    const auto dim = static_cast<int64_t>(d);
    y = repeats[d] == 0 ? y.slice(dim, 0, 0) : cat(std::vector<Tensor>(static_cast<size_t>(repeats[d]), y), dim);
  }
  return y;
}

}  // namespace

void add_repeat_ops(std::map<std::string, OpFn>& t) {
  t["Expand"] = expand;
  t["Tile"] = tile;
}

}  // namespace cyclone::nn::onnx
