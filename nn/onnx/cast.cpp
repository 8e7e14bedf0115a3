// ONNX Cast rules for host arrays and tensors (see cast.h).
#include "nn/onnx/cast.h"

#include <cmath>
#include <limits>

#include "autograd/functions.h"

namespace cyclone::nn::onnx {

using T = io::OnnxDataType;

namespace {

// Round to nearest-even with `bits` significant bits, smallest normal exponent `min_exp`
// (frexp convention) and largest finite value `max`.
double round_to_precision(double v, int bits, int min_exp, double max) {
  if (!std::isfinite(v) || v == 0.0) return v;
  int e = 0;
  std::frexp(v, &e);
  const double quantum = std::ldexp(1.0, std::max(e, min_exp) - bits);
  const double r = std::nearbyint(v / quantum) * quantum;
  return std::fabs(r) > max ? std::copysign(std::numeric_limits<double>::infinity(), v) : r;
}

int64_t truncate_to_int64(double v) {
  if (std::isnan(v)) return 0;
  const double t = std::trunc(v);
  if (t >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (t <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(t);
}

}  // namespace

bool is_float_type(T t) { return t == T::float32 || t == T::float64 || t == T::float16 || t == T::bfloat16; }

int64_t cast_integer(int64_t v, T to) {
  switch (to) {
    case T::boolean:
      return v != 0 ? 1 : 0;
    case T::int8:
      return static_cast<int8_t>(v);
    case T::uint8:
      return static_cast<uint8_t>(v);
    case T::int16:
      return static_cast<int16_t>(v);
    case T::uint16:
      return static_cast<uint16_t>(v);
    case T::int32:
      return static_cast<int32_t>(v);
    case T::uint32:
      return static_cast<uint32_t>(v);
    default:
      return v;  // int64; uint64 keeps the bit pattern
  }
}

int64_t cast_real_to_integer(double v, T to) {
  if (to == T::boolean) return v != 0.0 ? 1 : 0;  // NaN != 0: true
  return cast_integer(truncate_to_int64(v), to);
}

double cast_scalar(double v, T to) {
  switch (to) {
    case T::float64:
      return v;
    case T::float32:
      return static_cast<double>(static_cast<float>(v));
    case T::float16:
      return round_to_precision(v, 11, -13, 65504.0);
    case T::bfloat16:
      return round_to_precision(v, 8, -125, 3.3895313892515355e38);
    case T::boolean:
      return v != 0.0 ? 1.0 : 0.0;  // NaN != 0: true
    default:
      return static_cast<double>(cast_real_to_integer(v, to));
  }
}

HostArray host_cast_to(const HostArray& a, T to) {
  HostArray out;
  out.shape = a.shape;
  out.is_float = is_float_type(to);
  for (size_t i = 0; i < a.numel(); ++i) {
    if (out.is_float) {
      out.reals.push_back(cast_scalar(a.real(i), to));
    } else if (a.is_float) {
      out.ints.push_back(cast_real_to_integer(a.reals[i], to));
    } else {
      out.ints.push_back(cast_integer(a.ints[i], to));
    }
  }
  return out;
}

Tensor tensor_cast_to(const Tensor& x, T to) {
  if (is_float_type(to)) return x.dtype() == DType::f32 ? x : x.to(DType::f32);
  if (to == T::boolean) {
    const Tensor zero = full(x.shape(), 0.0, TensorOptions(x.dtype()).on(x.device()));
    return ne(x.detach(), zero).to(DType::i64);
  }
  return x.dtype() == DType::i64 ? x : x.detach().to(DType::i64);
}

}  // namespace cyclone::nn::onnx
