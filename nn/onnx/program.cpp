// Validating, ordering and running an imported ONNX graph (see onnx_program.h).
#include "nn/onnx/program.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "nn/onnx/attrs.h"
#include "nn/onnx/ops.h"
#include "nn/state_io.h"

namespace cyclone::nn::onnx {

namespace {
constexpr int64_t kMinOpset = 1, kMaxOpset = 17;  // each op narrows this (ops.cpp)

bool default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}
}  // namespace

std::string Program::where(const io::OnnxNode& n) const {
  const std::string name = n.name.empty() ? (n.outputs.empty() ? "?" : "-> " + n.outputs[0]) : n.name;
  return "node '" + name + "' (" + n.op_type + ")";
}

Program::Program(const io::OnnxModel& model, std::string source, GraphIo io) : source_(std::move(source)) {
  const io::OnnxGraph& g = model.graph;
  opset_ = model.opset_version("");
  if (opset_ < kMinOpset || opset_ > kMaxOpset) {
    throw std::invalid_argument(source_ + ": ai.onnx opset " + std::to_string(opset_) + " is not supported (" +
                                std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")");
  }
  check_ops(g, opset_);
  check_io(g, io);
  sort_nodes(g);
  make_weights(g);
  fold_constants();
  prune_dead_nodes();
  std::vector<size_t> all(nodes_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<std::string> input_names;
  for (const auto& in : inputs_) input_names.push_back(in.name);
  full_ = make_plan(all, input_names, outputs_);
}

// Every unsupported op type with the nodes that use it, and every unsupported attribute
// value of the supported ones (node, file position, attribute, value, what is supported),
// in one error.
void Program::check_ops(const io::OnnxGraph& g, int64_t opset) const {
  std::map<std::string, std::vector<std::string>> bad;
  std::vector<std::string> bad_uses, bad_attrs;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const io::OnnxNode& n = g.nodes[i];
    if (const OpInfo* op = default_domain(n.domain) ? find_op(n.op_type) : nullptr) {
      const std::string at = where(n) + " (node #" + std::to_string(i) + "): ";
      if (const std::string p = op_problem(*op, n, opset); !p.empty()) bad_uses.push_back(at + p);
      for (const std::string& p : attribute_problems(n, opset)) bad_attrs.push_back(at + p);
      continue;
    }
    const std::string op = default_domain(n.domain) ? n.op_type : n.domain + "::" + n.op_type;
    bad[op].push_back("'" + (n.name.empty() ? "-> " + (n.outputs.empty() ? "?" : n.outputs[0]) : n.name) + "'");
  }
  std::vector<std::string> parts;
  if (!bad.empty()) {
    std::vector<std::string> items;
    for (const auto& [op, names] : bad)
      items.push_back(op + " (node" + (names.size() > 1 ? "s " : " ") + join(names) + ")");
    parts.push_back(std::string("unsupported ONNX op") + (bad.size() > 1 ? "s: " : ": ") + join(items, "; ") +
                    ". Supported: " + join(supported_ops()));
  }
  if (!bad_attrs.empty()) {
    parts.push_back("unsupported attribute value" + std::string(bad_attrs.size() > 1 ? "s" : "") + " (" +
                    std::to_string(bad_attrs.size()) + "): " + join(bad_attrs, "; "));
  }
  if (!bad_uses.empty()) {
    parts.push_back(std::string(bad_uses.size() > 1 ? "unsupported op versions or outputs" : "unsupported op version or output") +
                    " (" + std::to_string(bad_uses.size()) + "): " + join(bad_uses, "; "));
  }
  if (!parts.empty()) throw std::invalid_argument(source_ + ": " + join(parts, ". Also "));
}

