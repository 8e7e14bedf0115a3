// Element types a buffer can hold: float32 for data, int64 for labels and
// indices, uint8 for images and boolean masks. The backends need it for copies;
// tensor/dtype.h re-exports it as cyclone::DType.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cyclone::kernels {

enum class DType : uint8_t { f32, i64, u8 };

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::i64: return 8;
    case DType::u8: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::i64: return "int64";
    case DType::u8: return "uint8";
  }
  return "?";
}

}  // namespace cyclone::kernels
