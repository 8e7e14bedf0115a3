// index_select (see gather.h): one copy per selected slice, through the ordinary
// copy dispatch, so it works on any device and layout and copies bits exactly.
#include "tensor/gather.h"

#include <stdexcept>
#include <string>

#include "autograd/node.h"

namespace cyclone {

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices) {
  if (!x.defined()) throw std::invalid_argument("index_select: the input is undefined");
  if (dim < 0) dim += x.dim();
  if (dim < 0 || dim >= x.dim()) {
    throw std::out_of_range("index_select: dim out of range for a tensor of shape " + shape_str(x.shape()));
  }
  Shape shape = x.shape();
  shape[static_cast<size_t>(dim)] = static_cast<int64_t>(indices.size());
  Tensor out = empty(shape, TensorOptions{}.with(x.dtype()).on(x.device()));
  NoGradGuard no_grad;  // the slices below are plain views, not graph nodes
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t r = indices[i];
    if (r < 0 || r >= x.size(dim)) {
      throw std::out_of_range("index_select: index " + std::to_string(r) + " out of range for size " +
                              std::to_string(x.size(dim)) + " of dim " + std::to_string(dim));
    }
    out.select(dim, static_cast<int64_t>(i)).copy_(x.select(dim, r));
  }
  return out;
}

}  // namespace cyclone
