// Example 6: snapshot ensembles (Huang et al. 2017). SGDR restarts the lr
// several times; the weights at the end of each cycle are a "snapshot", and
// averaging the snapshots' softmax outputs often beats the last model alone,
// for the price of one training run.
#include <cstdio>

#include "example_common.h"
#include "nn/models/model.h"
#include "train/learner.h"

using namespace cyclone;

int main(int argc, char** argv) {
  const example::Args args = example::parse(argc, argv);
  manual_seed(0);
  auto train_set = example::fashion(true, args.small ? 3000 : 20000);
  auto valid_set = example::fashion(false, args.small ? 1000 : 5000);
  train::LearnerOptions opts;
  opts.quiet = true;
  opts.out_dir = args.out;  // snapshot_1.npz, snapshot_2.npz, ...
  train::Learner l(nn::make_model("smallcnn"), example::loader(train_set, true), example::loader(valid_set, false), opts);
  const int64_t cycles = args.small ? 3 : 4;
  const train::FitResult r = l.fit_sgdr(cycles, 1, 1, {0.05}, true);
  std::printf("%zu snapshots written:\n", r.snapshots.size());
  for (const auto& s : r.snapshots) std::printf("  %s\n", s.c_str());
  for (int64_t m = 1; m <= static_cast<int64_t>(l.snapshots().size()); ++m) {
    std::printf("ensemble of the last %lld: accuracy %.4f\n", static_cast<long long>(m), l.evaluate_ensemble(m).accuracy);
  }
  return static_cast<int64_t>(r.snapshots.size()) == cycles ? 0 : 1;
}
