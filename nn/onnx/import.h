// Importing an ONNX graph (e.g. from torch.onnx.export) as a runnable, trainable cyclone
// model: the graph's ops map onto cyclone's differentiable functions and its initializers
// become parameters and buffers under their ONNX names.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/onnx.h"
#include "nn/models/model.h"

namespace cyclone::nn {

namespace onnx {
class Program;
struct Plan;
}  // namespace onnx

// A whole ONNX graph with one input and one output. forward(x) evaluates the graph in
// topological order. Floating initializers are parameters (BatchNormalization's running
// mean/var are buffers), named as in the file, so named_parameters(), state_dict(),
// load_weights(), .to(device) and optimizers work as for any module. BatchNormalization
// follows train()/eval(): batch statistics and running-stat updates in training, running
// statistics in eval (like every Module, a new OnnxModel starts in training mode: call
// eval() for inference). An Identity of an initializer, which torch.onnx.export emits to
// share equal values (e.g. untrained BN statistics), becomes a weight of its own under the
// Identity's output name, so the state_dict keeps the original names.
//
// As a Model, body() is everything before the classifier and head() the classifier: the
// Gemm, or MatMul (+ Add of a bias), that computes the output from constant weights.
// layer_groups() is {"body", "head"}. A graph without such a classifier still runs
// (forward), but body/head/layer_groups/num_classes throw, saying why. The graph's BN is
// not an nn::BatchNorm, so the Learner's frozen-BN setting does not reach it.
class OnnxModel : public Model {
 public:
  // `source` (usually the file name) starts every error message.
  explicit OnnxModel(const io::OnnxModel& model, const std::string& source = "onnx model");
  ~OnnxModel() override;

  Tensor forward(const Tensor& x) override;
  Tensor body(const Tensor& x) override;
  Tensor head(const Tensor& f) override;
  std::vector<LayerGroup> layer_groups() override;
  int64_t num_classes() const override;
  std::string type_name() const override { return "OnnxModel"; }
  std::string extra_repr() const override;

  bool has_head() const { return head_problem_.empty(); }
  // Channels and spatial size from the graph input's declared shape [N, C, H, W].
  InputSpec input_spec() const;
  // The op types of the graph after constant folding, in evaluation order.
  std::vector<std::string> op_types() const;

 private:
  class WeightGroup;
  void split_head();
  const onnx::Program& program() const { return *program_; }

  std::unique_ptr<onnx::Program> program_;
  std::unique_ptr<onnx::Plan> body_plan_, head_plan_;
  std::shared_ptr<WeightGroup> body_group_, head_group_;
  std::string head_problem_;  // why there is no body/head split ("" when there is one)
  int64_t classes_ = 0;
};

// Reads and imports an .onnx file. Unsupported ops and unsupported attribute values are
// reported together in one error (each with its node) before anything runs; shape problems
// found at run time name the node. Supported: onnx_supported_ops(), each in the ai.onnx
// opsets it is written for (nn/onnx/ops.cpp; at most 17, as PyTorch 1.13 exports); 1-D and 2-D
// Conv and ConvTranspose, pools of any rank, every Pad mode of opset 17; auto_pad and any pads
// on Conv and the pools (see nn/onnx/attrs.h). The graph must have one input and one output
// (nn/onnx/program.h runs graphs of any number of each).
std::shared_ptr<OnnxModel> import_onnx_model(const std::string& path);
std::shared_ptr<OnnxModel> import_onnx_model(const io::OnnxModel& model, const std::string& source = "onnx model");

// The same, as a plain Module.
std::shared_ptr<Module> import_onnx(const std::string& path);
std::shared_ptr<Module> import_onnx(const io::OnnxModel& model, const std::string& source = "onnx model");

std::vector<std::string> onnx_supported_ops();

}  // namespace cyclone::nn
