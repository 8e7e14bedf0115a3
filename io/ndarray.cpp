// NdArray helpers: dtype names and sizes, checked element counts, and dtype conversion.
#include "io/ndarray.h"

#include <cmath>
#include <limits>

namespace cyclone::io {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i64: return 8;
    case DType::i32: return 4;
    case DType::u8: return 1;
    case DType::boolean: return 1;
  }
  throw std::invalid_argument("dtype_size: invalid DType value");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i64: return "int64";
    case DType::i32: return "int32";
    case DType::u8: return "uint8";
    case DType::boolean: return "bool";
  }
  return "invalid-dtype";
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

size_t checked_numel(const std::vector<int64_t>& shape, DType dtype, const std::string& context) {
  // Limit the byte size to 2^62 so that later arithmetic on sizes and offsets cannot overflow.
  const uint64_t max_elements = (uint64_t{1} << 62) / dtype_size(dtype);
  uint64_t product = 1;
  bool has_zero = false;
  for (int64_t d : shape) {
    if (d < 0)
      throw std::runtime_error(context + ": negative dimension in shape " + shape_to_string(shape));
    if (d == 0) {
      has_zero = true;
      continue;
    }
    if (static_cast<uint64_t>(d) > max_elements / product)
      throw std::runtime_error(context + ": shape " + shape_to_string(shape) + " of " +
                               dtype_name(dtype) + " is too large");
    product *= static_cast<uint64_t>(d);
  }
  return has_zero ? 0 : static_cast<size_t>(product);
}

size_t NdArray::numel() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

namespace {

int rank_of(DType t) {  // position in the widening order of each family
  switch (t) {
    case DType::boolean: return 0;
    case DType::u8: return 1;
    case DType::i32: return 2;
    case DType::i64: return 3;
    case DType::f32: return 2;
    case DType::f64: return 3;
  }
  return -1;
}

bool is_float(DType t) { return t == DType::f32 || t == DType::f64; }

// Converts one value, saturating out-of-range values and mapping NaN to 0.
template <class To, class From>
To cast_value(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(v ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<To> && std::is_floating_point_v<From>) {
    double d = static_cast<double>(v);
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<To>::max()))
      return d > 0 ? std::numeric_limits<To>::infinity() : -std::numeric_limits<To>::infinity();
    return static_cast<To>(v);
  } else if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(v);  // integer -> float rounds to nearest
  } else if constexpr (std::is_floating_point_v<From>) {
    double d = static_cast<double>(v);
    if (std::isnan(d)) return To(0);
    if (d >= static_cast<double>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    if (d <= static_cast<double>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    return static_cast<To>(d);  // truncates toward zero
  } else {
    using Wide = std::conditional_t<std::is_signed_v<From>, int64_t, uint64_t>;
    Wide w = static_cast<Wide>(v);
    if constexpr (std::is_signed_v<From> && !std::is_signed_v<To>) {
      if (w < 0) return To(0);
    }
    if (w > static_cast<Wide>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    if constexpr (std::is_signed_v<From> && std::is_signed_v<To>) {
      if (w < static_cast<Wide>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
    }
    return static_cast<To>(w);
  }
}

template <class To, class From>
void convert_elements(const NdArray& in, NdArray& out) {
  const size_t n = in.numel();
  for (size_t i = 0; i < n; ++i) {
    From v;
    if constexpr (std::is_same_v<From, bool>) {
      v = in.bytes[i] != 0;
    } else {
      std::memcpy(&v, in.bytes.data() + i * sizeof(From), sizeof(From));
    }
    To r = cast_value<To>(v);
    std::memcpy(out.bytes.data() + i * sizeof(To), &r, sizeof(To));
  }
}

template <class To>
void convert_from(const NdArray& in, NdArray& out) {
  switch (in.dtype) {
    case DType::f32: return convert_elements<To, float>(in, out);
    case DType::f64: return convert_elements<To, double>(in, out);
    case DType::i64: return convert_elements<To, int64_t>(in, out);
    case DType::i32: return convert_elements<To, int32_t>(in, out);
    case DType::u8: return convert_elements<To, uint8_t>(in, out);
    case DType::boolean: return convert_elements<To, bool>(in, out);
  }
}

}  // namespace

bool is_lossless(DType from, DType to) {
  if (from == to || from == DType::boolean) return true;
  if (to == DType::boolean) return false;
  if (is_float(from) == is_float(to)) return rank_of(to) > rank_of(from);
  // integer -> float is exact when the float's mantissa holds every integer value:
  // u8 -> f32/f64 and i32 -> f64. Float -> integer is never lossless.
  if (is_float(from)) return false;
  return from == DType::u8 || (from == DType::i32 && to == DType::f64);
}

NdArray convert(const NdArray& array, DType to, bool allow_lossy) {
  if (!array.consistent())
    throw std::invalid_argument("convert: array data is " + std::to_string(array.bytes.size()) +
                                " bytes, but shape " + shape_to_string(array.shape) + " " +
                                dtype_name(array.dtype) + " needs " + std::to_string(array.nbytes()));
  if (!allow_lossy && !is_lossless(array.dtype, to))
    throw std::invalid_argument(std::string("convert: ") + dtype_name(array.dtype) + " -> " +
                                dtype_name(to) + " can lose information; pass allow_lossy=true");
  if (array.dtype == to) return array;
  NdArray out;
  out.dtype = to;
  out.shape = array.shape;
  out.bytes.resize(array.numel() * dtype_size(to));
  switch (to) {
    case DType::f32: convert_from<float>(array, out); break;
    case DType::f64: convert_from<double>(array, out); break;
    case DType::i64: convert_from<int64_t>(array, out); break;
    case DType::i32: convert_from<int32_t>(array, out); break;
    case DType::u8: convert_from<uint8_t>(array, out); break;
    case DType::boolean: convert_from<bool>(array, out); break;
  }
  return out;
}

}  // namespace cyclone::io
