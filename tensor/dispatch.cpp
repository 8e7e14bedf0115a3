// Backend selection and output allocation for the raw (non-autograd) ops.
#include "tensor/dispatch.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "kernels/cuda_runtime.h"
#include "tensor/dispatch_call.h"
#include "tensor/rng.h"

namespace cyclone::dispatch {
namespace {

void check_rank(const Shape& s, const char* op) {
  if (static_cast<int>(s.size()) > kernels::kMaxDims) {
    throw std::invalid_argument(std::string(op) + ": tensors with more than " +
                                std::to_string(kernels::kMaxDims) + " dims are not supported, got " +
                                shape_str(s));
  }
}

Tensor as_f32(const Tensor& t) { return t.dtype() == DType::f32 ? t : t.to(DType::f32); }

}  // namespace

kernels::Layout layout_of(const Tensor& t, const Shape& out_shape) {
  check_rank(out_shape, "layout");
  kernels::Layout l;
  l.ndim = static_cast<int>(out_shape.size());
  const Shape& s = t.shape();
  const Shape& st = t.strides();
  const size_t lead = out_shape.size() - s.size();
  for (size_t i = 0; i < out_shape.size(); ++i) {
    l.sizes[i] = out_shape[i];
    if (i < lead) {
      l.strides[i] = 0;
    } else {
      const int64_t d = s[i - lead];
      l.strides[i] = (d == 1 && out_shape[i] != 1) ? 0 : st[i - lead];
    }
  }
  l.contiguous = s == out_shape && t.is_contiguous();
  return l;
}

Device common_device(const std::vector<Tensor>& ts, const char* op) {
  const Tensor* first = nullptr;
  for (const Tensor& t : ts) {
    if (!t.defined()) continue;
    if (!first) {
      first = &t;
    } else if (!(t.device() == first->device())) {
      throw std::invalid_argument(std::string(op) + ": expected all tensors on one device, got " +
                                  first->device().str() + " and " + t.device().str() +
                                  " (move them explicitly with .to(device))");
    }
  }
  return first ? first->device() : kCPU;
}

void check_dtype(const Tensor& t, DType want, const char* op, const char* arg) {
  if (t.dtype() != want) {
    throw std::invalid_argument(std::string(op) + ": " + arg + " must be " + dtype_name(want) + ", got " +
                                dtype_name(t.dtype()) + " with shape " + shape_str(t.shape()));
  }
}

Tensor dense(const Tensor& t, DType want, const char* op, const char* arg) {
  check_dtype(t, want, op, arg);
  return t.contiguous();
}

void check_shape(const Tensor& t, const Shape& want, const char* op, const char* arg) {
  if (t.shape() != want) {
    throw std::invalid_argument(std::string(op) + ": " + arg + " must be " + shape_str(want) + ", got " +
                                shape_str(t.shape()));
  }
}

Tensor unary(UnaryOp op, const Tensor& x0, float a, float b) {
  NoGradGuard no_grad;
  const Tensor x = as_f32(x0);
  check_rank(x.shape(), "unary op");
  Tensor y = empty(x.shape(), TensorOptions().on(x.device()));
  if (y.numel() == 0) return y;
  CYCLONE_CALL(x.device(), unary, op, x.data<float>(), layout_of(x, x.shape()), y.data<float>(), y.numel(), a, b);
  return y;
}

Tensor binary(BinaryOp op, const Tensor& x0, const Tensor& y0, float alpha) {
  NoGradGuard no_grad;
  const Device dev = common_device({x0, y0}, "binary op");
  const Tensor x = as_f32(x0), y = as_f32(y0);
  const Shape out = broadcast_shapes(x.shape(), y.shape(), "binary op");
  Tensor z = empty(out, TensorOptions().on(dev));
  if (z.numel() == 0) return z;
  CYCLONE_CALL(dev, binary, op, x.data<float>(), layout_of(x, out), y.data<float>(), layout_of(y, out),
               z.data<float>(), z.numel(), alpha);
  return z;
}

Tensor compare(CompareOp op, const Tensor& x0, const Tensor& y0) {
  NoGradGuard no_grad;
  const Device dev = common_device({x0, y0}, "compare");
  const Tensor x = as_f32(x0), y = as_f32(y0);
  const Shape out = broadcast_shapes(x.shape(), y.shape(), "compare");
  Tensor z = empty(out, TensorOptions(DType::u8).on(dev));
  if (z.numel() == 0) return z;
  CYCLONE_CALL(dev, compare, op, x.data<float>(), layout_of(x, out), y.data<float>(), layout_of(y, out),
               z.data<uint8_t>(), z.numel());
  return z;
}

Tensor where(const Tensor& c0, const Tensor& x0, const Tensor& y0) {
  NoGradGuard no_grad;
  const Device dev = common_device({c0, x0, y0}, "where");
  const Tensor c = c0.dtype() == DType::u8 ? c0 : dispatch::compare(CompareOp::Ne, c0, zeros({}, c0.device()));
  const Tensor x = as_f32(x0), y = as_f32(y0);
  const Shape out = broadcast_shapes(broadcast_shapes(c.shape(), x.shape(), "where"), y.shape(), "where");
  Tensor z = empty(out, TensorOptions().on(dev));
  if (z.numel() == 0) return z;
  CYCLONE_CALL(dev, where, c.data<uint8_t>(), layout_of(c, out), x.data<float>(), layout_of(x, out),
               y.data<float>(), layout_of(y, out), z.data<float>(), z.numel());
  return z;
}

namespace {
// Normalises and sorts `dims`; empty means every dim.
std::vector<int64_t> reduce_dims(const Tensor& x, std::vector<int64_t> dims, const char* op) {
  if (dims.empty()) {
    dims.resize(x.dim());
    std::iota(dims.begin(), dims.end(), 0);
  }
  for (auto& d : dims) d = normalize_dim(d, x.dim(), op);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end()) {
    throw std::invalid_argument(std::string(op) + ": a dim is repeated in the reduction list");
  }
  return dims;
}

// Moves the reduced dims last and returns the contiguous [rows, cols] matrix.
Tensor rows_for(const Tensor& x, const std::vector<int64_t>& dims, int64_t& rows, int64_t& cols, Shape& out,
                bool keepdim) {
  std::vector<int64_t> perm;
  rows = 1;
  cols = 1;
  out.clear();
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) {
      perm.push_back(d);
      rows *= x.size(d);
      out.push_back(x.size(d));
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  for (int64_t d : dims) {
    perm.push_back(d);
    cols *= x.size(d);
  }
  return x.permute(perm).contiguous();
}
}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x0, std::vector<int64_t> dims, bool keepdim) {
  NoGradGuard no_grad;
  const Tensor x = as_f32(x0);
  dims = reduce_dims(x, std::move(dims), "reduce");
  int64_t rows = 0, cols = 0;
  Shape out;
  const Tensor m = rows_for(x, dims, rows, cols, out, keepdim);
  if (cols == 0 && (op == ReduceOp::Max || op == ReduceOp::Min)) {
    throw std::invalid_argument("max/min: cannot reduce over an empty dim of shape " + shape_str(x.shape()));
  }
  Tensor y = empty(out, TensorOptions().on(x.device()));
  if (rows == 0) return y;
  CYCLONE_CALL(x.device(), reduce_rows, op, m.data<float>(), y.data<float>(), rows, cols);
  return y;
}

Tensor argmax(const Tensor& x0, int64_t dim, bool keepdim) {
  NoGradGuard no_grad;
  const Tensor x = as_f32(x0);
  dim = normalize_dim(dim, x.dim(), "argmax");
  if (x.size(dim) == 0) throw std::invalid_argument("argmax: dim " + std::to_string(dim) + " is empty");
  int64_t rows = 0, cols = 0;
  Shape out;
  const Tensor m = rows_for(x, {dim}, rows, cols, out, keepdim);
  Tensor y = empty(out, TensorOptions(DType::i64).on(x.device()));
  if (rows == 0) return y;
  CYCLONE_CALL(x.device(), argmax_rows, m.data<float>(), y.data<int64_t>(), rows, cols);
  return y;
}

}  // namespace cyclone::dispatch
