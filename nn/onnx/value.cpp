// Host arrays for the ONNX importer: conversions and the structural ops (take, reshape,
// transpose, slice, concat, gather, cast, broadcasting arithmetic) used on shape values.
#include "nn/onnx/value.h"

#include <algorithm>
#include <stdexcept>

namespace cyclone::nn::onnx {

std::vector<int64_t> HostArray::as_ints(const std::string& context) const {
  if (is_float) throw std::invalid_argument(context + ": expected integer values, got floating point");
  return ints;
}

double HostArray::scalar(const std::string& context) const {
  if (numel() != 1) {
    throw std::invalid_argument(context + ": expected a single value, got shape " + shape_str(shape));
  }
  return real(0);
}

HostArray HostArray::of_ints(std::vector<int64_t> values, Shape shape) {
  HostArray h;
  h.shape = std::move(shape);
  h.ints = std::move(values);
  return h;
}

HostArray HostArray::of_reals(std::vector<double> values, Shape shape) {
  HostArray h;
  h.shape = std::move(shape);
  h.is_float = true;
  h.reals = std::move(values);
  return h;
}

HostArray HostArray::from_ndarray(const io::NdArray& a) {
  const size_t n = a.numel();
  HostArray h;
  h.shape = a.shape;
  switch (a.dtype) {
    case io::DType::f32:
      h.is_float = true;
      for (size_t i = 0; i < n; ++i) h.reals.push_back(a.at<float>(i));
      break;
    case io::DType::f64:
      h.is_float = true;
      h.reals = a.values<double>();
      break;
    case io::DType::i64:
      h.ints = a.values<int64_t>();
      break;
    case io::DType::i32:
      for (size_t i = 0; i < n; ++i) h.ints.push_back(a.at<int32_t>(i));
      break;
    case io::DType::u8:
      for (size_t i = 0; i < n; ++i) h.ints.push_back(a.at<uint8_t>(i));
      break;
    case io::DType::boolean:
      for (size_t i = 0; i < n; ++i) h.ints.push_back(a.at<bool>(i) ? 1 : 0);
      break;
  }
  return h;
}

Tensor HostArray::to_tensor(Device device) const {
  if (is_float) {
    std::vector<float> f(reals.begin(), reals.end());
    return from_vector(f, shape, TensorOptions(device));
  }
  return from_vector(ints, shape, TensorOptions(DType::i64).on(device));
}

HostArray host_take(const HostArray& a, const std::vector<size_t>& flat_indices, Shape shape) {
  HostArray out;
  out.shape = std::move(shape);
  out.is_float = a.is_float;
  for (size_t i : flat_indices) {
    if (a.is_float)
      out.reals.push_back(a.reals.at(i));
    else
      out.ints.push_back(a.ints.at(i));
  }
  return out;
}

HostArray host_reshape(const HostArray& a, Shape shape) {
  if (numel_of(shape) != static_cast<int64_t>(a.numel())) {
    throw std::invalid_argument("reshape: cannot view " + shape_str(a.shape) + " as " + shape_str(shape));
  }
  HostArray out = a;
  out.shape = std::move(shape);
  return out;
}

namespace {
// Calls f(flat output index, per-dim coordinates) for every element of `shape`, in C order.
template <class F>
void for_each_index(const Shape& shape, F&& f) {
  const int64_t n = numel_of(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    f(flat, idx);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

int64_t offset_of(const std::vector<int64_t>& idx, const Shape& strides) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * strides[d];
  return off;
}
}  // namespace

HostArray host_transpose(const HostArray& a, const std::vector<int64_t>& perm) {
  const size_t r = a.shape.size();
  if (perm.size() != r)
    throw std::invalid_argument("transpose: perm has " + std::to_string(perm.size()) + " entries for a rank-" +
                                std::to_string(r) + " array");
  const Shape strides = contiguous_strides(a.shape);
  Shape shape(r), pstrides(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t p = normalize_dim(perm[d], static_cast<int64_t>(r), "transpose");
    shape[d] = a.shape[p];
    pstrides[d] = strides[p];
  }
  std::vector<size_t> take;
  for_each_index(shape, [&](int64_t, const std::vector<int64_t>& idx) {
    take.push_back(static_cast<size_t>(offset_of(idx, pstrides)));
  });
  return host_take(a, take, shape);
}

HostArray host_slice(const HostArray& a, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                     const std::vector<int64_t>& axes, const std::vector<int64_t>& steps) {
  const Shape strides = contiguous_strides(a.shape);
  Shape shape = a.shape, first(a.shape.size(), 0), step(a.shape.size(), 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto d = static_cast<size_t>(axes[i]);
    const int64_t s = steps[i];
    const int64_t n = s > 0 ? (ends[i] - starts[i] + s - 1) / s : (starts[i] - ends[i] - s - 1) / -s;
    shape[d] = std::max<int64_t>(0, n);
    first[d] = starts[i];
    step[d] = s;
  }
  std::vector<size_t> take;
  for_each_index(shape, [&](int64_t, const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += (first[d] + idx[d] * step[d]) * strides[d];
    take.push_back(static_cast<size_t>(off));
  });
  return host_take(a, take, shape);
}

HostArray host_concat(const std::vector<HostArray>& parts, int64_t axis) {
  if (parts.empty()) throw std::invalid_argument("concat: no inputs");
  const int64_t r = static_cast<int64_t>(parts[0].shape.size());
  axis = normalize_dim(axis, r, "concat");
  Shape shape = parts[0].shape;
  shape[axis] = 0;
  bool any_float = false;
  for (const HostArray& p : parts) {
    Shape s = p.shape;
    if (static_cast<int64_t>(s.size()) != r) throw std::invalid_argument("concat: inputs differ in rank");
    shape[axis] += s[axis];
    s[axis] = parts[0].shape[axis];
    if (s != parts[0].shape)
      throw std::invalid_argument("concat: shapes " + shape_str(parts[0].shape) + " and " + shape_str(p.shape) +
                                  " differ outside the axis");
    any_float = any_float || p.is_float;
  }
  // Rows of the output: the product of dims before the axis; each row concatenates one
  // contiguous chunk from every part.
  const int64_t rows = numel_of(Shape(shape.begin(), shape.begin() + axis));
  HostArray out;
  out.shape = shape;
  out.is_float = any_float;
  for (int64_t row = 0; row < rows; ++row) {
    for (const HostArray& p : parts) {
      const int64_t chunk = numel_of(Shape(p.shape.begin() + axis, p.shape.end()));
      for (int64_t j = 0; j < chunk; ++j) {
        const auto i = static_cast<size_t>(row * chunk + j);
        if (any_float)
          out.reals.push_back(p.real(i));
        else
          out.ints.push_back(p.ints[i]);
      }
    }
  }
  return out;
}

HostArray host_gather(const HostArray& a, const HostArray& indices, int64_t axis) {
  const int64_t r = static_cast<int64_t>(a.shape.size());
  axis = normalize_dim(axis, r, "gather");
  const std::vector<int64_t> ind = indices.as_ints("gather indices");
  Shape shape(a.shape.begin(), a.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), a.shape.begin() + axis + 1, a.shape.end());
  const int64_t outer = numel_of(Shape(a.shape.begin(), a.shape.begin() + axis));
  const int64_t inner = numel_of(Shape(a.shape.begin() + axis + 1, a.shape.end()));
  std::vector<size_t> take;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k : ind) {
      if (k < 0) k += a.shape[axis];
      if (k < 0 || k >= a.shape[axis]) {
        throw std::invalid_argument("gather: index " + std::to_string(k) + " out of range for " + shape_str(a.shape));
      }
      for (int64_t j = 0; j < inner; ++j) take.push_back(static_cast<size_t>((o * a.shape[axis] + k) * inner + j));
    }
  }
  return host_take(a, take, shape);
}

