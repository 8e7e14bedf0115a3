// linear, (log_)softmax, the losses, dropout, pad and accuracy. The fused ones
// run the raw ops of tensor/dispatch_nn.h and record their backward beside them.
#include <stdexcept>
#include <string>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::nn::functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (weight.dim() != 2) throw std::invalid_argument("linear: weight must be [out, in], got " + shape_str(weight.shape()));
  if (x.dim() < 1 || x.size(-1) != weight.size(1)) {
    throw std::invalid_argument("linear: input " + shape_str(x.shape()) + " does not match weight " +
                                shape_str(weight.shape()) + " (expected last dim " + std::to_string(weight.size(1)) + ")");
  }
  Tensor y = matmul(x, weight.t());
  return bias.defined() ? add(y, bias) : y;
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  dim = normalize_dim(dim, x.dim(), "log_softmax");
  if (dim != x.dim() - 1) return log_softmax(x.transpose(dim, -1), -1).transpose(dim, -1);
  const Tensor y = dispatch::log_softmax_forward(x.detach());
  // y = x - logsumexp(x):  dx = dy - exp(y) sum(dy)
  return record("LogSoftmaxBackward", {x}, y, [y = y.detach()](const Tensor& dy) {
    return std::vector<Tensor>{dispatch::log_softmax_backward(dy, y)};
  });
}

Tensor softmax(const Tensor& x, int64_t dim) { return exp(log_softmax(x, dim)); }

Reduction parse_reduction(const std::string& name) {
  if (name == "mean") return Reduction::Mean;
  if (name == "sum") return Reduction::Sum;
  if (name == "none") return Reduction::None;
  throw std::invalid_argument("unknown reduction '" + name + "' (expected mean, sum or none)");
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction, double smoothing,
                     int64_t ignore_index) {
  if (logits.dim() != 2) throw std::invalid_argument("cross_entropy: logits must be [N, C], got " + shape_str(logits.shape()));
  if (labels.dim() != 1 || labels.size(0) != logits.size(0)) {
    throw std::invalid_argument("cross_entropy: labels must be [" + std::to_string(logits.size(0)) + "], got " +
                                shape_str(labels.shape()));
  }
  dispatch::check_dtype(labels, DType::i64, "cross_entropy", "labels");
  if (smoothing < 0 || smoothing > 1) throw std::invalid_argument("cross_entropy: label_smoothing must be in [0, 1]");
  dispatch::common_device({logits, labels}, "cross_entropy");
  const Tensor x = logits.contiguous().detach(), lab = labels.contiguous();
  const auto e = static_cast<float>(smoothing);
  const dispatch::CrossEntropyResult r = dispatch::cross_entropy_forward(x, lab, e, ignore_index);
  // With smoothing e and C classes: loss = lse - (1-e) x[label] - e/C sum_j x_j, so
  //   dx_j = dloss (softmax_j - (1-e)[j == label] - e/C);  ignored rows get 0.
  Tensor per_row = record("CrossEntropyBackward", {logits}, r.loss, [x, lab, lse = r.lse, e, ignore_index](const Tensor& dl) {
    return std::vector<Tensor>{dispatch::cross_entropy_backward(dl, x, lse, lab, e, ignore_index)};
  });
  if (reduction == Reduction::None) return per_row;
  if (reduction == Reduction::Sum) return sum(per_row);
  // Mean over the rows that count (ignore_index rows are excluded, as in PyTorch).
  const Tensor counted = sum(ne(lab, full({}, static_cast<double>(ignore_index), lab.device())).to(DType::f32));
  return div(sum(per_row), counted);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (input.shape() != target.shape()) {
    throw std::invalid_argument("mse_loss: input " + shape_str(input.shape()) + " and target " +
                                shape_str(target.shape()) + " differ");
  }
  const Tensor sq = square(sub(input, target));
  if (reduction == Reduction::None) return sq;
  return reduction == Reduction::Sum ? sum(sq) : mean(sq);
}

Tensor dropout(const Tensor& x, double p, bool training) {
  if (p < 0 || p > 1) throw std::invalid_argument("dropout: p must be in [0, 1], got " + std::to_string(p));
  if (!training || p == 0) return x;
  if (p == 1) return mul(x, 0.0);
  Tensor keep;
  {
    NoGradGuard no_grad;
    keep = ge(rand(x.shape(), TensorOptions().on(x.device())), full({}, p, x.device())).to(DType::f32);
    keep = mul(keep, 1.0 / (1.0 - p));
  }
  return mul(x, keep);  // d/dx = keep / (1 - p), via mul's backward
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size()) > 2 * x.dim()) {
    throw std::invalid_argument("pad: expected an even number of pads, at most 2 per dim, for input " + shape_str(x.shape()));
  }
  Shape out = x.shape();
  for (size_t i = 0; i < pads.size(); ++i) {
    if (pads[i] < 0) throw std::invalid_argument("pad: negative padding is not supported");
    out[x.dim() - 1 - static_cast<int64_t>(i / 2)] += pads[i];
  }
  Tensor y = full(out, value, TensorOptions().on(x.device()));
  Tensor window = y;
  for (size_t i = 0; i < pads.size(); i += 2) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(i / 2);
    window = window.slice(d, pads[i], pads[i] + x.size(d));
  }
  {
    NoGradGuard no_grad;
    window.copy_(x);
  }
  // d/dx: the gradient's window at the original position.
  return record("PadBackward", {x}, y, [pads, in = x.shape()](const Tensor& g) {
    Tensor w = g;
    for (size_t i = 0; i < pads.size(); i += 2) {
      const int64_t d = static_cast<int64_t>(in.size()) - 1 - static_cast<int64_t>(i / 2);
      w = w.slice(d, pads[i], pads[i] + in[d]);
    }
    return std::vector<Tensor>{w.contiguous()};
  });
}

int64_t correct_count(const Tensor& logits, const Tensor& labels) {
  NoGradGuard no_grad;
  if (logits.dim() != 2 || labels.dim() != 1 || labels.size(0) != logits.size(0)) {
    throw std::invalid_argument("accuracy: expected logits [N, C] and labels [N], got " + shape_str(logits.shape()) +
                                " and " + shape_str(labels.shape()));
  }
  const Tensor pred = argmax(logits, 1);
  return static_cast<int64_t>(sum(eq(pred, labels).to(DType::f32)).item());
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const int64_t n = logits.size(0);
  return n == 0 ? 0.0 : static_cast<double>(correct_count(logits, labels)) / static_cast<double>(n);
}

}  // namespace cyclone::nn::functional
