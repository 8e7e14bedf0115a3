// Dispatch for log-softmax and the fused softmax cross-entropy
// (kernels/nn_contract.h): checks, dense inputs, output allocation, backend call.
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::dispatch {
namespace {

// The [rows, cols] matrix of a tensor whose last dim is the softmax dim.
struct Rows {
  int64_t rows, cols;
};

Rows rows_of(const Tensor& x) {
  const int64_t cols = x.dim() == 0 ? 1 : x.size(-1);
  return {cols == 0 ? 0 : x.numel() / cols, cols};
}

void check_same_shape(const Tensor& t, const Tensor& like, const char* op, const char* arg) {
  if (t.shape() != like.shape()) {
    throw std::invalid_argument(std::string(op) + ": " + arg + " must be " + shape_str(like.shape()) + ", got " +
                                shape_str(t.shape()));
  }
}

// logits [N, C] float32 and labels [N] int64, dense.
void check_logits(const Tensor& x, const Tensor& labels, const char* op) {
  if (x.dim() != 2) throw std::invalid_argument(std::string(op) + ": logits must be [N, C], got " + shape_str(x.shape()));
  if (labels.dim() != 1 || labels.size(0) != x.size(0)) {
    throw std::invalid_argument(std::string(op) + ": labels must be [" + std::to_string(x.size(0)) + "], got " +
                                shape_str(labels.shape()));
  }
}

}  // namespace

Tensor log_softmax_forward(const Tensor& x0) {
  NoGradGuard no_grad;
  const Tensor x = dense(x0, DType::f32, "log_softmax", "input");
  const Rows r = rows_of(x);
  Tensor y = empty(x.shape(), TensorOptions().on(x.device()));
  if (r.rows > 0) CYCLONE_CALL(x.device(), log_softmax_forward, x.data<float>(), r.rows, r.cols, y.data<float>());
  return y;
}

Tensor log_softmax_backward(const Tensor& dy0, const Tensor& y0) {
  NoGradGuard no_grad;
  const Device dev = common_device({dy0, y0}, "log_softmax backward");
  const Tensor dy = dense(dy0, DType::f32, "log_softmax backward", "grad");
  const Tensor y = dense(y0, DType::f32, "log_softmax backward", "output");
  check_same_shape(dy, y, "log_softmax backward", "grad");
  const Rows r = rows_of(y);
  Tensor dx = empty(y.shape(), TensorOptions().on(dev));
  if (r.rows > 0) CYCLONE_CALL(dev, log_softmax_backward, dy.data<float>(), y.data<float>(), r.rows, r.cols, dx.data<float>());
  return dx;
}

CrossEntropyResult cross_entropy_forward(const Tensor& logits, const Tensor& labels, float smoothing,
                                         int64_t ignore_index) {
  NoGradGuard no_grad;
  const Device dev = common_device({logits, labels}, "cross_entropy");
  const Tensor x = dense(logits, DType::f32, "cross_entropy", "logits");
  const Tensor lab = dense(labels, DType::i64, "cross_entropy", "labels");
  check_logits(x, lab, "cross_entropy");
  const int64_t rows = x.size(0), cols = x.size(1);
  CrossEntropyResult r{empty({rows}, TensorOptions().on(dev)), empty({rows}, TensorOptions().on(dev))};
  if (rows > 0) {
    CYCLONE_CALL(dev, cross_entropy_forward, x.data<float>(), lab.data<int64_t>(), rows, cols, smoothing, ignore_index,
                 r.loss.data<float>(), r.lse.data<float>());
  }
  return r;
}

Tensor cross_entropy_backward(const Tensor& dloss0, const Tensor& logits, const Tensor& lse0, const Tensor& labels,
                              float smoothing, int64_t ignore_index) {
  NoGradGuard no_grad;
  const Device dev = common_device({dloss0, logits, lse0, labels}, "cross_entropy backward");
  const Tensor x = dense(logits, DType::f32, "cross_entropy backward", "logits");
  const Tensor lab = dense(labels, DType::i64, "cross_entropy backward", "labels");
  check_logits(x, lab, "cross_entropy backward");
  const Tensor dl = dense(dloss0, DType::f32, "cross_entropy backward", "grad");
  const Tensor lse = dense(lse0, DType::f32, "cross_entropy backward", "lse");
  check_same_shape(dl, lab, "cross_entropy backward", "grad");
  check_same_shape(lse, lab, "cross_entropy backward", "lse");
  const int64_t rows = x.size(0), cols = x.size(1);
  Tensor dx = empty({rows, cols}, TensorOptions().on(dev));
  if (rows > 0) {
    CYCLONE_CALL(dev, cross_entropy_backward, dl.data<float>(), x.data<float>(), lse.data<float>(), lab.data<int64_t>(),
                 rows, cols, smoothing, ignore_index, dx.data<float>());
  }
  return dx;
}

}  // namespace cyclone::dispatch
