// The CUDA-graph training step (train/step_graph.h): a SmallCNN trained with
// its forward and backward replayed from a graph gives the same losses and
// weights, bit for bit, as the same steps run eagerly, with a batch of another
// shape in the middle; a step that draws random numbers or synchronises with
// the device falls back to eager steps, with the reason kept.
#include <memory>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/models/model.h"
#include "optim/sgd.h"
#include "schedules/classic.h"
#include "tensor/rng.h"
#include "test_helpers.h"
#include "train/step_graph.h"
#include "train/train_step.h"

using namespace cyclone;

namespace {

struct Run {
  nn::ModelPtr model;
  std::unique_ptr<optim::SGD> opt;
  std::vector<float> losses;
  explicit Run(uint64_t seed) {
    manual_seed(seed);
    model = nn::make_model("smallcnn");
    model->to(kCUDA);
    model->train();
    optim::SgdOptions o;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.weight_decay = 5e-4;
    opt = std::make_unique<optim::SGD>(model->parameters(), o);
  }
  std::vector<std::vector<float>> weights() {
    std::vector<std::vector<float>> out;
    for (auto& [k, v] : model->state_dict()) out.push_back(v.to(kCPU).to(DType::f32).to_vector());
    return out;
  }
};

// Batch b: 8 images (4 for b == 5, a shape the graph was not captured with).
std::pair<Tensor, Tensor> batch(int b) {
  const int64_t n = b == 5 ? 4 : 8;
  manual_seed(1000 + b);
  Tensor x = randn({n, 1, 28, 28});
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back((i + b) % 10);
  return {x.to(kCUDA), from_vector(labels, {n}).to(kCUDA)};
}

void run_steps(Run& r, train::StepGraph* graph, int steps, const std::function<Tensor(const Tensor&)>& forward = {}) {
  const schedules::Constant sched(0.02);
  train::TrainStep ts;
  ts.forward = forward ? forward : [&](const Tensor& x) { return r.model->forward(x); };
  ts.optimizer = r.opt.get();
  ts.schedule = &sched;
  ts.graph = graph;
  for (int b = 0; b < steps; ++b) {
    auto [x, y] = batch(b);
    r.losses.push_back(train::train_step(ts, x, y, b).to(kCPU).item());
  }
}

}  // namespace

TEST_CASE("a CUDA-graph training step equals the eager step bit for bit" * doctest::test_suite("cuda")) {
  if (!test::cuda_or_skip()) return;
  Run eager(7), graphed(7);
  run_steps(eager, nullptr, 9);
  train::StepGraph graph(2);
  run_steps(graphed, &graph, 9);
  CHECK(graph.captured());
  CHECK(graph.disabled_reason().empty());
  CHECK(graph.replays() == 6);  // steps 0-1 warm up, 2-8 replay but for step 5 (4 images)
  CHECK(graphed.losses == eager.losses);
  CHECK(graphed.weights() == eager.weights());
}

TEST_CASE("a step that draws random numbers or reads the device runs without a CUDA graph" *
          doctest::test_suite("cuda")) {
  if (!test::cuda_or_skip()) return;
  {
    Run r(8);
    train::StepGraph graph(1);
    run_steps(r, &graph, 4, [&](const Tensor& x) { return r.model->forward(x + 0.01 * randn(x.shape(), kCUDA)); });
    CHECK_FALSE(graph.captured());
    CHECK(graph.disabled_reason().find("random numbers") != std::string::npos);
    CHECK(r.losses.size() == 4);
  }
  {
    Run r(9), eager(9);
    auto reads = [](Run& run) {
      return [&run](const Tensor& x) {
        const Tensor logits = run.model->forward(x);
        (void)sum(logits).to(kCPU).item();  // a synchronisation inside the step
        return logits;
      };
    };
    train::StepGraph graph(1);
    run_steps(r, &graph, 4, reads(r));
    run_steps(eager, nullptr, 4, reads(eager));
    CHECK_FALSE(graph.captured());
    CHECK(graph.disabled_reason().find("capture") != std::string::npos);
    CHECK(r.losses == eager.losses);
    CHECK(r.weights() == eager.weights());
  }
}
