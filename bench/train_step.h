// Times whole training steps of a model from nn::make_model on one device, through
// the Learner's own step (train::train_step): zero_grad, forward, cross-entropy,
// backward and (optionally) an SGD step, on one fixed random batch; and inference
// forwards in eval mode. Host clock with a device sync before and after each step, so
// launch overhead counts; on CUDA optionally through a CUDA graph (train/step_graph.h).
// Used by bench_train_cpu and bench_resnet20.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "bench/harness.h"
#include "nn/models/model.h"
#include "optim/sgd.h"
#include "tensor/device.h"
#include "tensor/rng.h"
#include "train/step_graph.h"
#include "train/train_step.h"

namespace cyclone::bench {

struct TrainBenchConfig {
  std::string model = "resnet20";
  int64_t batch = 128;
  Device device = kCPU;
  int warmup = 2;
  int steps = 5;
  bool optimizer_step = true;  // false: forward + backward only
  bool cuda_graph = false;      // CUDA: forward + backward replayed from a graph (train/step_graph.h)
  uint64_t seed = 0;
};

struct TrainBenchResult {
  Stats time;
  double first_loss = 0, last_loss = 0;
  bool optimizer_step = true;
  int64_t graph_replays = 0;  // with cuda_graph: the steps replayed from the graph
  std::string graph_note;     // why the steps ran without a graph, if they did
  // "ok" when the losses are finite and, with SGD steps, training on the one batch
  // lowered the loss; without them, the loss must not move (same weights, same batch).
  std::string check() const {
    const bool finite = std::isfinite(first_loss) && std::isfinite(last_loss);
    const bool sane = optimizer_step ? last_loss < first_loss
                                     : std::abs(last_loss - first_loss) <= 1e-4 * std::abs(first_loss);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s loss %.4f -> %.4f", finite && sane ? "ok" : "FAIL", first_loss, last_loss);
    return buf;
  }
};

// A random batch for `model`: N(0, 1) images and labels i*7 % classes.
struct RandomBatch {
  Tensor x, y;
};
inline RandomBatch random_batch(const std::string& model, int64_t batch, int64_t classes, Device device) {
  const nn::InputSpec in = nn::model_input(model);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) labels[static_cast<size_t>(i)] = (i * 7 + 3) % classes;
  return {randn({batch, in.channels, in.height, in.width}).to(device), from_vector(labels, {batch}).to(device)};
}

inline void sync_device(Device d) {
  if (d.is_cuda()) cuda_synchronize();
}

// Runs `step` cfg.warmup times untimed (the first result into `first`), then cfg.steps
// times timed (the last result into `last`), with a device sync around each timed call.
inline Stats time_calls(const std::function<Tensor()>& step, const TrainBenchConfig& cfg, Tensor& first, Tensor& last) {
  first = step();
  for (int i = 1; i < cfg.warmup; ++i) step();
  using clock = std::chrono::steady_clock;
  std::vector<double> ms;
  for (int i = 0; i < cfg.steps; ++i) {
    sync_device(cfg.device);
    const auto t0 = clock::now();
    last = step();
    sync_device(cfg.device);
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
  }
  return summarize(std::move(ms));
}

// Builds the model (seeded), then times cfg.steps steps after cfg.warmup untimed ones.
inline TrainBenchResult time_train_steps(const TrainBenchConfig& cfg) {
  manual_seed(cfg.seed);
  nn::ModelPtr model = nn::make_model(cfg.model);
  model->to(cfg.device);
  model->train();
  const RandomBatch b = random_batch(cfg.model, cfg.batch, model->num_classes(), cfg.device);
  optim::SgdOptions so;
  so.lr = 0.01;
  so.momentum = 0.9;
  so.weight_decay = 5e-4;
  optim::SGD opt(model->parameters(), so);
  train::TrainStep ts;
  ts.forward = [&model](const Tensor& x) { return model->forward(x); };
  ts.optimizer = &opt;
  ts.parts = cfg.optimizer_step ? train::StepParts::all : train::StepParts::no_update;
  // The first (warm-up) call captures the graph: run the same model and batch eagerly first,
  // so that the autotuner's first-sight trials (which synchronise) are already done.
  train::StepGraph graph(0);
  if (cfg.cuda_graph && cfg.device.is_cuda()) ts.graph = &graph;
  TrainBenchResult r;
  r.optimizer_step = cfg.optimizer_step;
  Tensor first, last;
  r.time = time_calls([&] { return train::train_step(ts, b.x, b.y); }, cfg, first, last);
  r.first_loss = first.item();
  r.last_loss = last.item();
  r.graph_replays = graph.replays();
  r.graph_note = graph.disabled_reason();
  return r;
}

// Inference as `cyclone eval` runs it: the model in eval mode, no autograd, forward only,
// cfg.batch images per call. first_loss / last_loss hold the sum of the first and last
// outputs, which must be equal (the same weights and batch every time).
inline TrainBenchResult time_eval_steps(const TrainBenchConfig& cfg) {
  manual_seed(cfg.seed);
  nn::ModelPtr model = nn::make_model(cfg.model);
  model->to(cfg.device);
  model->eval();
  const RandomBatch b = random_batch(cfg.model, cfg.batch, model->num_classes(), cfg.device);
  NoGradGuard no_grad;
  TrainBenchResult r;
  r.optimizer_step = false;
  Tensor first, last;
  r.time = time_calls([&] { return model->forward(b.x); }, cfg, first, last);
  r.first_loss = sum(first).item();
  r.last_loss = sum(last).item();
  return r;
}

}  // namespace cyclone::bench
