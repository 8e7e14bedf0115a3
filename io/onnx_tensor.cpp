// ONNX TensorProto decoding: dims + data_type + raw_data or typed repeated fields -> NdArray.
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "io/onnx.h"
#include "io/protobuf_wire.h"

namespace cyclone::io {
namespace {

// TensorProto field numbers.
enum TensorField : uint32_t {
  kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kStringData = 6,
  kInt64Data = 7, kName = 8, kRawData = 9, kDoubleData = 10, kUint64Data = 11,
  kExternalData = 13, kDataLocation = 14
};

struct RawTensor {
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  std::string name;
  bool has_raw = false, external = false, segmented = false, has_other = false;
  std::span<const uint8_t> raw;
  std::vector<float> floats;
  std::vector<int32_t> int32s;
  std::vector<int64_t> int64s;
  std::vector<double> doubles;
};

template <class T>
void put(NdArray& a, size_t i, T v) {
  std::memcpy(a.bytes.data() + i * sizeof(T), &v, sizeof(T));
}

// Fills `out` from a typed repeated field, checking the count and each value's range.
template <class Dst, class Src>
void fill_from(NdArray& out, const std::vector<Src>& values, size_t numel, const char* field,
               const std::string& where) {
  if (values.size() != numel)
    throw std::runtime_error(where + ": " + field + " holds " + std::to_string(values.size()) +
                             " values, dims " + shape_to_string(out.shape) + " need " + std::to_string(numel));
  out.bytes.resize(numel * sizeof(Dst));  // only now: the count is bounded by the input size
  for (size_t k = 0; k < numel; ++k) {
    const Src v = values[k];
    if constexpr (std::is_same_v<Dst, bool>) {
      put<uint8_t>(out, k, v != 0 ? 1 : 0);
    } else if constexpr (std::is_integral_v<Dst> && sizeof(Dst) < sizeof(Src)) {
      if (v < std::numeric_limits<Dst>::min() || v > std::numeric_limits<Dst>::max())
        throw std::runtime_error(where + ": " + field + " value " + std::to_string(v) + " is out of range");
      put<Dst>(out, k, static_cast<Dst>(v));
    } else {
      put<Dst>(out, k, static_cast<Dst>(v));
    }
  }
}

NdArray build(const RawTensor& r, const std::string& where) {
  if (r.external)
    throw std::runtime_error(where + ": tensor data is stored outside the model (data_location=EXTERNAL); "
                             "external data is not supported, export with the weights inside the file");
  if (r.segmented) throw std::runtime_error(where + ": segmented tensors are not supported");
  NdArray out;
  out.shape = r.dims;
  const auto type = static_cast<OnnxDataType>(r.data_type);
  switch (type) {
    case OnnxDataType::float32: out.dtype = DType::f32; break;
    case OnnxDataType::float64: out.dtype = DType::f64; break;
    case OnnxDataType::int64: out.dtype = DType::i64; break;
    case OnnxDataType::int32: out.dtype = DType::i32; break;
    case OnnxDataType::int8: out.dtype = DType::i32; break;  // widened: NdArray has no int8
    case OnnxDataType::uint8: out.dtype = DType::u8; break;
    case OnnxDataType::boolean: out.dtype = DType::boolean; break;
    default:
      throw std::runtime_error(where + ": unsupported data_type " + onnx_data_type_name(r.data_type) +
                               " (supported: FLOAT, DOUBLE, INT64, INT32, INT8, UINT8, BOOL)");
  }
  const size_t numel = checked_numel(r.dims, out.dtype, where);
  const bool has_typed = !r.floats.empty() || !r.int32s.empty() || !r.int64s.empty() || !r.doubles.empty();
  if (r.has_other) throw std::runtime_error(where + ": string_data/uint64_data do not fit data_type " +
                                            onnx_data_type_name(r.data_type));
  if (r.has_raw && has_typed) throw std::runtime_error(where + ": has both raw_data and typed data fields");

  if (r.has_raw) {
    const size_t stored_item = type == OnnxDataType::int8 ? 1 : dtype_size(out.dtype);
    if (r.raw.size() != numel * stored_item)
      throw std::runtime_error(where + ": raw_data is " + std::to_string(r.raw.size()) + " bytes, dims " +
                               shape_to_string(r.dims) + " " + onnx_data_type_name(r.data_type) + " = " +
                               std::to_string(numel * stored_item) + " bytes");
    if (type == OnnxDataType::int8) {
      out.bytes.resize(numel * 4);
      for (size_t k = 0; k < numel; ++k) put<int32_t>(out, k, static_cast<int8_t>(r.raw[k]));
    } else {
      out.bytes.assign(r.raw.begin(), r.raw.end());
    }
    return out;
  }
  if (numel == 0 && !has_typed) return out;
  if (!has_typed) throw std::runtime_error(where + ": tensor has no data (no raw_data or typed values)");
  switch (type) {
    case OnnxDataType::float32: fill_from<float>(out, r.floats, numel, "float_data", where); break;
    case OnnxDataType::float64: fill_from<double>(out, r.doubles, numel, "double_data", where); break;
    case OnnxDataType::int64: fill_from<int64_t>(out, r.int64s, numel, "int64_data", where); break;
    case OnnxDataType::int32: fill_from<int32_t>(out, r.int32s, numel, "int32_data", where); break;
    case OnnxDataType::int8:
      for (int32_t v : r.int32s)
        if (v < -128 || v > 127)
          throw std::runtime_error(where + ": int32_data value " + std::to_string(v) + " is out of range for INT8");
      fill_from<int32_t>(out, r.int32s, numel, "int32_data", where);
      break;
    case OnnxDataType::uint8: fill_from<uint8_t>(out, r.int32s, numel, "int32_data", where); break;
    case OnnxDataType::boolean: fill_from<bool>(out, r.int32s, numel, "int32_data", where); break;
    default: break;
  }
  return out;
}

}  // namespace

std::string onnx_data_type_name(int32_t data_type) {
  static const char* const names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
                                      "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
                                      "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  if (data_type >= 0 && data_type < static_cast<int32_t>(std::size(names))) return names[data_type];
  return "data_type " + std::to_string(data_type);
}

NdArray parse_onnx_tensor(std::span<const uint8_t> tensor_proto, const std::string& context, std::string* name) {
  RawTensor r;
  WireReader w(tensor_proto, context);
  while (w.next()) {
    switch (w.field()) {
      case kDims: w.append_int64s(r.dims); break;
      case kDataType: r.data_type = w.int32(); break;
      case kSegment: r.segmented = true; break;
      case kFloatData: w.append_floats(r.floats); break;
      case kInt32Data: w.append_int32s(r.int32s); break;
      case kStringData: case kUint64Data: r.has_other = true; break;
      case kInt64Data: w.append_int64s(r.int64s); break;
      case kName: r.name = w.string(); break;
      case kRawData: r.raw = w.bytes(); r.has_raw = true; break;
      case kDoubleData: w.append_doubles(r.doubles); break;
      case kExternalData: r.external = true; break;
      case kDataLocation: r.external = r.external || w.int64() == 1; break;
      default: break;  // doc_string and unknown fields
    }
    if (r.dims.size() > 64) w.fail("more than 64 dims");
  }
  if (name) *name = r.name;
  return build(r, context + (r.name.empty() ? "" : " '" + r.name + "'"));
}

}  // namespace cyclone::io
