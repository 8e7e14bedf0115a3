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
  Device device;            // where host arrays become tensors
  size_t num_outputs = 1;   // outputs the node asks for (trailing unnamed ones dropped)

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
// An op with several outputs: one value per output the node asks for (ctx.num_outputs).
using MultiOpFn = std::vector<Value> (*)(const OpContext&);

// One supported ai.onnx op type: its implementation (`many` for nodes that ask for several
// outputs, or for every node when there is no `one`), the opset versions it is written for
// (the model's opset must be in [min_opset, max_opset]) and how many outputs it can give.
struct OpInfo {
  OpFn one = nullptr;
  MultiOpFn many = nullptr;
  int64_t min_opset = 1, max_opset = 17;
  size_t max_outputs = 1;
};

// The op type's entry, or nullptr when the importer lacks it.
const OpInfo* find_op(const std::string& op_type);
// Runs the op; the result has ctx.num_outputs values.
std::vector<Value> run_op(const OpInfo& op, const OpContext& ctx);
// Why node `n` can't run under `opset` (the op's opset range, its output count), or "".
std::string op_problem(const OpInfo& op, const io::OnnxNode& n, int64_t opset);
// The outputs node `n` asks for: its output list without trailing unnamed ("") entries.
size_t requested_outputs(const io::OnnxNode& n);
// Whether input `index` of `op_type` is a parameter that the op reads on the host (Resize's
// roi/scales/sizes, Upsample's scales, Dropout's ratio and training_mode, Clip's bounds,
// Pow's exponent): a floating initializer there is a constant, not a trainable weight.
bool host_input(const std::string& op_type, size_t index);
// Every supported op type, sorted.
std::vector<std::string> supported_ops();

// Registration, one function per source file.
void add_nn_ops(std::map<std::string, OpFn>& table);              // ops_nn.cpp
void add_shape_ops(std::map<std::string, OpFn>& table);           // ops_shape.cpp
void add_math_ops(std::map<std::string, OpFn>& table);            // ops_math.cpp
void add_reduce_ops(std::map<std::string, OpFn>& table);          // ops_reduce.cpp
void add_repeat_ops(std::map<std::string, OpFn>& table);          // ops_repeat.cpp
void add_conv_transpose_ops(std::map<std::string, OpFn>& table);  // ops_conv_transpose.cpp
void add_resize_ops(std::map<std::string, OpFn>& table);          // ops_resize.cpp
void add_pool_ops(std::map<std::string, OpFn>& table);            // ops_pool.cpp
void add_multi_output_ops(std::map<std::string, MultiOpFn>& table);  // ops_multi.cpp
void add_norm_ops(std::map<std::string, OpFn>& one, std::map<std::string, MultiOpFn>& many);  // ops_norm.cpp

// ONNX axis (possibly negative) for a rank-`rank` value, checked.
int64_t onnx_axis(int64_t axis, int64_t rank, const std::string& what);

}  // namespace cyclone::nn::onnx
