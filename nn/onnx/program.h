// The executable form of an ONNX graph: validated, topologically sorted, constant-folded
// nodes, the initializers as tensors, and plans (node lists) that evaluate part of it.
#pragma once
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "io/onnx.h"
#include "nn/onnx/value.h"

namespace cyclone::nn::onnx {

// A floating-point initializer: a trainable parameter, or a buffer (BN running stats).
struct Weight {
  std::string name;
  Tensor tensor;
  bool buffer = false;
};

// Nodes to run, in order, from input values to output values.
struct Plan {
  std::vector<size_t> nodes;  // indices into Program::nodes()
  std::vector<std::string> inputs, outputs;
  std::vector<std::vector<std::string>> release;  // values dropped after each node
};

// The graph inputs and outputs a Program takes: exactly one of each (a model), or any
// number (a general graph, such as the ONNX node tests).
enum class GraphIo { one_to_one, any };

class Program {
 public:
  // Checks the ops (one error lists every unsupported op type, every op outside its opset
  // range and every unsupported attribute value, with the nodes), the inputs and outputs,
  // node outputs and the order (sorting it; cycles are errors), then turns initializers into
  // weights and folds the constant subgraphs. `source` (a file name) starts every error message.
  Program(const io::OnnxModel& model, std::string source, GraphIo io = GraphIo::one_to_one);
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Builds a plan over `nodes` (kept in the program's order) from `inputs` to `outputs`.
  Plan make_plan(const std::vector<size_t>& nodes, const std::vector<std::string>& inputs,
                 const std::vector<std::string>& outputs) const;
  // Runs a plan of one input and one output on x; `training` selects BN batch statistics.
  Tensor run(const Plan& plan, const Tensor& x, bool training) const;
  // Runs a plan on one value per plan input (tensors, or host arrays for integer data such as
  // shapes and indices); host arrays become tensors on `device`. One value per plan output.
  std::vector<Value> evaluate(const Plan& plan, const std::vector<Value>& inputs, bool training,
                              Device device) const;

  const Plan& full_plan() const { return full_; }
  const std::vector<io::OnnxNode>& nodes() const { return nodes_; }
  std::deque<Weight>& weights() { return weights_; }
  const Weight* weight(const std::string& name) const;
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  // Index of the node computing `value`, or -1 (graph input, weight or constant).
  int64_t producer(const std::string& value) const;
  const io::OnnxValueInfo& input_info() const { return inputs_.at(0); }
  const std::vector<io::OnnxValueInfo>& inputs() const { return inputs_; }
  const std::vector<std::string>& outputs() const { return outputs_; }
  const std::string& source() const { return source_; }
  int64_t opset() const { return opset_; }

 private:
  void check_ops(const io::OnnxGraph& g, int64_t opset) const;
  void check_io(const io::OnnxGraph& g, GraphIo io);
  void sort_nodes(const io::OnnxGraph& g);
  void make_weights(const io::OnnxGraph& g);
  void fold_constants();
  void prune_dead_nodes();
  std::string where(const io::OnnxNode& n) const;

  std::string source_;
  int64_t opset_ = 0;
  std::vector<io::OnnxValueInfo> inputs_;
  std::vector<std::string> outputs_;
  std::vector<io::OnnxNode> nodes_;
  std::deque<Weight> weights_;  // stable addresses: modules register these slots
  std::map<std::string, Weight*> weight_index_;
  std::map<std::string, HostArray> constants_;
  Plan full_;
};

}  // namespace cyclone::nn::onnx
