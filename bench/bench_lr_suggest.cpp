// How good are the LR range test's suggestions? For each task: run the range test, train once
// at every rule's suggestion and over a log grid of lrs around them (same schedule, budget and
// seed), and report each rule's regret: the best accuracy found minus the rule's accuracy.
// Runs are kept in OUT/runs.csv and not repeated, so the table can be grown run by run.
//
//   bench_lr_suggest --cifar DIR --weights resnet20.npz [--fashion DIR] [--out DIR]
//                    [--tasks a,b,...] [--seeds N] [--threads N] [--report-only]
//
// --cifar: a folder with train/<class>/ and test/<class>/ JPEGs (bench/run_lr_suggest.sh extracts
// a subset of ../shared/data); --weights: the pretrained CIFAR ResNet-20 as .npz. Writes
// OUT/runs.csv, OUT/suggestions.csv, OUT/regret.md, and each range test's curve and plot in
// OUT/work/TASK_sSEED/lr_find.{csv,png}.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cyclone.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/image_set.h"
#include "nn/models/model.h"
#include "nn/state_io.h"
#include "report/csv_log.h"

using namespace cyclone;
namespace fs = std::filesystem;

namespace {

enum class Start { scratch, head, unfrozen };

struct Task {
  const char* name;
  const char* summary;
  bool cifar;              // CIFAR-10 JPEG subset, else Fashion-MNIST
  int64_t train_per_class;  // 0: every training image
  const char* model;
  Start start;
  optim::OptimizerKind opt;
  const char* schedule;  // onecycle | sgdr
  int64_t epochs;        // one-cycle epochs, or SGDR cycles
  double cycle_len;
  int64_t cycle_mult;
  int seeds;
};

// The tasks of docs/LR_SUGGESTIONS.md. Budgets are short enough for a 2-core CPU.
const Task kTasks[] = {
    {"fmnist_sgd", "SmallCNN, all of Fashion-MNIST, SGD+momentum, 1 epoch one-cycle (the main job's task)", false, 0,
     "smallcnn", Start::scratch, optim::OptimizerKind::sgd, "onecycle", 1, 1, 1, 2},
    {"fmnist_adam", "SmallCNN, all of Fashion-MNIST, Adam, 1 epoch one-cycle", false, 0, "smallcnn", Start::scratch,
     optim::OptimizerKind::adam, "onecycle", 1, 1, 1, 2},
    {"fmnist_sgdr", "SmallCNN, 10,000 Fashion-MNIST images, SGD+momentum, SGDR: 2 cycles, cycle_len 1, cycle_mult 2",
     false, 1000, "smallcnn", Start::scratch, optim::OptimizerKind::sgd, "sgdr", 2, 1, 2, 2},
    {"resnet20_head", "pretrained ResNet-20, head only on precomputed features, CIFAR-10 JPEG subset, 1 epoch one-cycle",
     true, 500, "resnet20", Start::head, optim::OptimizerKind::sgd, "onecycle", 1, 1, 1, 2},
    {"resnet20_unfrozen", "pretrained ResNet-20 unfrozen, 3 layer groups 3x apart, CIFAR-10 JPEG subset, 1 epoch one-cycle",
     true, 500, "resnet20", Start::unfrozen, optim::OptimizerKind::sgd, "onecycle", 1, 1, 1, 2},
    {"resnet20_scratch", "ResNet-20 from scratch, CIFAR-10 JPEG subset (5,000 images), SGD+momentum, 2 epochs one-cycle",
     true, 500, "resnet20", Start::scratch, optim::OptimizerKind::sgd, "onecycle", 2, 1, 1, 2},
};

struct Args {
  std::string fashion = data::kFashionMnistDir, cifar, weights, out = "bench-out/lr_suggest";
  std::set<std::string> tasks;
  int seeds = 0, threads = 0;
  bool report_only = false;  // --report-only: rewrite regret.md from runs.csv, run nothing
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--report-only") {
      a.report_only = true;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("bench_lr_suggest: " + k + " needs a value");
    const std::string v = argv[++i];
    if (k == "--fashion") a.fashion = v;
    else if (k == "--cifar") a.cifar = v;
    else if (k == "--weights") a.weights = v;
    else if (k == "--out") a.out = v;
    else if (k == "--seeds") a.seeds = std::stoi(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--tasks") {
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) a.tasks.insert(t);
    } else {
      throw std::invalid_argument("bench_lr_suggest: unknown option " + k);
    }
  }
  for (const std::string& t : a.tasks) {
    if (std::none_of(std::begin(kTasks), std::end(kTasks), [&](const Task& k) { return t == k.name; })) {
      throw std::invalid_argument("bench_lr_suggest: --tasks names an unknown task '" + t + "'");
    }
  }
  return a;
}

