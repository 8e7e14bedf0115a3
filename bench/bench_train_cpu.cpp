// CPU training throughput: images/s of whole training steps (forward,
// cross-entropy, backward, SGD with momentum; batch 128) for ResNet-20 (3x32x32)
// and SmallCNN (1x28x28), next to PyTorch on the same machine in the same run
// (bench/pytorch_train_cpu.py, same models, batch, optimizer and thread count).
//   CYCLONE_NUM_THREADS=2 build/bench/bench_train_cpu [resnet20] [smallcnn]
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

constexpr int64_t kBatch = 128;

struct Plan {
  std::string model;
  int warmup, steps;
};

// ResNet-20 takes seconds per step on two cores; SmallCNN a few tens of ms.
Plan plan_for(const std::string& model) {
  Plan p{model, model == "smallcnn" ? 3 : 2, model == "smallcnn" ? 20 : 7};
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
    const std::string cmd = py + " '" + script + "' --model " + p.model + " --batch " + std::to_string(kBatch) +
                            " --threads " + std::to_string(threads) + " --warmup " + std::to_string(p.warmup) +
                            " --steps " + std::to_string(p.steps);
    const bench::PeerOutput out = bench::run_peer(cmd, "  pytorch: ");
    // RESULT,model,median_ms,min_ms,runs,first_loss,last_loss,torch_version
    for (const auto& f : out.results) {
      if (f.size() < 7 || f[0] != p.model) continue;
      PeerResult r;
      r.time = {std::stod(f[1]), std::stod(f[2]), std::atoi(f[3].c_str())};
      r.version = f[6];
      char buf[96];
      const double first = std::stod(f[4]), last = std::stod(f[5]);
      std::snprintf(buf, sizeof buf, "%s loss %.4f -> %.4f", last < first ? "ok" : "FAIL", first, last);
      r.check = buf;
      return r;
    }
    std::printf("  (no PyTorch result from %s; exit code %d)\n", py.c_str(), out.exit_code);
  }
  return std::nullopt;
}

int run(std::vector<std::string> models) {
  if (models.empty()) models = {"resnet20", "smallcnn"};
  const int threads = kernels::cpu::num_threads();
  std::string cpu = bench::cpuinfo_field("model name");
  if (cpu.empty()) cpu = "unknown CPU";
  const std::string card = cpu + ", " + std::to_string(threads) + " threads";
  const std::string setup = "b" + std::to_string(kBatch) + ", " + std::to_string(threads) + " threads";

  // Ours first for every model, then the peer: one process of each kind at a time.
  std::map<std::string, bench::TrainBenchResult> ours;
  for (const std::string& m : models) {
    const Plan p = plan_for(m);
    bench::TrainBenchConfig cfg;
    cfg.model = m, cfg.batch = kBatch, cfg.warmup = p.warmup, cfg.steps = p.steps;
    std::printf("cyclone %s: %d warm-up + %d timed steps...\n", m.c_str(), p.warmup, p.steps);
    std::fflush(stdout);
    ours[m] = bench::time_train_steps(cfg);
  }
  std::map<std::string, PeerResult> peer;
  for (const std::string& m : models) {
    std::printf("pytorch %s:\n", m.c_str());
    std::fflush(stdout);
    if (auto r = pytorch_peer(plan_for(m), threads)) peer[m] = *r;
  }
  if (peer.size() < models.size()) {
    std::printf("note: no PyTorch peer for some models (needs python3 with torch; CYCLONE_BENCH_PYTHON picks one)\n");
  }

  bench::ThroughputReport report("bench_train_cpu", card, "% PyTorch");
  report.print_header();
  bool all_ok = true;
  for (const std::string& m : models) {
    const double gflop = bench::train_step_gflop(m, kBatch);
    const std::string workload = m + " train step";
    bench::ThroughputRow row{"cyclone", workload, setup, static_cast<double>(kBatch), gflop, ours[m].time, -1,
                             ours[m].check()};
    all_ok = all_ok && row.check.rfind("ok", 0) == 0;
    if (auto it = peer.find(m); it != peer.end()) {
      row.peer_pct = 100.0 * it->second.time.median_ms / row.time.median_ms;
      report.add(row);
      report.add({"pytorch " + it->second.version, workload, setup, static_cast<double>(kBatch), gflop,
                  it->second.time, -1, it->second.check});
    } else {
      report.add(row);
    }
  }
  report.print_markdown();
  if (!all_ok) std::printf("bench_train_cpu: CHECK FAILED for at least one model (see the check column)\n");
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
