// Reductions, matmul and joining ops with their derivatives, plus sum_to,
// which undoes broadcasting in every backward.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "tensor/dispatch.h"

namespace cyclone {
using dispatch::ReduceOp;
using Grads = std::vector<Tensor>;

namespace {
// Shape of x after reducing `dims` with keepdim=true (used to re-expand grads).
Shape keepdim_shape(const Shape& in, std::vector<int64_t> dims) {
  Shape s = in;
  if (dims.empty()) {
    std::fill(s.begin(), s.end(), 1);
    return s;
  }
  for (int64_t d : dims) s[normalize_dim(d, static_cast<int64_t>(in.size()), "reduce")] = 1;
  return s;
}
int64_t reduced_count(const Shape& in, const Shape& kept) { return numel_of(in) / std::max<int64_t>(1, numel_of(kept)); }
}  // namespace

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0) throw std::logic_error("sum_to: gradient has fewer dims than " + shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && grad.size(i) != 1)) dims.push_back(i);
  }
  Tensor r = dims.empty() ? grad : dispatch::reduce(ReduceOp::Sum, grad, dims, true);
  return r.reshape(shape);
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  // d sum(x)/dx = 1 for every summed element: expand the gradient back.
  const Shape kept = keepdim_shape(x.shape(), dims);
  return record("SumBackward", {x}, dispatch::reduce(ReduceOp::Sum, x, dims, keepdim),
                [kept, in = x.shape()](const Tensor& g) { return Grads{g.reshape(kept).expand(in)}; });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  // d mean(x)/dx = 1/n for every averaged element.
  const Shape kept = keepdim_shape(x.shape(), dims);
  const double n = static_cast<double>(reduced_count(x.shape(), kept));
  return record("MeanBackward", {x}, dispatch::reduce(ReduceOp::Mean, x, dims, keepdim),
                [kept, n, in = x.shape()](const Tensor& g) { return Grads{mul(g.reshape(kept), 1.0 / n).expand(in)}; });
}

static Tensor extreme(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool is_max) {
  // d amax(x)/dx = 1 at the maximal elements, shared evenly among ties (as torch.amax).
  const Shape kept = keepdim_shape(x.shape(), dims);
  Tensor y = dispatch::reduce(is_max ? ReduceOp::Max : ReduceOp::Min, x, dims, keepdim);
  return record(is_max ? "AmaxBackward" : "AminBackward", {x}, y,
                [kept, x = x.detach(), y = y.detach(), dims](const Tensor& g) {
                  const Tensor mask = eq(x, y.reshape(kept)).to(DType::f32);
                  const Tensor count = dispatch::reduce(ReduceOp::Sum, mask, dims, true);
                  return Grads{mul(div(mask, count), g.reshape(kept))};
                });
}
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) { return extreme(x, dims, keepdim, true); }
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) { return extreme(x, dims, keepdim, false); }

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  // y = log sum exp(x) (computed as m + log sum exp(x - m)); dy/dx = exp(x - y) = softmax(x)
  const Shape kept = keepdim_shape(x.shape(), dims);
  Tensor y = dispatch::reduce(ReduceOp::LogSumExp, x, dims, keepdim);
  return record("LogSumExpBackward", {x}, y, [kept, x = x.detach(), y = y.detach()](const Tensor& g) {
    return Grads{mul(g.reshape(kept), exp(sub(x, y.reshape(kept))))};
  });
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) { return dispatch::argmax(x, dim, keepdim); }

// The 2-D-or-more product; 1-D operands are handled in matmul() with views.
static Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  // C = A B:  dA = dC B^T,  dB = A^T dC  (summed over broadcast batch dims)
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  return record("MatmulBackward", {a, b}, dispatch::matmul(a, b),
                [a = a.detach(), b = b.detach(), ga, gb](const Tensor& g) {
                  return Grads{ga ? sum_to(dispatch::matmul(g, b.transpose(-1, -2)), a.shape()) : Tensor(),
                               gb ? sum_to(dispatch::matmul(a.transpose(-1, -2), g), b.shape()) : Tensor()};
                });
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0) throw std::invalid_argument("matmul: operands must have at least 1 dim");
  const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(-1) : b;
  Tensor c = matmul_nd(a2, b2);
  if (a.dim() == 1) c = c.squeeze(-2);
  if (b.dim() == 1) c = c.squeeze(-1);
  return c;
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw std::invalid_argument("cat: expected at least one tensor");
  const Device dev = dispatch::common_device(xs, "cat");
  dim = normalize_dim(dim, xs[0].dim(), "cat");
  Shape out = xs[0].shape();
  int64_t total = 0;
  for (const Tensor& t : xs) {
    Shape s = t.shape();
    if (s.size() != out.size()) throw std::invalid_argument("cat: tensors must have the same number of dims");
    s[dim] = out[dim];
    if (s != out) {
      throw std::invalid_argument("cat: shapes " + shape_str(xs[0].shape()) + " and " + shape_str(t.shape()) +
                                  " differ outside dim " + std::to_string(dim));
    }
    total += t.size(dim);
  }
  out[dim] = total;
  Tensor y = empty(out, TensorOptions(xs[0].dtype()).on(dev));
  std::vector<int64_t> sizes;
  {
    NoGradGuard ng;
    int64_t at = 0;
    for (const Tensor& t : xs) {
      y.slice(dim, at, at + t.size(dim)).copy_(t);
      at += t.size(dim);
      sizes.push_back(t.size(dim));
    }
  }
  // d cat/dx_i = the matching slice of the gradient.
  return record("CatBackward", xs, y, [sizes, dim](const Tensor& g) {
    Grads parts;
    int64_t at = 0;
    for (int64_t n : sizes) {
      parts.push_back(g.slice(dim, at, at + n));
      at += n;
    }
    return parts;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw std::invalid_argument("stack: expected at least one tensor");
  std::vector<Tensor> us;
  for (const Tensor& t : xs) us.push_back(t.unsqueeze(dim));
  return cat(us, dim);
}

}  // namespace cyclone
