// ONNX ops that repeat or rearrange a value for the importer: Expand (broadcast to a shape),
// Tile, DepthToSpace and SpaceToDepth, on tensors (differentiable views, reshapes and
// concatenation); Expand and Tile also on host arrays.
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

// DepthToSpace (DCR or CRD order of the channel blocks) and SpaceToDepth, with blocksize b:
// a reshape into blocks, a permutation and a reshape back.
Value depth_space(const OpContext& c, bool to_space) {
  const Tensor x = c.tensor(0);
  if (x.dim() != 4) throw std::invalid_argument("input must have rank 4, got shape " + shape_str(x.shape()));
  const int64_t b = c.attr_int("blocksize", 0), n = x.size(0), ch = x.size(1), h = x.size(2), w = x.size(3);
  if (b < 1) throw std::invalid_argument("attribute 'blocksize' must be >= 1");
  if (!to_space) {
    if (h % b != 0 || w % b != 0)
      throw std::invalid_argument("height and width of " + shape_str(x.shape()) + " must divide by blocksize " + std::to_string(b));
    return x.reshape({n, ch, h / b, b, w / b, b}).permute({0, 3, 5, 1, 2, 4}).reshape({n, ch * b * b, h / b, w / b});
  }
  if (ch % (b * b) != 0)
    throw std::invalid_argument("channels of " + shape_str(x.shape()) + " must divide by blocksize^2 = " + std::to_string(b * b));
  const int64_t cb = ch / (b * b);
  const std::string mode = c.attr_string("mode", "DCR");
  if (mode == "DCR") return x.reshape({n, b, b, cb, h, w}).permute({0, 3, 4, 1, 5, 2}).reshape({n, cb, h * b, w * b});
  if (mode == "CRD") return x.reshape({n, cb, b, b, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({n, cb, h * b, w * b});
  throw std::invalid_argument("attribute 'mode' = '" + mode + "' is not supported (DCR or CRD)");
}

}  // namespace

void add_repeat_ops(std::map<std::string, OpFn>& t) {
  t["Expand"] = expand;
  t["Tile"] = tile;
  t["DepthToSpace"] = [](const OpContext& c) { return depth_space(c, true); };
  t["SpaceToDepth"] = [](const OpContext& c) { return depth_space(c, false); };
}

}  // namespace cyclone::nn::onnx