HostArray host_cast(const HostArray& a, bool to_float) {
  if (a.is_float == to_float) return a;
  HostArray out;
  out.shape = a.shape;
  out.is_float = to_float;
  if (to_float) {
    for (int64_t v : a.ints) out.reals.push_back(static_cast<double>(v));
  } else {
    for (double v : a.reals) out.ints.push_back(static_cast<int64_t>(v));
  }
  return out;
}

namespace {
// Strides of `s` seen from the broadcast shape `out` (0 along broadcast dims).
Shape broadcast_strides(const Shape& s, const Shape& out) {
  const Shape st = contiguous_strides(s);
  Shape res(out.size(), 0);
  const size_t lead = out.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i) res[lead + i] = s[i] == 1 ? 0 : st[i];
  return res;
}
}  // namespace

HostArray host_binary(const HostArray& a, const HostArray& b, char op) {
  const Shape shape = broadcast_shapes(a.shape, b.shape, std::string("elementwise '") + op + "'");
  const Shape sa = broadcast_strides(a.shape, shape), sb = broadcast_strides(b.shape, shape);
  HostArray out;
  out.shape = shape;
  out.is_float = a.is_float || b.is_float;
  for_each_index(shape, [&](int64_t, const std::vector<int64_t>& idx) {
    const auto ia = static_cast<size_t>(offset_of(idx, sa)), ib = static_cast<size_t>(offset_of(idx, sb));
    if (out.is_float) {
      const double x = a.real(ia), y = b.real(ib);
      out.reals.push_back(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y);
    } else {
      const int64_t x = a.ints[ia], y = b.ints[ib];
      if (op == '/' && y == 0) throw std::invalid_argument("integer division by zero");
      out.ints.push_back(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y);
    }
  });
  return out;
}

HostArray host_map(const std::vector<const HostArray*>& args, bool float_result,
                   const std::function<double(const std::vector<double>&)>& real,
                   const std::function<int64_t(const std::vector<int64_t>&)>& integer) {
  Shape shape;
  bool all_int = true;
  for (const HostArray* a : args) {
    shape = broadcast_shapes(shape, a->shape, "elementwise inputs");
    all_int = all_int && !a->is_float;
  }
  std::vector<Shape> strides;
  for (const HostArray* a : args) strides.push_back(broadcast_strides(a->shape, shape));
  HostArray out;
  out.shape = shape;
  out.is_float = float_result;
  const bool exact_ints = !float_result && all_int && integer;
  std::vector<double> xs(args.size());
  std::vector<int64_t> ks(args.size());
  for_each_index(shape, [&](int64_t, const std::vector<int64_t>& idx) {
    for (size_t k = 0; k < args.size(); ++k) {
      const auto at = static_cast<size_t>(offset_of(idx, strides[k]));
      if (exact_ints)
        ks[k] = args[k]->ints[at];
      else
        xs[k] = args[k]->real(at);
    }
    if (exact_ints)
      out.ints.push_back(integer(ks));
    else if (float_result)
      out.reals.push_back(real(xs));
    else
      out.ints.push_back(static_cast<int64_t>(real(xs)));
  });
  return out;
}

}  // namespace cyclone::nn::onnx
