// OpContext accessors (inputs, attributes with defaults) and the table of supported ONNX ops.
#include "nn/onnx/ops.h"

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
const std::map<std::string, OpFn>& table() {
  static const std::map<std::string, OpFn> t = [] {
    std::map<std::string, OpFn> m;
    add_nn_ops(m);
    add_shape_ops(m);
    add_pool_ops(m);
    return m;
  }();
  return t;
}
}  // namespace

OpFn find_op(const std::string& op_type) {
  const auto it = table().find(op_type);
  return it == table().end() ? nullptr : it->second;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : table()) out.push_back(name);
  return out;
}

}  // namespace cyclone::nn::onnx
