// ONNX model reader: decodes ModelProto / GraphProto / NodeProto / AttributeProto /
// TensorProto from the protobuf wire format into plain structs, weights as NdArrays.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/ndarray.h"

namespace cyclone::io {

// TensorProto.DataType values this reader understands (others are rejected by name).
enum class OnnxDataType : int32_t {
  undefined = 0, float32 = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7,
  string = 8, boolean = 9, float16 = 10, float64 = 11, uint32 = 12, uint64 = 13,
  complex64 = 14, complex128 = 15, bfloat16 = 16
};
// "FLOAT", "INT64", ... as spelled in onnx.proto, or "data_type <n>" for unknown codes.
std::string onnx_data_type_name(int32_t data_type);

// AttributeProto.AttributeType.
enum class OnnxAttrType : int32_t {
  undefined = 0, floating = 1, integer = 2, string = 3, tensor = 4, graph = 5, floats = 6, ints = 7,
  strings = 8, tensors = 9, graphs = 10, sparse_tensor = 11, sparse_tensors = 12, type_proto = 13,
  type_protos = 14
};

// One node attribute. `type` says which member holds the value. Graph, sparse-tensor and
// type-proto attributes keep their type but their value is not decoded.
struct OnnxAttribute {
  std::string name;
  OnnxAttrType type = OnnxAttrType::undefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  NdArray t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;

  // Typed access; throws std::runtime_error naming the attribute if the type differs.
  float as_float() const;
  int64_t as_int() const;
  const std::string& as_string() const;
  const NdArray& as_tensor() const;
  const std::vector<float>& as_floats() const;
  const std::vector<int64_t>& as_ints() const;
};

struct OnnxNode {
  std::string name;
  std::string op_type;
  std::string domain;  // "" = the default ai.onnx domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;

  // The attribute called `attr_name`, or nullptr.
  const OnnxAttribute* attribute(const std::string& attr_name) const;
};

// A graph input/output/value_info entry. For tensors, elem_type is the ONNX data type and
// dims holds the shape with -1 for symbolic dimensions (named in dim_params).
struct OnnxValueInfo {
  std::string name;
  int32_t elem_type = 0;
  bool has_shape = false;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_params;
};

struct OnnxGraph {
  std::string name;
  std::vector<OnnxNode> nodes;
  std::map<std::string, NdArray> initializers;
  std::vector<std::string> initializer_order;  // names in file order
  std::vector<OnnxValueInfo> inputs;
  std::vector<OnnxValueInfo> outputs;
  std::vector<OnnxValueInfo> value_info;
};

struct OnnxModel {
  int64_t ir_version = 0;
  std::vector<std::pair<std::string, int64_t>> opsets;  // (domain, version); "" = ai.onnx
  std::string producer_name;
  std::string producer_version;
  OnnxGraph graph;

  // The imported opset version of `domain` ("" or "ai.onnx" for the default), or 0.
  int64_t opset_version(const std::string& domain = "") const;
};

// Reads an .onnx file. Initializers become NdArrays: FLOAT->f32, DOUBLE->f64, INT64->i64,
// INT32->i32, UINT8->u8, BOOL->boolean, and INT8 widened to i32 (NdArray has no int8).
// Tensors with external data, sparse initializers and other data types are rejected.
// Errors are std::runtime_error naming the file and the place in the model, e.g.
// "m.onnx: graph.initializer[2] 'fc.weight': raw_data is 12 bytes, dims (10, 144) FLOAT = 5760 bytes".
OnnxModel load_onnx(const std::string& path);

// Same, from bytes in memory; `source_name` starts every error message.
OnnxModel parse_onnx(std::span<const uint8_t> bytes, const std::string& source_name);

// Decodes one serialized TensorProto into an array; its name goes to *name if given.
// `context` starts error messages.
NdArray parse_onnx_tensor(std::span<const uint8_t> tensor_proto, const std::string& context,
                          std::string* name = nullptr);

}  // namespace cyclone::io
