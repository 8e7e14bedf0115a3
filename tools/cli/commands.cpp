// schedule (a dry run of a schedule, as CSV and a plot) and info (build, devices, memory).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "option_checks.h"
#include "schedules/dry_run.h"
#include "schedules/factory.h"
#include "tensor/allocator.h"
#include "tensor/threads.h"
#include "report/plot.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

Runner add_schedule(CLI::App& app) {
  auto* sub = app.add_subcommand("schedule", "Dry run: write a schedule's lr and momentum as CSV and a plot");
  struct Args {
    std::string spec = "onecycle max_lr=0.1 total_steps=1000", out = "out";
    int64_t steps = 1000;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  sub->add_option("--schedule", a->spec, "\"NAME key=value ...\", e.g. \"sgdr lr=0.1 cycle_len=100 cycle_mult=2\"")->capture_default_str();
  sub->add_option("--steps", a->steps, "Steps to evaluate")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--out", a->out, "Output folder")->capture_default_str();
  sub->add_flag("--json", a->json, "Print one JSON object as the last line");
  return [a] {
    const auto sched = schedules::parse_schedule(a->spec);
    fs::create_directories(a->out);
    schedules::write_schedule_csv(*sched, a->steps, a->out + "/schedule.csv");
    std::vector<report::PlotSpec> panels;
    report::PlotSpec lr, mom;
    lr.title = sched->describe();
    lr.xlabel = "step";
    lr.ylabel = "lr";
    mom.xlabel = "step";
    mom.ylabel = "momentum";
    bool has_mom = false;
    for (size_t g = 0; g < sched->num_groups(); ++g) {
      report::Series sl, sm;
      sl.label = sm.label = "group " + std::to_string(g);
      for (const auto& [i, v] : [&] {
             std::vector<std::pair<int64_t, schedules::Value>> vs;
             const auto vals = schedules::sample(*sched, a->steps, g);
             for (size_t k = 0; k < vals.size(); ++k) vs.emplace_back(int64_t(k), vals[k]);
             return vs;
           }()) {
        sl.x.push_back(double(i));
        sl.y.push_back(v.lr);
        if (v.momentum) {
          has_mom = true;
          sm.x.push_back(double(i));
          sm.y.push_back(*v.momentum);
        }
      }
      lr.series.push_back(sl);
      if (!sm.x.empty()) mom.series.push_back(sm);
    }
    double lo = INFINITY, hi = 0;  // groups more than 10x apart: a log lr axis, so the low ones show
    for (const report::Series& sr : lr.series) {
      for (double v : sr.y) {
        if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      }
    }
    if (lr.series.size() > 1 && hi > 10 * lo) {
      lr.log_y = true;
      lr.ylabel = "lr (log scale)";
    }
    panels.push_back(lr);
    if (has_mom) panels.push_back(mom);
    report::save_plots_vertical(panels, a->out + "/schedule.png");
    std::cout << sched->describe() << "\n  wrote " << a->out << "/schedule.csv and " << a->out << "/schedule.png\n";
    if (a->json) {
      std::cout << json{{"command", "schedule"}, {"schedule", sched->describe()}, {"steps", a->steps},
                        {"csv", a->out + "/schedule.csv"}, {"plot", a->out + "/schedule.png"}}.dump()
                << std::endl;
    }
    return 0;
  };
}

Runner add_info(CLI::App& app) {
  auto* sub = app.add_subcommand("info", "Build, devices and memory");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "Print one JSON object as the last line");
  return [as_json] {
    json j{{"version", "0.1.0"}, {"cuda_built", cuda_built()}, {"cuda_emulated", cuda_emulated()},
           {"cuda_devices", cuda_device_count()}, {"cpu_threads", num_threads()}};
    const char* backend = !cuda_built()     ? "not built"
                          : cuda_emulated() ? "emulated on the CPU (CYCLONE_CUDA=EMULATE: correct, checked and slow)"
                                            : "built";
    std::printf("cyclone 0.1.0\n  CUDA backend: %s\n  CPU threads: %d\n", backend, num_threads());
    json devs = json::array();
    for (int i = 0; i < cuda_device_count(); ++i) {
      const std::string name = cuda_device_name(i);
      const double gib = double(cuda_memory_total(i)) / (1 << 30);
      std::printf("  cuda:%d  %s  %.1f GiB\n", i, name.c_str(), gib);
      devs.push_back({{"index", i}, {"name", name}, {"memory_gib", gib}});
    }
    if (cuda_device_count() == 0) std::printf("  no CUDA device available\n");
    const MemoryStats cpu = memory_stats(kCPU);
    std::printf("  host tensor memory: %zu bytes in use, peak %zu\n", cpu.current_bytes, cpu.peak_bytes);
    j["devices"] = devs;
    if (*as_json) std::cout << j.dump() << std::endl;
    return 0;
  };
}

}  // namespace cyclone::cli
