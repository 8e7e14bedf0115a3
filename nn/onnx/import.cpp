// OnnxModel: an imported ONNX graph as a cyclone Model (weights registered under their
// ONNX names, forward through the program, a body/head split at the classifier).
#include "nn/onnx/import.h"

#include <set>
#include <stdexcept>

#include "nn/onnx/ops.h"
#include "nn/onnx/program.h"

namespace cyclone::nn {

// Parameters and buffers of one layer group. It only refers to the model's own weight
// slots (it is not a child), so names and devices stay the model's.
class OnnxModel::WeightGroup : public Module {
 public:
  void add(onnx::Weight& w) {
    if (w.buffer)
      register_buffer(w.name, &w.tensor);
    else
      register_parameter(w.name, &w.tensor);
  }
  Tensor forward(const Tensor&) override {
    throw std::logic_error("OnnxModel layer group: run the OnnxModel, not its layer group");
  }
  std::string type_name() const override { return "OnnxWeightGroup"; }
};

OnnxModel::OnnxModel(const io::OnnxModel& model, const std::string& source)
    : program_(std::make_unique<onnx::Program>(model, source)) {
  for (onnx::Weight& w : program_->weights()) {
    if (w.buffer)
      register_buffer(w.name, &w.tensor);
    else
      register_parameter(w.name, &w.tensor);
  }
  split_head();
}

OnnxModel::~OnnxModel() = default;

namespace {
std::string node_label(const io::OnnxNode& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }
}  // namespace

// Finds the classifier: the output's Gemm or MatMul with constant weights, or an Add of a
// constant bias to such a MatMul. Everything before its data input is the body.
void OnnxModel::split_head() {
  const onnx::Program& p = program();
  const auto& nodes = p.nodes();
  const std::string& out = p.full_plan().outputs[0];
  const int64_t last = p.producer(out);
  if (last < 0) {
    head_problem_ = "the output '" + out + "' is not computed by a node";
    return;
  }
  auto is_const = [&](const std::vector<std::string>& ins, size_t k) {
    return k >= ins.size() || ins[k].empty() || p.weight(ins[k]) || p.is_constant(ins[k]);
  };
  auto matmul_like = [&](int64_t i) {
    if (i < 0) return false;
    const io::OnnxNode& n = nodes[static_cast<size_t>(i)];
    const bool gemm = n.op_type == "Gemm" && is_const(n.inputs, 2) &&
                      (!n.attribute("transA") || n.attribute("transA")->as_int() == 0);
    return (gemm || n.op_type == "MatMul") && n.inputs.size() >= 2 && p.weight(n.inputs[1]) &&
           p.weight(n.inputs[1])->tensor.dim() == 2;
  };
  std::vector<size_t> head;
  const io::OnnxNode& top = nodes[static_cast<size_t>(last)];
  if (matmul_like(last)) {
    head = {static_cast<size_t>(last)};
  } else if (top.op_type == "Add" && top.inputs.size() == 2) {
    for (size_t k = 0; k < 2 && head.empty(); ++k) {
      const int64_t m = p.producer(top.inputs[k]);
      if (matmul_like(m) && is_const(top.inputs, 1 - k)) {
        head = {static_cast<size_t>(m), static_cast<size_t>(last)};
      }
    }
  }
  if (head.empty()) {
    head_problem_ = "its output comes from " + node_label(top) +
                    ", not from a Gemm or MatMul (+ Add of a bias) with constant weights";
    return;
  }
  const io::OnnxNode& mm = nodes[head[0]];
  for (size_t i = 0; i < nodes.size(); ++i) {  // the MatMul's result must feed only the bias Add
    if (head.size() == 2 && i != head[1]) {
      for (const std::string& in : nodes[i].inputs) {
        if (in == mm.outputs[0]) {
          head_problem_ = "the classifier's " + node_label(mm) + " also feeds " + node_label(nodes[i]);
          return;
        }
      }
    }
  }
  const std::string& feature = mm.inputs[0];
  std::vector<size_t> body;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i != head[0] && (head.size() == 1 || i != head[1])) body.push_back(i);
  }
  body_plan_ = std::make_unique<onnx::Plan>(p.make_plan(body, p.full_plan().inputs, {feature}));
  head_plan_ = std::make_unique<onnx::Plan>(p.make_plan(head, {feature}, {out}));
  const Tensor& w = p.weight(mm.inputs[1])->tensor;
  const bool trans_b = mm.op_type == "Gemm" && mm.attribute("transB") && mm.attribute("transB")->as_int() != 0;
  classes_ = trans_b ? w.size(0) : w.size(1);

  std::set<std::string> head_inputs;
  for (size_t i : head) head_inputs.insert(nodes[i].inputs.begin(), nodes[i].inputs.end());
  body_group_ = std::make_shared<WeightGroup>();
  head_group_ = std::make_shared<WeightGroup>();
  for (onnx::Weight& wt : program_->weights()) (head_inputs.count(wt.name) ? head_group_ : body_group_)->add(wt);
}