void Program::check_io(const io::OnnxGraph& g, GraphIo io) {
  for (const auto& in : g.inputs) {
    if (!g.initializers.count(in.name)) inputs_.push_back(in);
  }
  for (const auto& out : g.outputs) outputs_.push_back(out.name);
  if (io == GraphIo::any) {
    if (outputs_.empty()) throw std::invalid_argument(source_ + ": the graph has no output");
    return;
  }
  if (inputs_.size() != 1) {
    std::vector<std::string> names;
    for (const auto& in : inputs_) names.push_back("'" + in.name + "'");
    throw std::invalid_argument(source_ + ": expected one graph input besides the initializers, found " +
                                std::to_string(inputs_.size()) + (names.empty() ? "" : ": " + join(names)));
  }
  if (outputs_.size() != 1) {
    throw std::invalid_argument(source_ + ": expected one graph output, found " + std::to_string(outputs_.size()));
  }
}

// Kahn's algorithm, taking the lowest file position first so a valid order is kept as is.
void Program::sort_nodes(const io::OnnxGraph& g) {
  const size_t n = g.nodes.size();
  std::set<std::string> graph_inputs;
  for (const auto& in : inputs_) graph_inputs.insert(in.name);
  std::unordered_map<std::string, size_t> producer;
  for (size_t i = 0; i < n; ++i) {
    const io::OnnxNode& node = g.nodes[i];
    if (requested_outputs(node) == 0) throw std::invalid_argument(source_ + ": " + where(node) + " has no output");
    for (const std::string& out : node.outputs) {
      if (out.empty()) continue;
      if (!producer.emplace(out, i).second || graph_inputs.count(out) || g.initializers.count(out)) {
        throw std::invalid_argument(source_ + ": value '" + out + "' is defined twice (again by " + where(node) + ")");
      }
    }
  }
  std::vector<size_t> pending(n, 0);
  std::vector<std::vector<size_t>> users(n);
  std::vector<std::string> undefined;
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& in : g.nodes[i].inputs) {
      if (in.empty() || graph_inputs.count(in) || g.initializers.count(in)) continue;
      const auto it = producer.find(in);
      if (it == producer.end()) {
        undefined.push_back("'" + in + "' (input of " + where(g.nodes[i]) + ")");
        continue;
      }
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  if (!undefined.empty()) {
    throw std::invalid_argument(
        source_ + ": undefined values (not a graph input, initializer or node output): " + join(undefined));
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.insert(i);
  }
  std::vector<io::OnnxNode> sorted;
  while (!ready.empty()) {
    const size_t i = *ready.begin();
    ready.erase(ready.begin());
    sorted.push_back(g.nodes[i]);
    for (size_t u : users[i]) {
      if (--pending[u] == 0) ready.insert(u);
    }
  }
  if (sorted.size() != n) {
    std::vector<std::string> stuck;
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] > 0) stuck.push_back(where(g.nodes[i]));
    }
    throw std::invalid_argument(source_ + ": the graph has a cycle; these nodes wait on each other: " + join(stuck));
  }
  nodes_ = std::move(sorted);
}

