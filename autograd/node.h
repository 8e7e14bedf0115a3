// The autograd graph. Every differentiable op that sees an input requiring
// grad records a Node: a backward function from the gradient of its single
// output to the gradients of its inputs, and one Edge per input pointing at
// the Node that produced that input (or at the leaf's AccumulateGrad).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace cyclone {

struct Edge {
  std::shared_ptr<Node> node;  // null: this input needs no gradient
};

class Node {
 public:
  virtual ~Node() = default;
  // Gradient of the output in, gradients for each edge out (undefined = none).
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  virtual std::string name() const = 0;
  // Frees saved tensors once a backward pass no longer needs them.
  virtual void release() {}
  std::vector<Edge> next;
};

// The usual node: a named backward closure over the tensors it saved.
class FunctionNode : public Node {
 public:
  using Backward = std::function<std::vector<Tensor>(const Tensor& grad)>;
  FunctionNode(std::string name, Backward fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override;
  std::string name() const override { return name_; }
  void release() override { fn_ = nullptr; }

 private:
  std::string name_;
  Backward fn_;
};

// Sink for a leaf: adds incoming gradients into leaf.grad.
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override;
  std::string name() const override { return "AccumulateGrad"; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;               // set for non-leaf results
  std::weak_ptr<Node> grad_accumulator;        // shared by all uses of a leaf
};

// ---- grad mode ----
bool grad_enabled();
void set_grad_enabled(bool on);
// Disables graph recording in a scope (like torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// Links `output` into the graph if grad mode is on and any input requires
// grad; `backward` returns one gradient per input (undefined where none).
// Returns `output` for chaining.
Tensor record(const char* name, const std::vector<Tensor>& inputs, Tensor output,
              FunctionNode::Backward backward);

// Runs the backward pass from `root` (see Tensor::backward).
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

// Sums `grad` down to `shape`, undoing broadcasting: dims that were added in
// front are summed away, dims of size 1 that were expanded are summed with keepdim.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace cyclone
