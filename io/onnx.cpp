// ONNX ModelProto / GraphProto / NodeProto / AttributeProto / ValueInfoProto decoding.
#include "io/onnx.h"

#include <set>
#include <stdexcept>

#include "io/file_io.h"
#include "io/protobuf_wire.h"

namespace cyclone::io {
namespace {

std::string indexed(const std::string& base, const char* field, size_t index) {
  return base + "." + field + "[" + std::to_string(index) + "]";
}

OnnxAttribute parse_attribute(std::span<const uint8_t> bytes, const std::string& where) {
  OnnxAttribute a;
  bool has_f = false, has_i = false, has_s = false, has_t = false;
  WireReader w(bytes, where);
  while (w.next()) {
    switch (w.field()) {
      case 1: a.name = w.string(); break;
      case 2: a.f = w.float32(); has_f = true; break;
      case 3: a.i = w.int64(); has_i = true; break;
      case 4: a.s = w.string(); has_s = true; break;
      case 5: a.t = parse_onnx_tensor(w.bytes(), where + ".t"); has_t = true; break;
      case 7: w.append_floats(a.floats); break;
      case 8: w.append_int64s(a.ints); break;
      case 9: a.strings.push_back(w.string()); break;
      case 20: a.type = static_cast<OnnxAttrType>(w.int32()); break;
      default: break;  // doc_string, ref_attr_name, graphs, ...: not decoded
    }
  }
  if (a.type == OnnxAttrType::undefined) {  // IR version 1 files carry no type: infer it
    if (has_f) a.type = OnnxAttrType::floating;
    else if (has_i) a.type = OnnxAttrType::integer;
    else if (has_s) a.type = OnnxAttrType::string;
    else if (has_t) a.type = OnnxAttrType::tensor;
    else if (!a.floats.empty()) a.type = OnnxAttrType::floats;
    else if (!a.ints.empty()) a.type = OnnxAttrType::ints;
    else if (!a.strings.empty()) a.type = OnnxAttrType::strings;
  }
  if (a.type == OnnxAttrType::tensor && !has_t)
    throw std::runtime_error(where + " '" + a.name + "': type TENSOR but no tensor value");
  return a;
}

OnnxNode parse_node(std::span<const uint8_t> bytes, const std::string& where) {
  OnnxNode n;
  WireReader w(bytes, where);
  while (w.next()) {
    switch (w.field()) {
      case 1: n.inputs.push_back(w.string()); break;
      case 2: n.outputs.push_back(w.string()); break;
      case 3: n.name = w.string(); break;
      case 4: n.op_type = w.string(); break;
      case 5: n.attributes.push_back(parse_attribute(w.bytes(), indexed(where, "attribute", n.attributes.size()))); break;
      case 7: n.domain = w.string(); break;
      default: break;
    }
  }
  if (n.op_type.empty()) throw std::runtime_error(where + " '" + n.name + "': missing op_type");
  return n;
}

// TensorShapeProto.Dimension: dim_value = 1, dim_param = 2.
void parse_dimension(std::span<const uint8_t> bytes, const std::string& where, OnnxValueInfo& v) {
  int64_t value = -1;
  std::string param;
  WireReader w(bytes, where);
  while (w.next()) {
    if (w.field() == 1) value = w.int64();
    else if (w.field() == 2) param = w.string();
  }
  v.dims.push_back(value);
  v.dim_params.push_back(param);
}

// TypeProto { tensor_type = 1: { elem_type = 1, shape = 2: { dim = 1 } } }; other kinds
// (sequence, map, optional) are left with elem_type 0.
void parse_type(std::span<const uint8_t> bytes, const std::string& where, OnnxValueInfo& v) {
  WireReader type(bytes, where + ".type");
  while (type.next()) {
    if (type.field() != 1) continue;
    WireReader tensor(type.bytes(), where + ".type.tensor_type");
    while (tensor.next()) {
      if (tensor.field() == 1) {
        v.elem_type = tensor.int32();
      } else if (tensor.field() == 2) {
        v.has_shape = true;
        WireReader shape(tensor.bytes(), where + ".type.tensor_type.shape");
        while (shape.next()) {
          if (shape.field() == 1) parse_dimension(shape.bytes(), indexed(where + ".shape", "dim", v.dims.size()), v);
        }
      }
    }
  }
}

OnnxValueInfo parse_value_info(std::span<const uint8_t> bytes, const std::string& where) {
  OnnxValueInfo v;
  WireReader w(bytes, where);
  while (w.next()) {
    if (w.field() == 1) v.name = w.string();
    else if (w.field() == 2) parse_type(w.bytes(), where, v);
  }
  return v;
}

OnnxGraph parse_graph(std::span<const uint8_t> bytes, const std::string& where) {
  OnnxGraph g;
  WireReader w(bytes, where);
  while (w.next()) {
    switch (w.field()) {
      case 1: g.nodes.push_back(parse_node(w.bytes(), indexed(where, "node", g.nodes.size()))); break;
      case 2: g.name = w.string(); break;
      case 5: {
        const std::string at = indexed(where, "initializer", g.initializer_order.size());
        std::string name;
        NdArray array = parse_onnx_tensor(w.bytes(), at, &name);
        if (name.empty()) throw std::runtime_error(at + ": initializer has no name");
        if (!g.initializers.emplace(name, std::move(array)).second)
          throw std::runtime_error(at + ": duplicate initializer name '" + name + "'");
        g.initializer_order.push_back(name);
        break;
      }
      case 11: g.inputs.push_back(parse_value_info(w.bytes(), indexed(where, "input", g.inputs.size()))); break;
      case 12: g.outputs.push_back(parse_value_info(w.bytes(), indexed(where, "output", g.outputs.size()))); break;
      case 13:
        g.value_info.push_back(parse_value_info(w.bytes(), indexed(where, "value_info", g.value_info.size())));
        break;
      case 15:
        throw std::runtime_error(where + ".sparse_initializer: sparse initializers are not supported");
      default: break;
    }
  }
  return g;
}

std::pair<std::string, int64_t> parse_opset(std::span<const uint8_t> bytes, const std::string& where) {
  std::pair<std::string, int64_t> opset{"", 0};
  WireReader w(bytes, where);
  while (w.next()) {
    if (w.field() == 1) opset.first = w.string();
    else if (w.field() == 2) opset.second = w.int64();
  }
  return opset;
}

OnnxModel parse_model(std::span<const uint8_t> bytes) {
  OnnxModel m;
  bool has_graph = false;
  WireReader w(bytes, "ModelProto");
  while (w.next()) {
    switch (w.field()) {
      case 1: m.ir_version = w.int64(); break;
      case 2: m.producer_name = w.string(); break;
      case 3: m.producer_version = w.string(); break;
      case 7:
        if (has_graph) w.fail("more than one graph");
        m.graph = parse_graph(w.bytes(), "graph");
        has_graph = true;
        break;
      case 8: m.opsets.push_back(parse_opset(w.bytes(), indexed("ModelProto", "opset_import", m.opsets.size()))); break;
      default: break;
    }
  }
  if (!has_graph) throw std::runtime_error("ModelProto: no graph (field 7); not an ONNX model or truncated");
  if (m.ir_version <= 0) throw std::runtime_error("ModelProto: missing or invalid ir_version (field 1)");
  if (m.ir_version >= 3 && m.opsets.empty())
    throw std::runtime_error("ModelProto: no opset_import (field 8); truncated?");
  return m;
}

}  // namespace

float OnnxAttribute::as_float() const {
  if (type != OnnxAttrType::floating) throw std::runtime_error("attribute '" + name + "' is not a FLOAT");
  return f;
}
int64_t OnnxAttribute::as_int() const {
  if (type != OnnxAttrType::integer) throw std::runtime_error("attribute '" + name + "' is not an INT");
  return i;
}
const std::string& OnnxAttribute::as_string() const {
  if (type != OnnxAttrType::string) throw std::runtime_error("attribute '" + name + "' is not a STRING");
  return s;
}
const NdArray& OnnxAttribute::as_tensor() const {
  if (type != OnnxAttrType::tensor) throw std::runtime_error("attribute '" + name + "' is not a TENSOR");
  return t;
}
const std::vector<float>& OnnxAttribute::as_floats() const {
  if (type != OnnxAttrType::floats) throw std::runtime_error("attribute '" + name + "' is not FLOATS");
  return floats;
}
const std::vector<int64_t>& OnnxAttribute::as_ints() const {
  if (type != OnnxAttrType::ints) throw std::runtime_error("attribute '" + name + "' is not INTS");
  return ints;
}

const OnnxAttribute* OnnxNode::attribute(const std::string& attr_name) const {
  for (const OnnxAttribute& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

int64_t OnnxModel::opset_version(const std::string& domain) const {
  const bool default_domain = domain.empty() || domain == "ai.onnx";
  for (const auto& [d, version] : opsets)
    if (d == domain || (default_domain && (d.empty() || d == "ai.onnx"))) return version;
  return 0;
}

OnnxModel parse_onnx(std::span<const uint8_t> bytes, const std::string& source_name) {
  try {
    return parse_model(bytes);
  } catch (const std::runtime_error& e) {
    // A file that fails at the top level is not ONNX at all (e.g. random bytes, or an .npz);
    // deeper errors are a damaged or unsupported ONNX file, named by where they are.
    const std::string what = e.what();
    if (what.rfind("ModelProto:", 0) == 0) throw std::runtime_error(source_name + ": not an ONNX model file (" + what + ")");
    throw std::runtime_error(source_name + ": " + what);
  }
}

OnnxModel load_onnx(const std::string& path) { return parse_onnx(read_file_bytes(path), path); }

}  // namespace cyclone::io
