// Dispatch: turns Tensors into the dense buffers + Layouts of the backend
// contract (kernels/contract.h), allocates outputs, and picks the CPU or CUDA
// backend by device. No autograd here (see autograd/functions.h), and nothing
// crosses devices: mixing devices in one op is an error.
#pragma once
#include <vector>

#include "kernels/contract.h"
#include "kernels/layout.h"
#include "tensor/tensor.h"

namespace cyclone::dispatch {

using kernels::BinaryOp;
using kernels::CompareOp;
using kernels::ReduceOp;
using kernels::UnaryOp;

// Layout of `t` viewed with broadcasting as `out_shape`.
kernels::Layout layout_of(const Tensor& t, const Shape& out_shape);
// Throws unless every defined tensor is on the same device; returns it.
Device common_device(const std::vector<Tensor>& ts, const char* op);
void check_dtype(const Tensor& t, DType want, const char* op, const char* arg);
// t with dtype `want` checked, as a dense (contiguous) tensor: the form the
// kernels of kernels/nn_contract.h take.
Tensor dense(const Tensor& t, DType want, const char* op, const char* arg);
// Throws unless t has shape `want`, naming op and arg.
void check_shape(const Tensor& t, const Shape& want, const char* op, const char* arg);

Tensor unary(UnaryOp op, const Tensor& x, float a = 0.f, float b = 0.f);
Tensor binary(BinaryOp op, const Tensor& x, const Tensor& y, float alpha = 0.f);
Tensor compare(CompareOp op, const Tensor& x, const Tensor& y);  // uint8 result
Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y);
// Reduces over `dims` (all dims when empty). Mean, Max, Min, LogSumExp likewise.
Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);  // int64 result
// Batched matrix product with numpy/PyTorch semantics (1-D operands, broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b);
// dst <- src (broadcast to dst's shape), converting dtype; both on dst's device
// unless src is on another device, in which case this is the explicit crossing.
void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, double value);
void random_uniform(const Tensor& dst, float lo, float hi);
void random_normal(const Tensor& dst, float mean, float std);

}  // namespace cyclone::dispatch