// ---- the results file: one row per finished run, read back so nothing is run twice ----
struct Run {
  std::string task;
  int seed;
  double lr;
  std::string source;  // "grid", "refine" or a rule name
  double accuracy, valid_loss, seconds;
};

std::string lr_key(double lr) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", lr);
  return b;
}

// The rows of one of the benchmark's CSV files (simple cells, no quoting), header dropped; none
// when the file does not exist yet.
std::vector<std::vector<std::string>> read_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    rows.push_back(std::move(cells));
  }
  return rows;
}

const std::vector<std::string> kRunColumns{"task", "seed", "lr", "source", "accuracy", "valid_loss", "seconds"};
const std::vector<std::string> kSuggestionColumns{"task", "seed", "rule", "lr"};

std::vector<Run> read_runs(const std::string& path) {
  std::vector<Run> runs;
  for (const std::vector<std::string>& c : read_rows(path)) {
    if (c.size() < kRunColumns.size()) continue;  // a torn last line
    runs.push_back({c[0], std::stoi(c[1]), std::stod(c[2]), c[3], std::stod(c[4]), std::stod(c[5]), std::stod(c[6])});
  }
  return runs;
}

// ---- one task: data, learner, range test, trial runs ----
struct Data {
  std::shared_ptr<const data::ImageSet> train, valid;
};

Data load_task_data(const Task& t, const Args& a) {
  Data d;
  if (t.cifar) {
    if (a.cifar.empty()) throw std::invalid_argument("bench_lr_suggest: task " + std::string(t.name) + " needs --cifar DIR");
    data::LoadOptions o;
    o.threads = 0;
    d.train = std::make_shared<const data::ImageSet>(data::load_image_folder(a.cifar, data::Split::train, o));
    d.valid = std::make_shared<const data::ImageSet>(data::load_image_folder(a.cifar, data::Split::test, o));
  } else {
    d.train = std::make_shared<const data::ImageSet>(data::load_fashion_mnist(a.fashion, data::Split::train));
    d.valid = std::make_shared<const data::ImageSet>(data::load_fashion_mnist(a.fashion, data::Split::test));
  }
  if (t.train_per_class > 0) {
    d.train = std::make_shared<const data::ImageSet>(data::subset_per_class(*d.train, t.train_per_class));
  }
  return d;
}

