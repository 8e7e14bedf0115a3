// OpContext accessors (inputs, attributes with defaults) and the table of supported ONNX ops.
#include "nn/onnx/ops.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace cyclone::nn::onnx {

namespace {
std::string input_label(size_t i) { return "input " + std::to_string(i); }
}  // namespace

bool OpContext::is_host(size_t i) const { return has(i) && std::holds_alternative<HostArray>(*inputs[i]); }

bool OpContext::all_host() const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (has(i) && !is_host(i)) return false;
  }
  return true;
}

const HostArray& OpContext::host(size_t i) const {
  if (!has(i)) throw std::invalid_argument(input_label(i) + " is required");
  if (!is_host(i)) {
    throw std::invalid_argument(input_label(i) + " ('" + node.inputs[i] +
                                "') must be a constant, but it is computed from the graph input");
  }
  return std::get<HostArray>(*inputs[i]);
}

std::vector<int64_t> OpContext::ints(size_t i) const {
  return host(i).as_ints(input_label(i) + " ('" + node.inputs[i] + "')");
}

Tensor OpContext::tensor(size_t i, bool as_float) const {
  if (!has(i)) throw std::invalid_argument(input_label(i) + " is required");
  if (const Tensor* t = std::get_if<Tensor>(inputs[i])) return *t;
  const HostArray& h = std::get<HostArray>(*inputs[i]);
  return as_float ? host_cast(h, true).to_tensor(device) : h.to_tensor(device);
}

int64_t OpContext::attr_int(const std::string& name, int64_t fallback) const {
  const io::OnnxAttribute* a = node.attribute(name);
  return a ? a->as_int() : fallback;
}

float OpContext::attr_float(const std::string& name, float fallback) const {
  const io::OnnxAttribute* a = node.attribute(name);
  return a ? a->as_float() : fallback;
}

std::string OpContext::attr_string(const std::string& name, const std::string& fallback) const {
  const io::OnnxAttribute* a = node.attribute(name);
  return a ? a->as_string() : fallback;
}

std::vector<int64_t> OpContext::attr_ints(const std::string& name, const std::vector<int64_t>& fallback) const {
  const io::OnnxAttribute* a = node.attribute(name);
  return a ? a->as_ints() : fallback;
}

std::vector<int64_t> OpContext::required_ints(const std::string& name) const {
  const io::OnnxAttribute* a = node.attribute(name);
  if (!a) throw std::invalid_argument("attribute '" + name + "' is required");
  return a->as_ints();
}

int64_t onnx_axis(int64_t axis, int64_t rank, const std::string& what) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw std::invalid_argument(what + " " + std::to_string(axis) + " is out of range for rank " +
                                std::to_string(rank));
  }
  return a;
}