// Floating initializers become weights (BN running statistics as buffers); integer ones
// are constants. An Identity of a weight (the exporter's way of sharing equal values)
// becomes a weight of its own under the Identity's output name.
void Program::make_weights(const io::OnnxGraph& g) {
  std::set<std::string> bn_stats;
  for (const io::OnnxNode& n : nodes_) {
    if (n.op_type != "BatchNormalization") continue;
    for (size_t k = 3; k < std::min<size_t>(5, n.inputs.size()); ++k) bn_stats.insert(n.inputs[k]);
  }
  // Floating initializers that only feed inputs an op reads on the host (Resize's scales,
  // Dropout's ratio, ...) are constants, not parameters.
  std::set<std::string> as_weight, as_parameter;
  for (const io::OnnxNode& n : nodes_) {
    for (size_t k = 0; k < n.inputs.size(); ++k) (host_input(n.op_type, k) ? as_parameter : as_weight).insert(n.inputs[k]);
  }
  std::vector<std::string> order = g.initializer_order;
  if (order.empty()) {
    for (const auto& [name, a] : g.initializers) order.push_back(name);
  }
  for (const std::string& name : order) {
    const io::NdArray& a = g.initializers.at(name);
    const bool parameter_only = as_parameter.count(name) && !as_weight.count(name);
    if ((a.dtype == io::DType::f32 || a.dtype == io::DType::f64) && !parameter_only) {
      weights_.push_back(
          {name, tensor_from_ndarray(a, source_ + ": initializer '" + name + "'", true), bn_stats.count(name) > 0});
      weight_index_[name] = &weights_.back();
    } else {
      constants_[name] = HostArray::from_ndarray(a);
    }
  }
  std::vector<io::OnnxNode> kept;
  for (io::OnnxNode& n : nodes_) {
    const auto it =
        n.op_type == "Identity" && n.inputs.size() == 1 ? weight_index_.find(n.inputs[0]) : weight_index_.end();
    if (it == weight_index_.end()) {
      kept.push_back(std::move(n));
      continue;
    }
    const std::string& out = n.outputs[0];
    weights_.push_back({out, it->second->tensor.detach().clone(), bn_stats.count(out) > 0});
    weight_index_[out] = &weights_.back();
  }
  nodes_ = std::move(kept);
}

// Nodes whose inputs are all constants and whose result is a host array are evaluated
// once here (the exporter's shape arithmetic, e.g. the pads of an option-A shortcut).
void Program::fold_constants() {
  std::vector<io::OnnxNode> kept;
  for (io::OnnxNode& n : nodes_) {
    bool foldable = true;
    std::vector<Value> values;
    for (const std::string& in : n.inputs) {
      if (in.empty()) continue;
      const auto it = constants_.find(in);
      if (it == constants_.end()) {
        foldable = false;
        break;
      }
      values.emplace_back(it->second);
    }
    if (foldable) {
      OpContext ctx{n, {}, opset_, false, kCPU, requested_outputs(n)};
      size_t next = 0;
      for (const std::string& in : n.inputs) ctx.inputs.push_back(in.empty() ? nullptr : &values[next++]);
      std::vector<Value> outs;
      try {
        outs = run_op(*find_op(n.op_type), ctx);
      } catch (const std::exception& e) {
        throw std::invalid_argument(source_ + ": " + where(n) + ": " + e.what());
      }
      const bool all_host =
          std::all_of(outs.begin(), outs.end(), [](const Value& v) { return std::holds_alternative<HostArray>(v); });
      if (all_host) {
        for (size_t k = 0; k < outs.size(); ++k) {
          if (!n.outputs[k].empty()) constants_[n.outputs[k]] = std::move(std::get<HostArray>(outs[k]));
        }
        continue;
      }
    }
    kept.push_back(std::move(n));
  }
  nodes_ = std::move(kept);
}

// Drops nodes the output does not depend on.
void Program::prune_dead_nodes() {
  std::set<std::string> needed(outputs_.begin(), outputs_.end());
  std::vector<bool> keep(nodes_.size(), false);
  for (size_t i = nodes_.size(); i-- > 0;) {
    const auto& outs = nodes_[i].outputs;
    if (std::none_of(outs.begin(), outs.end(), [&](const std::string& o) { return needed.count(o) > 0; })) continue;
    keep[i] = true;
    for (const std::string& in : nodes_[i].inputs) needed.insert(in);
  }
  std::vector<io::OnnxNode> kept;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(nodes_[i]));
  }
  nodes_ = std::move(kept);
}

const Weight* Program::weight(const std::string& name) const {
  const auto it = weight_index_.find(name);
  return it == weight_index_.end() ? nullptr : it->second;
}

int64_t Program::producer(const std::string& value) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto& outs = nodes_[i].outputs;
    if (std::find(outs.begin(), outs.end(), value) != outs.end()) return static_cast<int64_t>(i);
  }
  return -1;
}