// What `cyclone train` / `cyclone finetune` set up for the same options.
std::unique_ptr<train::Learner> make_learner(const Task& t, const Data& d, const Args& a, int seed, const std::string& dir) {
  manual_seed(static_cast<uint64_t>(seed));
  auto model = nn::make_model(t.model, 10);
  if (t.start != Start::scratch) {
    if (a.weights.empty()) throw std::invalid_argument("bench_lr_suggest: task " + std::string(t.name) + " needs --weights");
    nn::load_weights(*model, a.weights);
  }
  train::LoaderOptions lo;
  lo.batch_size = 128;
  lo.seed = static_cast<uint64_t>(seed);
  lo.threads = a.threads > 0 ? a.threads : 2;
  lo.augment.normalize = !t.cifar ? "fashion-mnist" : t.start == Start::scratch ? "cifar10" : "imagenet";
  train::LoaderOptions vo = lo;
  vo.shuffle = false;
  if (t.cifar) {
    lo.augment.crop_padding = 4;
    lo.augment.pad_mode = data::PadMode::reflect;
    lo.augment.flip = true;
  }
  train::LearnerOptions opts;
  opts.opt = t.opt;
  opts.quiet = true;
  opts.out_dir = dir;
  auto l = std::make_unique<train::Learner>(model, std::make_shared<train::DataLoader>(d.train, lo),
                                            std::make_shared<train::DataLoader>(d.valid, vo), opts);
  if (t.start == Start::head) {
    l->freeze();
    l->precompute(true);
  }
  return l;
}

// Each layer group's share of the head's lr: 3x apart (the recipe's default), or all 1.
std::vector<double> group_ratios(const Task& t, train::Learner& l) {
  const size_t g = l.num_groups();
  std::vector<double> r(g, 1.0);
  if (t.start == Start::unfrozen) {
    for (size_t i = 0; i < g; ++i) r[i] = std::pow(3.0, -double(g - 1 - i));
  }
  return r;
}

train::FitResult train_at(const Task& t, train::Learner& l, double lr) {
  if (t.start == Start::unfrozen || t.start == Start::head) {
    std::vector<double> lrs;
    for (double r : group_ratios(t, l)) lrs.push_back(lr * r);
    if (t.start == Start::head) lrs = {lr};
    if (std::string(t.schedule) == "sgdr") return l.fit_sgdr(t.epochs, t.cycle_len, t.cycle_mult, lrs, false);
    return l.fit_one_cycle(t.epochs, lrs);
  }
  const int64_t per_epoch = l.train_loader().num_batches();
  if (std::string(t.schedule) == "sgdr") return l.fit_sgdr(t.epochs, t.cycle_len, t.cycle_mult, {lr}, false);
  const schedules::FitShape shape{.lr = lr, .epochs = t.epochs, .steps_per_epoch = per_epoch, .cycle_len = 1,
                                  .cycle_mult = 1};
  return l.fit(t.epochs, schedules::spec_for_fit(t.schedule, shape));
}

// The log grid: half decades covering every suggestion with half a decade to spare, at least
// 3 decades (7 points) and at most 5 decades around the median suggestion.
std::vector<double> grid_for(std::vector<double> suggested) {
  std::sort(suggested.begin(), suggested.end());
  const double median = std::log10(suggested[suggested.size() / 2]);
  int lo = int(std::floor(2 * std::log10(suggested.front()) - 1)), hi = int(std::ceil(2 * std::log10(suggested.back()) + 1));
  const int mid = int(std::lround(2 * median));
  lo = std::max(lo, mid - 5);
  hi = std::min(hi, mid + 5);
  while (hi - lo < 6) {
    if (mid - lo <= hi - mid) --lo;
    else ++hi;
  }
  std::vector<double> g;
  for (int k = lo; k <= hi; ++k) g.push_back(std::pow(10.0, k / 2.0));
  return g;
}

