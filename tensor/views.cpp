// Views: new shape/strides/offset over the same storage, each recorded for
// autograd with the backward that maps the gradient back to the input's shape.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace cyclone {
namespace {

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->device = base.device();
  return Tensor(impl);
}

// Resolves one -1 entry and checks the element count.
Shape infer_shape(const Shape& in, Shape shape, int64_t numel, const char* op) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw std::invalid_argument(std::string(op) + ": only one dim can be -1");
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      throw std::invalid_argument(std::string(op) + ": invalid size in " + shape_str(shape));
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) {
      throw std::invalid_argument(std::string(op) + ": shape " + shape_str(shape) + " is invalid for input of shape " +
                                  shape_str(in));
    }
    shape[infer] = numel / known;
  }
  if (numel_of(shape) != numel) {
    throw std::invalid_argument(std::string(op) + ": shape " + shape_str(shape) + " is invalid for input of shape " +
                                shape_str(in) + " (" + std::to_string(numel) + " elements)");
  }
  return shape;
}

// Strides for viewing (shape, strides) as new_shape without a copy, if possible
// (the same rule as PyTorch's computeStride).
bool view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& new_shape, Shape& out) {
  out.assign(new_shape.size(), 0);
  if (numel_of(old_shape) <= 1 || is_dense_layout(old_shape, old_strides)) {
    out = contiguous_strides(new_shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Tensor::view(const Shape& shape0) const {
  const Shape shape = infer_shape(this->shape(), shape0, numel(), "view");
  Shape st;
  if (!view_strides(this->shape(), strides(), shape, st)) {
    throw std::invalid_argument("view: shape " + shape_str(shape) + " is not compatible with the strides of input " +
                                shape_str(this->shape()) + "; use reshape() (which copies) instead");
  }
  const Shape in = this->shape();
  // d(view)/dx: the gradient is reshaped back.
  return record("ViewBackward", {*this}, make_view(*this, shape, st, offset()),
                [in](const Tensor& g) { return std::vector<Tensor>{g.reshape(in)}; });
}

Tensor Tensor::reshape(const Shape& shape0) const {
  const Shape shape = infer_shape(this->shape(), shape0, numel(), "reshape");
  Shape st;
  if (view_strides(this->shape(), strides(), shape, st)) return view(shape);
  return contiguous().view(shape);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims0) const {
  if (static_cast<int64_t>(dims0.size()) != dim()) {
    throw std::invalid_argument("permute: got " + std::to_string(dims0.size()) + " dims for a tensor of shape " +
                                shape_str(shape()));
  }
  std::vector<int64_t> dims(dims0.size()), inverse(dims0.size(), -1);
  Shape s(dims.size()), st(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    dims[i] = normalize_dim(dims0[i], dim(), "permute");
    if (inverse[dims[i]] != -1) throw std::invalid_argument("permute: dim repeated in the permutation");
    inverse[dims[i]] = static_cast<int64_t>(i);
    s[i] = shape()[dims[i]];
    st[i] = strides()[dims[i]];
  }
  // The gradient is permuted back with the inverse permutation.
  return record("PermuteBackward", {*this}, make_view(*this, s, st, offset()),
                [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> p(dim());
  std::iota(p.begin(), p.end(), 0);
  std::swap(p[normalize_dim(d0, dim(), "transpose")], p[normalize_dim(d1, dim(), "transpose")]);
  return permute(p);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = normalize_dim(d, dim(), "slice");
  if (step <= 0) throw std::invalid_argument("slice: step must be positive, got " + std::to_string(step));
  const int64_t n = size(d);
  auto clampi = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  start = clampi(start);
  end = std::max(clampi(end), start);
  Shape s = shape(), st = strides();
  s[d] = (end - start + step - 1) / step;
  st[d] = strides()[d] * step;
  const Shape in = shape();
  // The gradient lands in the sliced positions of a zero tensor of the input's shape.
  return record("SliceBackward", {*this}, make_view(*this, s, st, offset() + start * strides()[d]),
                [in, d, start, end, step](const Tensor& g) {
                  Tensor gx = zeros(in, TensorOptions().on(g.device()));
                  gx.slice(d, start, end, step).copy_(g);
                  return std::vector<Tensor>{gx};
                });
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = normalize_dim(d, dim(), "select");
  const int64_t n = size(d);
  if (index < -n || index >= n) {
    throw std::out_of_range("select: index " + std::to_string(index) + " is out of range for dim " +
                            std::to_string(d) + " of size " + std::to_string(n));
  }
  if (index < 0) index += n;
  return slice(d, index, index + 1).squeeze(d);
}

Tensor Tensor::expand(const Shape& shape0) const {
  if (shape0.size() < shape().size()) {
    throw std::invalid_argument("expand: target " + shape_str(shape0) + " has fewer dims than " + shape_str(shape()));
  }
  const size_t lead = shape0.size() - shape().size();
  Shape s(shape0.size()), st(shape0.size());
  for (size_t i = 0; i < shape0.size(); ++i) {
    const int64_t cur = i < lead ? 1 : shape()[i - lead];
    const int64_t want = shape0[i] == -1 ? cur : shape0[i];
    if (i < lead && shape0[i] == -1) throw std::invalid_argument("expand: -1 not allowed in new leading dims");
    if (cur != want && cur != 1) {
      throw std::invalid_argument("expand: cannot expand " + shape_str(shape()) + " to " + shape_str(shape0));
    }
    s[i] = want;
    st[i] = i < lead || (cur == 1 && want != 1) ? 0 : strides()[i - lead];
  }
  const Shape in = shape();
  // Broadcast gradient: sum over the expanded dims.
  return record("ExpandBackward", {*this}, make_view(*this, s, st, offset()),
                [in](const Tensor& g) { return std::vector<Tensor>{sum_to(g, in)}; });
}

Tensor Tensor::squeeze(int64_t d) const {
  d = normalize_dim(d, dim(), "squeeze");
  if (size(d) != 1) return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = normalize_dim(d, dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return view(s);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = normalize_dim(start, dim(), "flatten");
  end = normalize_dim(end, dim(), "flatten");
  Shape s(shape().begin(), shape().begin() + start);
  int64_t n = 1;
  for (int64_t i = start; i <= end; ++i) n *= size(i);
  s.push_back(n);
  s.insert(s.end(), shape().begin() + end + 1, shape().end());
  return reshape(s);
}

Tensor Tensor::flip(int64_t d) const {
  d = normalize_dim(d, dim(), "flip");
  Shape st = strides();
  const int64_t n = size(d);
  st[d] = -st[d];
  const int64_t off = n > 0 ? offset() + (n - 1) * strides()[d] : offset();
  // Flipping is its own inverse: the gradient is flipped back.
  return record("FlipBackward", {*this}, make_view(*this, shape(), st, off),
                [d](const Tensor& g) { return std::vector<Tensor>{g.flip(d)}; });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), TensorOptions(dtype()).on(device()));
  dispatch::copy(out, *this);
  return record("CloneBackward", {*this}, out, [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  Tensor out = empty(shape(), TensorOptions(dtype()).on(d));
  dispatch::copy(out, *this);
  const Device from = device();
  // Crossing devices is the identity on values; the gradient crosses back.
  return record("ToDeviceBackward", {*this}, out, [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
}

Tensor Tensor::to(DType t) const {
  if (dtype() == t) return *this;
  Tensor out = empty(shape(), TensorOptions(t).on(device()));
  dispatch::copy(out, *this);
  return out;  // casts to integer types are not differentiable
}

}  // namespace cyclone
