// NdArray: a plain n-dimensional array (dtype + shape + little-endian C-order bytes) used by
// the file readers and writers in io/, independent of the tensor library.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace cyclone::io {

static_assert(std::endian::native == std::endian::little,
              "cyclone::io stores array bytes little-endian and assumes a little-endian host");
static_assert(sizeof(bool) == 1, "NdArray stores booleans as one byte each");

enum class DType { f32, f64, i64, i32, u8, boolean };

// Size of one element in bytes.
size_t dtype_size(DType dtype);
// numpy-style name: "float32", "float64", "int64", "int32", "uint8", "bool".
const char* dtype_name(DType dtype);

// The DType that stores C++ type T (float, double, int64_t, int32_t, uint8_t, bool).
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::i32;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::u8;
  else if constexpr (std::is_same_v<T, bool>) return DType::boolean;
  else static_assert(sizeof(T) == 0, "no DType for this C++ type");
}

// "(16, 3, 3, 3)", "(5,)" or "()" -- the way numpy prints shapes.
std::string shape_to_string(const std::vector<int64_t>& shape);

// Product of the dimensions; throws std::runtime_error (prefixed with `context`) when a
// dimension is negative or the byte size of the array would overflow.
size_t checked_numel(const std::vector<int64_t>& shape, DType dtype, const std::string& context);

struct NdArray {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;   // empty shape = 0-d scalar holding one element
  std::vector<uint8_t> bytes;   // C order, little-endian

  // Number of elements: the product of `shape` (1 for a scalar).
  size_t numel() const;
  size_t nbytes() const { return numel() * dtype_size(dtype); }
  // True when bytes.size() matches shape and dtype.
  bool consistent() const { return bytes.size() == nbytes(); }

  // Builds an array from values in C order; throws std::invalid_argument if the count
  // does not match the shape.
  template <class T>
  static NdArray from(std::vector<int64_t> shape, const std::vector<T>& values) {
    NdArray a;
    a.dtype = dtype_of<T>();
    a.shape = std::move(shape);
    if (values.size() != a.numel())
      throw std::invalid_argument("NdArray::from: " + std::to_string(values.size()) +
                                  " values for shape " + shape_to_string(a.shape));
    a.bytes.resize(values.size() * sizeof(T));
    for (size_t i = 0; i < values.size(); ++i) {
      T v = values[i];
      std::memcpy(a.bytes.data() + i * sizeof(T), &v, sizeof(T));
    }
    return a;
  }

  // Element i (flat C-order index) as T; T must match dtype exactly.
  template <class T>
  T at(size_t i) const {
    check_access<T>(i);
    if constexpr (std::is_same_v<T, bool>) {
      return bytes[i] != 0;
    } else {
      T v;
      std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
      return v;
    }
  }

  template <class T>
  void set(size_t i, T value) {
    check_access<T>(i);
    std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
  }

  // All elements as a std::vector<T> (a copy); T must match dtype exactly.
  template <class T>
  std::vector<T> values() const {
    std::vector<T> out(numel());
    for (size_t i = 0; i < out.size(); ++i) out[i] = at<T>(i);
    return out;
  }

 private:
  template <class T>
  void check_access(size_t i) const {
    if (dtype_of<T>() != dtype)
      throw std::invalid_argument(std::string("NdArray: array holds ") + dtype_name(dtype) +
                                  ", accessed as " + dtype_name(dtype_of<T>()));
    if ((i + 1) * sizeof(T) > bytes.size())
      throw std::out_of_range("NdArray: element " + std::to_string(i) + " out of range for " +
                              std::to_string(bytes.size() / sizeof(T)) + " elements");
  }
};

// True when every value of `from` is exactly representable in `to`
// (e.g. f32->f64, i32->i64, u8->i32, bool->anything).
bool is_lossless(DType from, DType to);

// Converts element type. Lossless conversions are always allowed; lossy ones (f64->f32,
// i64->i32, f32->i64, ...) throw std::invalid_argument naming both dtypes unless
// allow_lossy is true. Lossy semantics: floats truncate toward zero when converted to
// integers, out-of-range values saturate to the target range (f64->f32 gives +-inf),
// NaN becomes 0, and conversion to bool tests for != 0.
NdArray convert(const NdArray& array, DType to, bool allow_lossy = false);

}  // namespace cyclone::io
