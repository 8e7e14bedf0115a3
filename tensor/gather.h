// index_select: the slices of a tensor at a list of indices along one dim, gathered
// into a new tensor (e.g. the rows of a batch, in a shuffled order).
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace cyclone {

// out.select(dim, i) = x.select(dim, indices[i]), as torch.index_select: same dtype and
// device as x, out.size(dim) = indices.size(). Indices may repeat; each must lie in
// [0, x.size(dim)), else std::out_of_range. Not differentiable (the result is a new leaf).
Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices);

}  // namespace cyclone
