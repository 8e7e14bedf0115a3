// Dispatch for the convolution passes (kernels/nn_contract.h): checks the
// tensors against the ConvShape, makes them dense, allocates the output and
// the backend's workspace, and calls conv2d_forward / conv2d_backward_input /
// conv2d_backward_weight on their device.
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::dispatch {
namespace {

Shape input_shape(const ConvShape& s) { return {s.g.n, s.g.c, s.g.h, s.g.w}; }
Shape weight_shape(const ConvShape& s) { return {s.k, s.g.c / s.groups, s.g.kh, s.g.kw}; }
Shape output_shape(const ConvShape& s) { return {s.g.n, s.k, s.g.out_h(), s.g.out_w()}; }

// t as a dense float32 tensor of shape `want`, or an error naming op and arg.
Tensor checked(const Tensor& t, const Shape& want, const char* op, const char* arg) {
  const Tensor d = dense(t, DType::f32, op, arg);
  check_shape(d, want, op, arg);
  return d;
}

void check_groups(const ConvShape& s, const char* op) {
  if (s.groups < 1 || s.g.c % s.groups != 0 || s.k % s.groups != 0) {
    throw std::invalid_argument(std::string(op) + ": groups=" + std::to_string(s.groups) + " must divide " +
                                std::to_string(s.g.c) + " input and " + std::to_string(s.k) + " output channels");
  }
}

// The backend's scratch memory for shape s on `device` (undefined when it needs none).
Tensor workspace(Device device, const ConvShape& s) {
  const int64_t floats = CYCLONE_CALL(device, conv2d_workspace_size, s);
  return floats > 0 ? empty({floats}, TensorOptions().on(device)) : Tensor();
}

float* ptr(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

Tensor conv2d_forward(const Tensor& x0, const Tensor& w0, const ConvShape& s) {
  NoGradGuard no_grad;
  check_groups(s, "conv2d");
  const Device dev = common_device({x0, w0}, "conv2d");
  const Tensor x = checked(x0, input_shape(s), "conv2d", "input");
  const Tensor w = checked(w0, weight_shape(s), "conv2d", "weight");
  Tensor y = empty(output_shape(s), TensorOptions().on(dev));
  const Tensor ws = workspace(dev, s);
  CYCLONE_CALL(dev, conv2d_forward, x.data<float>(), w.data<float>(), s, y.data<float>(), ptr(ws));
  return y;
}

Tensor conv2d_backward_input(const Tensor& dy0, const Tensor& w0, const ConvShape& s) {
  NoGradGuard no_grad;
  check_groups(s, "conv2d backward");
  const Device dev = common_device({dy0, w0}, "conv2d backward");
  const Tensor dy = checked(dy0, output_shape(s), "conv2d backward", "grad");
  const Tensor w = checked(w0, weight_shape(s), "conv2d backward", "weight");
  Tensor dx = empty(input_shape(s), TensorOptions().on(dev));
  const Tensor ws = workspace(dev, s);
  CYCLONE_CALL(dev, conv2d_backward_input, dy.data<float>(), w.data<float>(), s, dx.data<float>(), ptr(ws));
  return dx;
}

Tensor conv2d_backward_weight(const Tensor& x0, const Tensor& dy0, const ConvShape& s) {
  NoGradGuard no_grad;
  check_groups(s, "conv2d backward");
  const Device dev = common_device({x0, dy0}, "conv2d backward");
  const Tensor x = checked(x0, input_shape(s), "conv2d backward", "input");
  const Tensor dy = checked(dy0, output_shape(s), "conv2d backward", "grad");
  Tensor dw = empty(weight_shape(s), TensorOptions().on(dev));
  const Tensor ws = workspace(dev, s);
  CYCLONE_CALL(dev, conv2d_backward_weight, x.data<float>(), dy.data<float>(), s, dw.data<float>(), ptr(ws));
  return dw;
}

}  // namespace cyclone::dispatch
