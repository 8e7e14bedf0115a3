// The backward engine: a topological walk of the graph from the root,
// accumulating each node's incoming gradients before running it (Kahn's algorithm).
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "autograd/node.h"
#include "autograd/functions.h"

namespace cyclone {
namespace {
thread_local bool g_grad_enabled = true;

AutogradMeta& meta_of(TensorImpl* impl) {
  if (!impl->autograd) impl->autograd = std::make_unique<AutogradMeta>();
  return *impl->autograd;
}

std::shared_ptr<Node> accumulator_for(const Tensor& leaf) {
  AutogradMeta& m = meta_of(leaf.impl());
  if (auto acc = m.grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(leaf.impl_ptr());
  m.grad_accumulator = acc;
  return acc;
}
}  // namespace

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool on) { g_grad_enabled = on; }

std::vector<Tensor> FunctionNode::apply(const Tensor& grad_output) {
  if (!fn_) {
    throw std::runtime_error(name_ + ": trying to backward through the graph a second time; its saved "
                             "tensors were freed. Pass retain_graph=true to the first backward().");
  }
  return fn_(grad_output);
}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& g) {
  AutogradMeta& m = meta_of(leaf_.get());
  Tensor grad = g;
  if (grad.shape() != leaf_->shape) grad = sum_to(grad, leaf_->shape);
  // Out-of-place accumulation: a gradient tensor may be shared by several leaves.
  m.grad = m.grad.defined() ? add(m.grad, grad) : grad.detach();
  return {};
}

Tensor record(const char* name, const std::vector<Tensor>& inputs, Tensor output,
              FunctionNode::Backward backward) {
  if (!grad_enabled()) return output;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return output;
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->next.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined() && t.requires_grad()) e.node = t.grad_fn() ? t.grad_fn() : accumulator_for(t);
    node->next.push_back(e);
  }
  AutogradMeta& m = meta_of(output.impl());
  m.requires_grad = true;
  m.grad_fn = std::move(node);
  return output;
}

void run_backward(const Tensor& root, const Tensor& grad_in, bool retain_graph) {
  if (!root.requires_grad()) {
    throw std::runtime_error("backward(): the tensor does not require grad and has no grad_fn");
  }
  Tensor grad = grad_in;
  if (!grad.defined()) {
    if (root.numel() != 1) {
      throw std::runtime_error("backward(): grad can be omitted only for a scalar output; this output has shape " +
                               shape_str(root.shape()));
    }
    grad = ones(root.shape(), TensorOptions(root.dtype()).on(root.device()));
  } else if (grad.shape() != root.shape()) {
    throw std::invalid_argument("backward(): grad has shape " + shape_str(grad.shape()) +
                                " but the output has shape " + shape_str(root.shape()));
  }
  NoGradGuard no_grad;  // no higher-order graphs
  std::shared_ptr<Node> start = root.grad_fn() ? root.grad_fn() : accumulator_for(root);

  // Count, for every node, how many edges point at it from nodes reachable from the root.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{start.get()};
  std::unordered_set<Node*> seen{start.get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next) {
      if (!e.node) continue;
      deps[e.node.get()]++;
      if (seen.insert(e.node.get()).second) stack.push_back(e.node.get());
    }
  }
  std::unordered_map<Node*, Tensor> pending{{start.get(), grad}};
  std::vector<std::shared_ptr<Node>> ready{start};
  while (!ready.empty()) {
    std::shared_ptr<Node> n = ready.back();
    ready.pop_back();
    std::vector<Tensor> grads;
    auto it = pending.find(n.get());
    if (it != pending.end()) {  // a node that received no gradient just passes "none" on
      Tensor g = std::move(it->second);
      pending.erase(it);
      grads = n->apply(g);
    }
    if (!retain_graph) n->release();
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Edge& e = n->next[i];
      if (!e.node) continue;
      if (i < grads.size() && grads[i].defined()) {
        Tensor& slot = pending[e.node.get()];
        slot = slot.defined() ? add(slot, grads[i]) : grads[i];
      }
      if (--deps[e.node.get()] == 0) ready.push_back(e.node);
    }
  }
}

}  // namespace cyclone