Plan Program::make_plan(const std::vector<size_t>& nodes, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs) const {
  Plan p;
  p.nodes = nodes;
  std::sort(p.nodes.begin(), p.nodes.end());
  p.inputs = inputs;
  p.outputs = outputs;
  const std::set<std::string> kept(outputs.begin(), outputs.end());
  std::map<std::string, size_t> last_use;
  for (size_t k = 0; k < p.nodes.size(); ++k) {
    for (const std::string& in : nodes_[p.nodes[k]].inputs) last_use[in] = k;
  }
  p.release.resize(p.nodes.size());
  for (const auto& [name, k] : last_use) {
    if (!kept.count(name) && !name.empty()) p.release[k].push_back(name);
  }
  return p;
}

Tensor Program::run(const Plan& plan, const Tensor& x, bool training) const {
  if (plan.inputs.size() != 1 || plan.outputs.size() != 1) {
    throw std::logic_error(source_ + ": Program::run takes a plan of one input and one output");
  }
  if (!inputs_.empty() && plan.inputs[0] == inputs_[0].name && inputs_[0].has_shape) {
    const auto& dims = inputs_[0].dims;
    if (x.dim() != static_cast<int64_t>(dims.size()) || (dims.size() > 1 && dims[1] > 0 && x.size(1) != dims[1])) {
      throw std::invalid_argument(source_ + ": input '" + inputs_[0].name + "' expects shape " + shape_str(dims) +
                                  " (-1: any), got " + shape_str(x.shape()));
    }
  }
  const Value out = evaluate(plan, {Value(x)}, training, x.device())[0];
  if (const Tensor* t = std::get_if<Tensor>(&out)) return *t;
  return host_cast(std::get<HostArray>(out), true).to_tensor(x.device());
}

std::vector<Value> Program::evaluate(const Plan& plan, const std::vector<Value>& inputs, bool training,
                                     Device device) const {
  if (inputs.size() != plan.inputs.size()) {
    throw std::invalid_argument(source_ + ": expected " + std::to_string(plan.inputs.size()) + " inputs, got " +
                                std::to_string(inputs.size()));
  }
  std::unordered_map<std::string, Value> env;
  for (size_t i = 0; i < inputs.size(); ++i) env.insert_or_assign(plan.inputs[i], inputs[i]);
  auto value_of = [&](const std::string& name) -> Value {
    if (const auto it = env.find(name); it != env.end()) return it->second;
    if (const Weight* w = weight(name)) return w->tensor;
    if (const auto it = constants_.find(name); it != constants_.end()) return it->second;
    throw std::runtime_error(source_ + ": value '" + name + "' is not available in this part of the graph");
  };
  for (size_t k = 0; k < plan.nodes.size(); ++k) {
    const io::OnnxNode& n = nodes_[plan.nodes[k]];
    std::vector<Value> values;
    values.reserve(n.inputs.size());
    OpContext ctx{n, {}, opset_, training, device, requested_outputs(n)};
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        ctx.inputs.push_back(nullptr);
        continue;
      }
      values.push_back(value_of(in));
      ctx.inputs.push_back(&values.back());
    }
    try {
      std::vector<Value> outs = run_op(*find_op(n.op_type), ctx);
      for (size_t o = 0; o < outs.size(); ++o) {
        if (!n.outputs[o].empty()) env.insert_or_assign(n.outputs[o], std::move(outs[o]));
      }
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source_ + ": " + where(n) + ": " + e.what());
    } catch (const std::exception& e) {
      throw std::runtime_error(source_ + ": " + where(n) + ": " + e.what());
    }
    for (const std::string& name : plan.release[k]) env.erase(name);
  }
  std::vector<Value> out;
  for (const std::string& name : plan.outputs) out.push_back(value_of(name));
  return out;
}

}  // namespace cyclone::nn::onnx
