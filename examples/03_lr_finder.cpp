// Example 3: the LR range test and reading its plot.
// The lr grows exponentially from 1e-7 to 10 while we train; the smoothed
// loss first stays flat (lr too small), then falls (good lrs), then explodes.
// Every suggestion rule is marked on lr_find.png; r.suggestion() is the one
// `--lr auto` takes ("edge": a tenth of the lr where the loss starts to
// diverge), the rule with the lowest regret in docs/LR_SUGGESTIONS.md.
#include <cstdio>

#include "example_common.h"
#include "nn/models/model.h"
#include "train/learner.h"
#include "train/lr_finder.h"

using namespace cyclone;

int main(int argc, char** argv) {
  const example::Args args = example::parse(argc, argv);
  manual_seed(0);
  auto train_set = example::fashion(true, args.small ? 4000 : 20000);
  train::LearnerOptions opts;
  opts.quiet = args.small;
  train::Learner learner(nn::make_model("smallcnn"), example::loader(train_set, true, 64), nullptr, opts);
  const auto before = learner.model().state_dict()[0].second.clone();
  train::LrFindOptions o;
  o.num_it = args.small ? 60 : 100;
  const train::LrFindResult r = train::lr_find(learner, o);
  train::write_lr_find(r, args.out);
  std::printf("%s  plot: %s/lr_find.png\n", r.summary().c_str(), args.out.c_str());
  // The weights are restored exactly after the test.
  const bool restored = learner.model().state_dict()[0].second.to_vector() == before.to_vector();
  std::printf("model restored bit for bit: %s\n", restored ? "yes" : "NO");
  return restored && r.suggestion().lr > 1e-6 && r.suggestion().lr < 10 ? 0 : 1;
}