void run_task(const Task& t, const Args& a, report::CsvLog& runs_csv, std::vector<Run>& runs) {
  const Data d = load_task_data(t, a);
  const int seeds = a.seeds > 0 ? a.seeds : t.seeds;
  for (int seed = 0; seed < seeds; ++seed) {
    const std::string dir = a.out + "/work/" + t.name + "_s" + std::to_string(seed);
    fs::create_directories(dir);
    std::unique_ptr<train::Learner> l = make_learner(t, d, a, seed, dir);
    train::LrFindOptions fo;
    fo.group_ratios = group_ratios(t, *l);
    const auto t0 = std::chrono::steady_clock::now();
    const train::LrFindResult r = train::lr_find(*l, fo);
    const double find_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train::write_lr_find(r, dir, schedules::kDefaultSuggestionRule);
    std::printf("%s seed %d: range test %zu iterations in %.1fs;", t.name, seed, r.lrs.size(), find_s);
    std::vector<std::pair<double, std::string>> todo;
    std::vector<double> suggested;
    {
      report::CsvLog sf(a.out + "/suggestions.csv", kSuggestionColumns, true);
      for (const schedules::NamedSuggestion& s : r.suggestions) {
        std::printf(" %s %.3g", s.rule.c_str(), s.suggestion.lr);
        sf.write_cells({t.name, std::to_string(seed), s.rule, lr_key(s.suggestion.lr)});
        todo.emplace_back(s.suggestion.lr, s.rule);
        suggested.push_back(s.suggestion.lr);
      }
    }
    std::printf("\n");
    for (double g : grid_for(suggested)) todo.emplace_back(g, "grid");
    const train::LearnerSnapshot fresh(*l);
    auto done = [&](double lr) -> const Run* {
      for (const Run& x : runs) {
        if (x.task == t.name && x.seed == seed && lr_key(x.lr) == lr_key(lr)) return &x;
      }
      return nullptr;
    };
    auto train_one = [&](double lr, const std::string& source) {
      if (done(lr)) return;
      fresh.restore();
      const auto s0 = std::chrono::steady_clock::now();
      const train::FitResult fit = train_at(t, *l, lr);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      const Run run{t.name, seed, std::stod(lr_key(lr)), source,
                    fit.stopped_on_nan ? 0.0 : fit.final_accuracy, fit.stopped_on_nan ? NAN : fit.final_valid_loss, secs};
      runs_csv.write_cells({run.task, std::to_string(run.seed), lr_key(run.lr), run.source,
                            report::format_csv_number(run.accuracy), report::format_csv_number(run.valid_loss),
                            report::format_csv_number(run.seconds)});
      runs.push_back(run);
      std::printf("  %-18s lr %-9s accuracy %.4f  (%s, %.1fs)\n", t.name, lr_key(lr).c_str(), run.accuracy,
                  source.c_str(), secs);
      std::fflush(stdout);
    };
    for (const auto& [lr, source] : todo) train_one(lr, source);
    // A quarter decade either side of the best grid point.
    double best_lr = 0, best_acc = -1;
    for (const Run& x : runs) {
      if (x.task == t.name && x.seed == seed && x.source == "grid" && x.accuracy > best_acc) {
        best_acc = x.accuracy;
        best_lr = x.lr;
      }
    }
    if (best_acc >= 0) {
      train_one(best_lr * std::pow(10.0, -0.25), "refine");
      train_one(best_lr * std::pow(10.0, 0.25), "refine");
    }
  }
}

