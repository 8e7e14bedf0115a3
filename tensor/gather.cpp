// index_select (see gather.h). A contiguous CPU tensor is gathered with one memcpy
// per selected slice (the precomputed-feature batches of train/ take this path);
// any other tensor with one copy_ per slice, through the ordinary copy dispatch, so
// it works on every device and layout. Both copy bits exactly.
#include "tensor/gather.h"

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/host_access.h"

namespace cyclone {
namespace {

// out's slices along dim, outer x indices.size() blocks of `inner` contiguous bytes.
void gather_contiguous_cpu(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices, const Tensor& out) {
  int64_t outer = 1, inner = static_cast<int64_t>(x.element_size());
  for (int64_t d = 0; d < dim; ++d) outer *= x.size(d);
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.size(d);
  const std::byte* src = host_bytes(x).data();
  std::byte* dst = host_bytes(out).data();
  const int64_t n = static_cast<int64_t>(indices.size()), size = x.size(dim);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(dst + (o * n + i) * inner, src + (o * size + indices[static_cast<size_t>(i)]) * inner,
                  static_cast<size_t>(inner));
    }
  }
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices) {
  if (!x.defined()) throw std::invalid_argument("index_select: the input is undefined");
  if (dim < 0) dim += x.dim();
  if (dim < 0 || dim >= x.dim()) {
    throw std::out_of_range("index_select: dim out of range for a tensor of shape " + shape_str(x.shape()));
  }
  for (const int64_t r : indices) {
    if (r < 0 || r >= x.size(dim)) {
      throw std::out_of_range("index_select: index " + std::to_string(r) + " out of range for size " +
                              std::to_string(x.size(dim)) + " of dim " + std::to_string(dim));
    }
  }
  Shape shape = x.shape();
  shape[static_cast<size_t>(dim)] = static_cast<int64_t>(indices.size());
  Tensor out = empty(shape, TensorOptions{}.with(x.dtype()).on(x.device()));
  if (out.numel() == 0) return out;
  if (!x.is_cuda() && x.is_contiguous()) {
    gather_contiguous_cpu(x, dim, indices, out);
    return out;
  }
  NoGradGuard no_grad;  // the slices below are plain views, not graph nodes
  for (size_t i = 0; i < indices.size(); ++i) out.select(dim, static_cast<int64_t>(i)).copy_(x.select(dim, indices[i]));
  return out;
}

}  // namespace cyclone
