// Whole-network ResNet-20 training on CUDA, batch 128, fp32: median ms and
// images/s of forward + backward, and of the full step with SGD, as the Learner
// runs it (host clock, device synchronised around each step, so launch overhead
// counts). First checks one step against the CPU: same weights, same batch;
// logits, loss and every parameter's gradient. The PyTorch peer is
// bench/pytorch_resnet20.py, which tools/scripts/gpu_check.sh runs right after the benches.
// A smaller batch and fewer steps (e.g. `1 8` on the emulated device) only check that it runs.
//   build/bench/bench_resnet20 [steps [batch]]    (defaults: 50 steps, batch 128)
#include <algorithm>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/model_shapes.h"
#include "bench/throughput.h"
#include "bench/train_step.h"
#include "kernels/cuda_runtime.h"
#include "nn/functional.h"

namespace {

using namespace cyclone;

constexpr int64_t kDefaultBatch = 128;
constexpr int kWarmup = 10;
constexpr double kTolerance = 1e-3;  // CUDA vs CPU through 20 layers of fp32 with batch norm

std::vector<float> all_grads(nn::Model& m) {
  std::vector<float> out;
  for (const Tensor& p : m.parameters()) {
    const std::vector<float> g = p.grad().to_vector<float>();
    out.insert(out.end(), g.begin(), g.end());
  }
  return out;
}

// One forward + backward on CUDA and on the CPU from the same weights and batch.
std::string check_against_cpu(int64_t batch, bool& ok) {
  manual_seed(1);
  nn::ModelPtr gpu = nn::make_model("resnet20"), cpu = nn::make_model("resnet20");
  cpu->load_state_dict(gpu->state_dict());
  gpu->to(kCUDA);
  const bench::RandomBatch b = bench::random_batch("resnet20", batch, 10, kCPU);
  Tensor logits[2], loss[2];
  nn::Model* models[2] = {gpu.get(), cpu.get()};
  for (int i = 0; i < 2; ++i) {
    const Device d = i == 0 ? kCUDA : kCPU;
    logits[i] = models[i]->forward(b.x.to(d));
    loss[i] = nn::functional::cross_entropy(logits[i], b.y.to(d));
    loss[i].backward();
  }
  const bench::ErrorStats el = bench::compare(logits[0].to_vector<float>(), logits[1].to_vector<float>());
  const bench::ErrorStats eg = bench::compare(all_grads(*gpu), all_grads(*cpu));
  const bench::ErrorStats ex = bench::compare({loss[0].item()}, {loss[1].item()});
  ok = el.ok(kTolerance) && eg.ok(kTolerance) && ex.ok(kTolerance);
  return "vs CPU: logits " + bench::describe(el, kTolerance) + ", loss " + bench::describe(ex, kTolerance) +
         ", grads " + bench::describe(eg, kTolerance);
}

int run(int steps, int64_t batch) {
  if (!kernels::cuda::built()) {
    std::printf("bench_resnet20: built without CUDA; nothing to time (no CUDA device).\n");
    return 0;
  }
  if (kernels::cuda::device_count() == 0) {
    std::printf("bench_resnet20: no CUDA device found; nothing to time (the build itself is fine).\n");
    return 0;
  }
  bool cpu_ok = false;
  const std::string check = check_against_cpu(batch, cpu_ok);
  bool ok = cpu_ok;
  std::printf("%s\n", check.c_str());
  const std::string card = kernels::cuda::device_name(kernels::cuda::current_device());
  bench::ThroughputReport report("bench_resnet20", card, "% PyTorch");
  report.print_header();
  const double gflop = bench::train_step_gflop("resnet20", batch);
  const std::string setup = "b" + std::to_string(batch) + ", fp32, cuda";
  // Forward + backward and the whole step eagerly, then the whole step with its forward and
  // backward replayed from a CUDA graph (captured in the first warm-up call).
  for (const auto& [graph, sgd] : {std::pair{false, false}, std::pair{false, true}, std::pair{true, true}}) {
    bench::TrainBenchConfig cfg;
    cfg.model = "resnet20", cfg.batch = batch, cfg.device = kCUDA, cfg.steps = steps;
    cfg.warmup = std::min(kWarmup, steps);
    cfg.optimizer_step = sgd;
    cfg.cuda_graph = graph;
    const bench::TrainBenchResult r = bench::time_train_steps(cfg);
    // The row is "ok" only when the step's losses are sane and the CPU check passed.
    std::string row_check = cpu_ok ? r.check() + "; vs CPU ok" : "FAIL vs CPU; " + r.check();
    if (graph) {
      row_check += r.graph_note.empty() ? "; " + std::to_string(r.graph_replays) + " graph replays"
                                        : "; no graph: " + r.graph_note;
    }
    ok = ok && row_check.rfind("ok", 0) == 0;
    const std::string what =
        std::string(sgd ? "resnet20 train step" : "resnet20 fwd+bwd") + (graph ? " (CUDA graph)" : "");
    report.add({"cyclone", what, setup, static_cast<double>(batch), gflop, r.time, -1, row_check});
  }
  report.print_markdown();
  if (!ok) std::printf("bench_resnet20: CHECK FAILED (see above)\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<int64_t> args = cyclone::bench::parse_sizes(argc, argv, {50});
    if (args.size() > 2) throw std::invalid_argument("usage: bench_resnet20 [steps [batch]]");
    return run(static_cast<int>(args[0]), args.size() > 1 ? args[1] : kDefaultBatch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_resnet20: %s\n", e.what());
    return 1;
  }
}
