// PyTorch-style printing: tensor([[...]], device='cuda:0', requires_grad=True),
// with the middle of long dims elided ("...") once a tensor exceeds 1000 values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/node.h"
#include "tensor/tensor.h"

namespace cyclone {
namespace {

constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdge = 3;

struct Formatter {
  DType dtype;
  bool integral = true, sci = false;
  size_t width = 1;

  std::string raw(double v) const {
    char buf[64];
    if (dtype != DType::f32) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else if (std::isnan(v)) {
      std::snprintf(buf, sizeof buf, "nan");
    } else if (std::isinf(v)) {
      std::snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
    } else if (sci) {
      std::snprintf(buf, sizeof buf, "%.4e", v);
    } else if (integral) {
      std::snprintf(buf, sizeof buf, "%.0f.", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.4f", v);
    }
    return buf;
  }
  std::string operator()(double v) const {
    std::string s = raw(v);
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  const Formatter& fmt;
  bool summarize;
  std::ostringstream out;

  // Index ranges to show along a dim of size n.
  std::vector<int64_t> shown(int64_t n) const {
    std::vector<int64_t> idx;
    if (!summarize || n <= 2 * kEdge) {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < kEdge; ++i) idx.push_back(i);
      idx.push_back(-1);  // the ellipsis
      for (int64_t i = n - kEdge; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void print(size_t dim, int64_t base, int indent) {
    if (dim == shape.size()) {
      out << fmt(values[base]);
      return;
    }
    int64_t stride = 1;
    for (size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
    out << "[";
    const auto idx = shown(shape[dim]);
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k > 0) {
        out << ",";
        if (dim + 1 == shape.size()) {
          out << " ";
        } else {
          out << std::string(shape.size() - dim - 1, '\n') << std::string(indent + 1, ' ');
        }
      }
      if (idx[k] < 0) {
        out << "...";
      } else {
        print(dim + 1, base + idx[k] * stride, indent + 1);
      }
    }
    out << "]";
  }
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const Tensor host = detach().to(DType::f32).cpu().contiguous();
  const std::vector<float> fv = host.to_vector<float>();
  const std::vector<double> v(fv.begin(), fv.end());
  const bool summarize = numel() > kThreshold;
  Formatter fmt{dtype()};
  double max_abs = 0, min_abs = INFINITY;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    if (x != std::floor(x)) fmt.integral = false;
    max_abs = std::max(max_abs, std::fabs(x));
    if (x != 0) min_abs = std::min(min_abs, std::fabs(x));
  }
  if (dtype() == DType::f32 && (max_abs >= 1e8 || (!fmt.integral && min_abs < 1e-4) ||
                                (min_abs > 0 && max_abs / min_abs > 1e5 && !fmt.integral))) {
    fmt.sci = true;
  }
  for (double x : v) fmt.width = std::max(fmt.width, fmt.raw(x).size());
  Printer p{v, shape(), fmt, summarize, {}};
  p.out << "tensor(";
  if (dim() == 0) {
    p.out << fmt.raw(v[0]);
  } else {
    p.print(0, 0, 7);
  }
  if (summarize) p.out << ", shape=" << shape_str(shape());
  if (device().is_cuda()) p.out << ", device='" << device().str() << "'";
  if (dtype() != DType::f32) p.out << ", dtype=" << dtype_name(dtype());
  if (grad_fn()) {
    p.out << ", grad_fn=<" << grad_fn()->name() << ">";
  } else if (requires_grad()) {
    p.out << ", requires_grad=True";
  }
  p.out << ")";
  return p.out.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace cyclone
