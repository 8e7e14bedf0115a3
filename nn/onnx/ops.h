// The ONNX op implementations of the importer: each maps one node, with its inputs and
// attributes, onto cyclone's differentiable functions (or onto host arrays for shapes).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/onnx.h"
#include "nn/onnx/value.h"

namespace cyclone::nn::onnx {

// What an op sees of one node. Errors from the accessors are std::invalid_argument with
// a message about the input or attribute; the caller prefixes the node's name.
struct OpContext {
  const io::OnnxNode& node;
  std::vector<const Value*> inputs;  // nullptr for an absent optional input ("")
  int64_t opset = 0;
  bool training = false;
  Device device;  // where host arrays become tensors

  size_t num_inputs() const { return inputs.size(); }
  bool has(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  bool is_host(size_t i) const;
  bool all_host() const;                  // every present input is a host array
  const HostArray& host(size_t i) const;  // throws when the input is a tensor computed at run time
  std::vector<int64_t> ints(size_t i) const;
  // The input as a tensor; a host array becomes an f32 tensor (or i64 for integers
  // unless `as_float`) on `device`.
  Tensor tensor(size_t i, bool as_float = false) const;

  bool has_attr(const std::string& name) const { return node.attribute(name) != nullptr; }
  int64_t attr_int(const std::string& name, int64_t fallback) const;
  float attr_float(const std::string& name, float fallback) const;
  std::string attr_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& name, const std::vector<int64_t>& fallback) const;
  std::vector<int64_t> required_ints(const std::string& name) const;
};

using OpFn = Value (*)(const OpContext&);

// The implementation of an ai.onnx op type, or nullptr when the importer lacks it.
OpFn find_op(const std::string& op_type);
// Every supported op type, sorted.
std::vector<std::string> supported_ops();

// Registration, one function per source file.
void add_nn_ops(std::map<std::string, OpFn>& table);     // onnx_ops_nn.cpp
void add_shape_ops(std::map<std::string, OpFn>& table);  // onnx_ops_shape.cpp
void add_pool_ops(std::map<std::string, OpFn>& table);   // ops_pool.cpp

// ONNX axis (possibly negative) for a rank-`rank` value, checked.
int64_t onnx_axis(int64_t axis, int64_t rank, const std::string& what);

}  // namespace cyclone::nn::onnx