namespace {
// The opset versions each op is written for, where they are not all of 1 to 17: the op's
// older versions had other semantics (legacy broadcast attributes, attribute inputs, ...),
// or the op did not exist yet or any more.
struct OpsetRange {
  int64_t min, max;
};
const std::map<std::string, OpsetRange>& opset_ranges() {
  static const std::map<std::string, OpsetRange> r = {
      // Before 7, the binary ops broadcast only with `broadcast`/`axis` attributes.
      {"Add", {7, 17}}, {"Sub", {7, 17}}, {"Mul", {7, 17}}, {"Div", {7, 17}}, {"Pow", {7, 17}},
      {"Gemm", {7, 17}}, {"PRelu", {7, 17}}, {"Equal", {7, 17}}, {"Less", {7, 17}}, {"Greater", {7, 17}},
      {"BatchNormalization", {7, 17}},  // 6 and older had is_test and consumed_inputs
      {"Dropout", {7, 17}},             // 6 and older had is_test
      {"Cast", {6, 17}},                // 1 to 5 spelled `to` as a string
      {"Reshape", {5, 17}},             // 1 to 4 took the shape as an attribute
      {"Concat", {4, 17}},              // 1 to 3 had a default axis
      {"Pad", {2, 17}}, {"Split", {2, 17}}, {"Clip", {6, 17}},
      {"Min", {8, 17}}, {"Max", {8, 17}}, {"Sum", {8, 17}}, {"Mean", {8, 17}},  // 8: broadcasting
      {"Expand", {8, 17}}, {"ConstantOfShape", {9, 17}}, {"Where", {9, 17}}, {"Erf", {9, 17}},
      {"LessOrEqual", {12, 17}}, {"GreaterOrEqual", {12, 17}}, {"HardSwish", {14, 17}},
      {"Resize", {10, 17}}, {"Upsample", {7, 9}},  // Upsample is deprecated from 10 on (Resize)
      {"InstanceNormalization", {6, 17}}, {"LayerNormalization", {17, 17}}, {"Shrink", {9, 17}},
      {"Sign", {9, 17}}, {"Round", {11, 17}}, {"IsNaN", {9, 17}}, {"IsInf", {10, 17}},
      {"And", {7, 17}}, {"Or", {7, 17}}, {"Xor", {7, 17}}, {"ArgMax", {1, 17}}, {"ArgMin", {1, 17}},
      {"Floor", {6, 17}}, {"Ceil", {6, 17}}, {"DepthToSpace", {1, 17}}, {"SpaceToDepth", {1, 17}},
  };
  return r;
}

const std::map<std::string, OpInfo>& table() {
  static const std::map<std::string, OpInfo> t = [] {
    std::map<std::string, OpFn> one;
    add_nn_ops(one);
    add_shape_ops(one);
    add_math_ops(one);
    add_reduce_ops(one);
    add_repeat_ops(one);
    add_conv_transpose_ops(one);
    add_resize_ops(one);
    add_pool_ops(one);
    std::map<std::string, MultiOpFn> many;
    add_multi_output_ops(many);
    add_norm_ops(one, many);
    std::map<std::string, OpInfo> m;
    for (const auto& [name, fn] : one) m[name].one = fn;
    for (const auto& [name, fn] : many) m[name].many = fn, m[name].max_outputs = SIZE_MAX;  // each checks its own
    for (auto& [name, info] : m) {
      if (const auto it = opset_ranges().find(name); it != opset_ranges().end()) {
        info.min_opset = it->second.min, info.max_opset = it->second.max;
      }
    }
    return m;
  }();
  return t;
}
}  // namespace

const OpInfo* find_op(const std::string& op_type) {
  const auto it = table().find(op_type);
  return it == table().end() ? nullptr : &it->second;
}

size_t requested_outputs(const io::OnnxNode& n) {
  size_t k = n.outputs.size();
  while (k > 0 && n.outputs[k - 1].empty()) --k;
  return k;
}

std::vector<Value> run_op(const OpInfo& op, const OpContext& ctx) {
  if (op.many && (ctx.num_outputs > 1 || !op.one)) {
    std::vector<Value> out = op.many(ctx);
    if (out.size() != ctx.num_outputs) {
      throw std::logic_error(ctx.node.op_type + " gave " + std::to_string(out.size()) + " outputs for " +
                             std::to_string(ctx.num_outputs));
    }
    return out;
  }
  std::vector<Value> out;
  out.push_back(op.one(ctx));
  return out;
}

std::string op_problem(const OpInfo& op, const io::OnnxNode& n, int64_t opset) {
  if (opset < op.min_opset || opset > op.max_opset) {
    return n.op_type + " is supported in opsets " + std::to_string(op.min_opset) + " to " +
           std::to_string(op.max_opset) + ", and the model imports opset " + std::to_string(opset);
  }
  const size_t outs = requested_outputs(n);
  if (outs > op.max_outputs) {
    return "it asks for " + std::to_string(outs) + " outputs; only " +
           (op.max_outputs == 1 ? std::string("the first is") : std::to_string(op.max_outputs) + " are") +
           " supported (output '" + n.outputs[op.max_outputs] + "')";
  }
  return "";
}

bool host_input(const std::string& op_type, size_t index) {
  static const std::map<std::string, std::vector<size_t>> inputs = {
      {"Resize", {1, 2, 3}}, {"Upsample", {1}}, {"Dropout", {1, 2}}, {"Clip", {1, 2}}, {"Pow", {1}}};
  const auto it = inputs.find(op_type);
  return it != inputs.end() && std::find(it->second.begin(), it->second.end(), index) != it->second.end();
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const auto& [name, info] : table()) out.push_back(name);
  return out;
}

}  // namespace cyclone::nn::onnx