// ---- the table ----
// regret.md: a row per (task, seed) with each rule's regret in points and its lr; then a row per
// task with the regrets averaged over its seeds; then each rule's worst and mean task regret.
void write_table(const Args& a, const std::vector<Run>& runs) {
  // suggestions.csv may hold older lines for a (task, seed): the last one wins.
  std::map<std::tuple<std::string, int, std::string>, double> suggestion;
  for (const std::vector<std::string>& c : read_rows(a.out + "/suggestions.csv")) {
    if (c.size() == kSuggestionColumns.size()) suggestion[{c[0], std::stoi(c[1]), c[2]}] = std::stod(c[3]);
  }
  const auto rules = schedules::suggestion_rules();
  auto header = [&](std::ostream& md, const char* first) {
    md << "| " << first << " | best lr | best accuracy |";
    for (const schedules::SuggestionRule& rule : rules) md << ' ' << rule.name << " |";
    md << "\n| --- | ---: | ---: |";
    for (size_t i = 0; i < rules.size(); ++i) md << " ---: |";
    md << '\n';
  };
  std::ostringstream per_seed, per_task;
  header(per_seed, "task, seed");
  header(per_task, "task (mean over seeds)");
  std::map<std::string, double> worst, total;
  int tasks_seen = 0;
  for (const Task& t : kTasks) {
    std::map<std::string, double> sum;
    std::map<std::string, int> count;
    double best_sum = 0;
    int seeds_seen = 0;
    for (int seed = 0; seed < 8; ++seed) {
      double best = -1, best_lr = 0;
      for (const Run& x : runs) {
        if (x.task == t.name && x.seed == seed && x.accuracy > best) {
          best = x.accuracy;
          best_lr = x.lr;
        }
      }
      if (best < 0) continue;
      ++seeds_seen;
      best_sum += best;
      char head[160];
      std::snprintf(head, sizeof head, "| %s, %d | %s | %.2f%% |", t.name, seed, lr_key(best_lr).c_str(), 100 * best);
      per_seed << head;
      for (const schedules::SuggestionRule& rule : rules) {
        const auto it = suggestion.find({t.name, seed, rule.name});
        const Run* run = nullptr;
        if (it != suggestion.end()) {
          for (const Run& x : runs) {
            if (x.task == t.name && x.seed == seed && lr_key(x.lr) == lr_key(it->second)) run = &x;
          }
        }
        if (!run) {
          per_seed << " – |";
          continue;
        }
        const double regret = 100 * (best - run->accuracy);
        sum[rule.name] += regret;
        ++count[rule.name];
        char cell[64];
        std::snprintf(cell, sizeof cell, " %.2f (%s) |", regret, lr_key(run->lr).c_str());
        per_seed << cell;
      }
      per_seed << '\n';
    }
    if (seeds_seen == 0) continue;
    ++tasks_seen;
    char head[160];
    std::snprintf(head, sizeof head, "| %s (%d) | | %.2f%% |", t.name, seeds_seen, 100 * best_sum / seeds_seen);
    per_task << head;
    for (const schedules::SuggestionRule& rule : rules) {
      if (count[rule.name] == 0) {
        per_task << " – |";
        continue;
      }
      const double mean = sum[rule.name] / count[rule.name];
      worst[rule.name] = std::max(worst[rule.name], mean);
      total[rule.name] += mean;
      char cell[32];
      std::snprintf(cell, sizeof cell, " %.2f |", mean);
      per_task << cell;
    }
    per_task << '\n';
  }
  per_task << "| **worst task** | | |";
  for (const schedules::SuggestionRule& rule : rules) {
    char cell[32];
    std::snprintf(cell, sizeof cell, " **%.2f** |", worst[rule.name]);
    per_task << (worst.count(rule.name) ? cell : " – |");
  }
  per_task << "\n| mean over tasks | | |";
  for (const schedules::SuggestionRule& rule : rules) {
    char cell[32];
    std::snprintf(cell, sizeof cell, " %.2f |", tasks_seen ? total[rule.name] / tasks_seen : 0.0);
    per_task << (worst.count(rule.name) ? cell : " – |");
  }
  per_task << '\n';
  std::ofstream md(a.out + "/regret.md");
  md << "Regret in accuracy points (best accuracy found minus the rule's), the rule's lr in brackets.\n\n"
     << per_seed.str() << "\nPer task, averaged over seeds:\n\n" << per_task.str();
  std::printf("wrote %s/regret.md\n", a.out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    if (a.threads > 0) set_num_threads(a.threads);
    fs::create_directories(a.out);
    const std::string runs_path = a.out + "/runs.csv";
    std::vector<Run> runs = read_runs(runs_path);
    if (!a.report_only) {
      report::CsvLog runs_csv(runs_path, kRunColumns, true);
      for (const Task& t : kTasks) {
        if (!a.tasks.empty() && !a.tasks.count(t.name)) continue;
        std::printf("== %s: %s\n", t.name, t.summary);
        run_task(t, a, runs_csv, runs);
        write_table(a, runs);
      }
    }
    write_table(a, runs);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_lr_suggest: %s\n", e.what());
    return 1;
  }
}