Tensor OnnxModel::forward(const Tensor& x) { return program_->run(program_->full_plan(), x, is_training()); }

namespace {
[[noreturn]] void no_head(const std::string& source, const std::string& why, const char* what) {
  throw std::runtime_error(source + ": OnnxModel::" + what + ": the graph has no classifier head: " + why);
}
}  // namespace

Tensor OnnxModel::body(const Tensor& x) {
  if (!has_head()) no_head(program().source(), head_problem_, "body");
  return program_->run(*body_plan_, x, is_training());
}

Tensor OnnxModel::head(const Tensor& f) {
  if (!has_head()) no_head(program().source(), head_problem_, "head");
  return program_->run(*head_plan_, f, is_training());
}

std::vector<LayerGroup> OnnxModel::layer_groups() {
  if (!has_head()) no_head(program().source(), head_problem_, "layer_groups");
  return {{"body", {body_group_.get()}}, {"head", {head_group_.get()}}};
}

int64_t OnnxModel::num_classes() const {
  if (!has_head()) no_head(program().source(), head_problem_, "num_classes");
  return classes_;
}

std::string OnnxModel::extra_repr() const {
  return "opset " + std::to_string(program().opset()) + ", " + std::to_string(program().nodes().size()) +
         " nodes, input '" + program().input_info().name + "', output '" + program().full_plan().outputs[0] + "'";
}

InputSpec OnnxModel::input_spec() const {
  const io::OnnxValueInfo& in = program().input_info();
  const auto& d = in.dims;
  if (!in.has_shape || d.size() != 4 || d[1] <= 0 || d[2] <= 0 || d[3] <= 0) {
    throw std::invalid_argument(program().source() + ": input '" + in.name + "' has shape " +
                                (in.has_shape ? shape_str(d) : std::string("(undeclared)")) +
                                "; expected a declared [N, C, H, W] with fixed C, H and W");
  }
  return {d[1], d[2], d[3]};
}

std::vector<std::string> OnnxModel::op_types() const {
  std::vector<std::string> out;
  for (const io::OnnxNode& n : program().nodes()) out.push_back(n.op_type);
  return out;
}

std::shared_ptr<OnnxModel> import_onnx_model(const io::OnnxModel& model, const std::string& source) {
  return std::make_shared<OnnxModel>(model, source);
}

std::shared_ptr<OnnxModel> import_onnx_model(const std::string& path) {
  return import_onnx_model(io::load_onnx(path), path);
}

std::shared_ptr<Module> import_onnx(const std::string& path) { return import_onnx_model(path); }

std::shared_ptr<Module> import_onnx(const io::OnnxModel& model, const std::string& source) {
  return import_onnx_model(model, source);
}

std::vector<std::string> onnx_supported_ops() { return onnx::supported_ops(); }

}  // namespace cyclone::nn
