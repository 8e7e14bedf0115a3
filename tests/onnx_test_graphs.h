// Hand-built ONNX graphs for the importer's tests: attribute and node makers, a graph
// builder with one input "x" and one output "y", the message of a thrown error, and a
// gradcheck of a model's forward.
#pragma once
#include <doctest/doctest.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "io/onnx.h"
#include "tensor/tensor.h"

namespace cyclone::test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// gradcheck of f at a copy of x0 (a CPU float32 leaf); the report on failure.
inline void check_gradients(const std::function<Tensor(const Tensor&)>& f, const Tensor& x0) {
  Tensor x = x0.detach().clone();
  x.requires_grad_();
  const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}

inline io::OnnxAttribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  io::OnnxAttribute a;
  a.name = name;
  a.type = io::OnnxAttrType::ints;
  a.ints = std::move(v);
  return a;
}
inline io::OnnxAttribute attr_int(const std::string& name, int64_t v) {
  io::OnnxAttribute a;
  a.name = name;
  a.type = io::OnnxAttrType::integer;
  a.i = v;
  return a;
}
inline io::OnnxAttribute attr_float(const std::string& name, float v) {
  io::OnnxAttribute a;
  a.name = name;
  a.type = io::OnnxAttrType::floating;
  a.f = v;
  return a;
}
inline io::OnnxAttribute attr_string(const std::string& name, const std::string& v) {
  io::OnnxAttribute a;
  a.name = name;
  a.type = io::OnnxAttrType::string;
  a.s = v;
  return a;
}

inline io::OnnxAttribute attr_tensor(const std::string& name, io::NdArray v) {
  io::OnnxAttribute a;
  a.name = name;
  a.type = io::OnnxAttrType::tensor;
  a.t = std::move(v);
  return a;
}

inline io::OnnxNode node(const std::string& op, const std::string& name, std::vector<std::string> in,
                         std::vector<std::string> out, std::vector<io::OnnxAttribute> attrs = {}) {
  io::OnnxNode n;
  n.op_type = op;
  n.name = name;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

struct GraphBuilder {
  io::OnnxModel m;
  GraphBuilder(Shape input_dims, int64_t opset = 13) {
    m.opsets = {{"", opset}};
    io::OnnxValueInfo in;
    in.name = "x";
    in.elem_type = 1;
    in.has_shape = true;
    in.dims = std::move(input_dims);
    m.graph.inputs.push_back(in);
    io::OnnxValueInfo out;
    out.name = "y";
    m.graph.outputs.push_back(out);
  }
  GraphBuilder& add(io::OnnxNode n) {
    m.graph.nodes.push_back(std::move(n));
    return *this;
  }
  template <class T>
  GraphBuilder& init(const std::string& name, Shape shape, const std::vector<T>& v) {
    m.graph.initializers[name] = io::NdArray::from<T>(shape, v);
    m.graph.initializer_order.push_back(name);
    return *this;
  }
};
}  // namespace cyclone::test
