// Differentiable index_select: the gather of tensor/gather.h, with its adjoint (a scatter-add
// of the gradient's slices) built from the reduction and copy dispatch, so it runs on any device.
#include <map>
#include <vector>

#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/gather.h"

namespace cyclone::nn::functional {
namespace {

// dx for dy = x.index_select(dim, indices): each source slice s gets the sum of the dy slices
// that read it. The outputs of one source usually form one run (i, i+1, ...), as they do in
// resizing; a run is summed by one reduction, any other output is added on its own.
Tensor scatter_add_slices(const Tensor& dy, const Shape& x_shape, int64_t dim, const std::vector<int64_t>& indices) {
  NoGradGuard no_grad;
  Tensor dx = zeros(x_shape, TensorOptions().on(dy.device()));
  std::map<int64_t, std::vector<int64_t>> readers;  // source -> the outputs that read it, ascending
  for (size_t i = 0; i < indices.size(); ++i) readers[indices[i]].push_back(static_cast<int64_t>(i));
  for (const auto& [src, outs] : readers) {
    Tensor acc;
    size_t a = 0;
    while (a < outs.size()) {
      size_t b = a + 1;
      while (b < outs.size() && outs[b] == outs[b - 1] + 1) ++b;
      const int64_t len = static_cast<int64_t>(b - a);
      const Tensor part = len == 1
                              ? dy.select(dim, outs[a])
                              : dispatch::reduce(dispatch::ReduceOp::Sum, dy.narrow(dim, outs[a], len), {dim}, false);
      acc = acc.defined() ? dispatch::binary(dispatch::BinaryOp::Add, acc, part) : part;
      a = b;
    }
    dx.select(dim, src).copy_(acc);
  }
  return dx;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices) {
  const Tensor out = cyclone::index_select(x.detach(), dim, indices);
  if (dim < 0) dim += x.dim();
  // y.select(dim, i) = x.select(dim, indices[i]), so dx.select(dim, s) = sum over {i : indices[i] = s} of
  // dy.select(dim, i).
  return record("IndexSelectBackward", {x}, out, [shape = x.shape(), dim, indices](const Tensor& dy) {
    return std::vector<Tensor>{scatter_add_slices(dy, shape, dim, indices)};
  });
}

}  // namespace cyclone::nn::functional
