// CPU training throughput: images/s of whole training steps (forward,
// cross-entropy, backward, SGD with momentum; batch 128) for ResNet-20 (3x32x32)
// and SmallCNN (1x28x28), and of ResNet-20 inference (eval mode, no autograd, batch
// 500, as `cyclone eval` runs it), next to PyTorch on the same machine in the same run
// (bench/pytorch_train_cpu.py, same models, batch, optimizer and thread count).
//   CYCLONE_NUM_THREADS=2 build/bench/bench_train_cpu [resnet20] [smallcnn] [resnet20-eval]
//   env: CYCLONE_BENCH_STEPS (timed steps), CYCLONE_BENCH_PYTHON (interpreter, or "off")
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/model_shapes.h"
#include "bench/peer_process.h"
#include "bench/throughput.h"
#include "bench/train_step.h"
#include "kernels/cpu/parallel.h"

namespace {

using namespace cyclone;

constexpr int64_t kBatch = 128, kEvalBatch = 500;

// A workload: "resnet20" or "smallcnn" (training steps), or "<model>-eval" (inference).
struct Plan {
  std::string name, model;
  bool eval = false;
  int64_t batch = kBatch;
  int warmup = 2, steps = 7;
};

// ResNet-20 takes about 0.15 s per step on two cores; SmallCNN a few tens of ms.
Plan plan_for(const std::string& name) {
  Plan p;
  p.name = name;
  p.eval = name.size() > 5 && name.compare(name.size() - 5, 5, "-eval") == 0;
  p.model = p.eval ? name.substr(0, name.size() - 5) : name;
  p.batch = p.eval ? kEvalBatch : kBatch;
  p.warmup = p.model == "smallcnn" ? 3 : 2;
  p.steps = p.model == "smallcnn" ? 20 : 7;
  if (const std::string s = bench::env_or("CYCLONE_BENCH_STEPS", ""); !s.empty()) p.steps = std::max(1, std::atoi(s.c_str()));
  return p;
}

struct PeerResult {
  bench::Stats time;
  std::string version, check;
};

// PyTorch's step times for one model, or nothing when no interpreter with torch runs the script.
std::optional<PeerResult> pytorch_peer(const Plan& p, int threads) {
  const std::string script = bench::source_path("bench/pytorch_train_cpu.py");
  for (const std::string& py : bench::peer_pythons()) {
    const std::string cmd = py + " '" + script + "' --model " + p.model + " --batch " + std::to_string(p.batch) +
                            " --threads " + std::to_string(threads) + " --warmup " + std::to_string(p.warmup) +
                            " --steps " + std::to_string(p.steps) + (p.eval ? " --eval" : "");
    const bench::PeerOutput out = bench::run_peer(cmd, "  pytorch: ");
    // RESULT,model,median_ms,min_ms,runs,first_loss,last_loss,torch_version
    for (const auto& f : out.results) {
      if (f.size() < 7 || f[0] != p.model) continue;
      PeerResult r;
      r.time = {std::stod(f[1]), std::stod(f[2]), std::atoi(f[3].c_str())};
      r.version = f[6];
      char buf[96];
      const double first = std::stod(f[4]), last = std::stod(f[5]);
      if (p.eval)
        std::snprintf(buf, sizeof buf, "%s output sum %.4f -> %.4f", first == last ? "ok" : "FAIL", first, last);
      else
        std::snprintf(buf, sizeof buf, "%s loss %.4f -> %.4f", last < first ? "ok" : "FAIL", first, last);
      r.check = buf;
      return r;
    }
    std::printf("  (no PyTorch result from %s; exit code %d)\n", py.c_str(), out.exit_code);
  }
  return std::nullopt;
}

int run(std::vector<std::string> names) {
  if (names.empty()) names = {"resnet20", "smallcnn", "resnet20-eval"};
  const int threads = kernels::cpu::num_threads();
  std::string cpu = bench::cpuinfo_field("model name");
  if (cpu.empty()) cpu = "unknown CPU";
  const std::string card = cpu + ", " + std::to_string(threads) + " threads";

  // Ours first for every workload, then the peer: one process of each kind at a time.
  std::map<std::string, bench::TrainBenchResult> ours;
  for (const std::string& name : names) {
    const Plan p = plan_for(name);
    bench::TrainBenchConfig cfg;
    cfg.model = p.model, cfg.batch = p.batch, cfg.warmup = p.warmup, cfg.steps = p.steps;
    std::printf("cyclone %s: %d warm-up + %d timed %s...\n", name.c_str(), p.warmup, p.steps,
                p.eval ? "forwards" : "steps");
    std::fflush(stdout);
    ours[name] = p.eval ? bench::time_eval_steps(cfg) : bench::time_train_steps(cfg);
  }
  std::map<std::string, PeerResult> peer;
  for (const std::string& name : names) {
    std::printf("pytorch %s:\n", name.c_str());
    std::fflush(stdout);
    if (auto r = pytorch_peer(plan_for(name), threads)) peer[name] = *r;
  }
  if (peer.size() < names.size()) {
    std::printf("note: no PyTorch peer for some models (needs python3 with torch; CYCLONE_BENCH_PYTHON picks one)\n");
  }

  bench::ThroughputReport report("bench_train_cpu", card, "% PyTorch");
  report.print_header();
  bool all_ok = true;
  for (const std::string& name : names) {
    const Plan p = plan_for(name);
    const double gflop = p.eval ? bench::forward_gflop(p.model, p.batch) : bench::train_step_gflop(p.model, p.batch);
    const std::string workload = p.model + (p.eval ? " inference" : " train step");
    const std::string setup = "b" + std::to_string(p.batch) + ", " + std::to_string(threads) + " threads";
    std::string check = ours[name].check();
    if (p.eval) {  // the same forward each time: the output sums must agree
      char buf[96];
      const auto& r = ours[name];
      std::snprintf(buf, sizeof buf, "%s output sum %.4f -> %.4f", r.first_loss == r.last_loss ? "ok" : "FAIL",
                    r.first_loss, r.last_loss);
      check = buf;
    }
    bench::ThroughputRow row{"cyclone", workload, setup, static_cast<double>(p.batch), gflop, ours[name].time, -1, check};
    all_ok = all_ok && row.check.rfind("ok", 0) == 0;
    if (auto it = peer.find(name); it != peer.end()) {
      row.peer_pct = 100.0 * it->second.time.median_ms / row.time.median_ms;
      report.add(row);
      report.add({"pytorch " + it->second.version, workload, setup, static_cast<double>(p.batch), gflop,
                  it->second.time, -1, it->second.check});
    } else {
      report.add(row);
    }
  }
  report.print_markdown();
  if (!all_ok) std::printf("bench_train_cpu: CHECK FAILED for at least one workload (see the check column)\n");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_train_cpu: %s\n", e.what());
    return 1;
  }
}
