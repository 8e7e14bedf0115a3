// ONNX Cast in one place: the per-value rule, used for constant folding on host arrays and,
// through the same rules written as tensor ops, for values computed at run time.
#pragma once
#include "io/onnx.h"
#include "nn/onnx/value.h"

namespace cyclone::nn::onnx {

// True for FLOAT, DOUBLE, FLOAT16 and BFLOAT16.
bool is_float_type(io::OnnxDataType t);

// One value cast to `to`, as ONNX defines it:
//   to BOOL: x != 0 (so -1.5 and 0.25 give 1, 0 gives 0);
//   to an integer type: floats truncate toward zero, then the value wraps to the type's width
//     (int8, uint8, ..., as a C++ conversion does; floats out of int64's range saturate);
//   to FLOAT / FLOAT16 / BFLOAT16: rounded to nearest-even at that precision; DOUBLE: exact.
double cast_scalar(double v, io::OnnxDataType to);
int64_t cast_integer(int64_t v, io::OnnxDataType to);         // integer input, integer type or BOOL
int64_t cast_real_to_integer(double v, io::OnnxDataType to);  // float input, integer type or BOOL

// Constant folding: every element by the rules above; floating targets give reals.
HostArray host_cast_to(const HostArray& a, io::OnnxDataType to);

// Run time, on cyclone's f32 / i64 / u8 tensors: to a float type an f32 tensor (identity on
// f32 input, so gradients flow; FLOAT16/BFLOAT16 values keep f32 precision), to BOOL x != 0
// as i64 0/1, to an integer type i64 truncated toward zero (narrower widths are not wrapped).
Tensor tensor_cast_to(const Tensor& x, io::OnnxDataType to);

}  // namespace cyclone::nn::onnx
