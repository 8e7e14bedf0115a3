// Example 2: train the small CNN on Fashion-MNIST with one-cycle.
// The Learner runs the loop: schedule -> forward -> loss -> backward -> step.
#include <cstdio>

#include "example_common.h"
#include "nn/models/model.h"
#include "train/learner.h"

using namespace cyclone;

int main(int argc, char** argv) {
  const example::Args args = example::parse(argc, argv);
  manual_seed(0);
  auto train_set = example::fashion(true, args.small ? 4000 : 0);
  auto valid_set = example::fashion(false, args.small ? 1000 : 0);
  train::LearnerOptions opts;
  opts.out_dir = args.out;  // log.csv, loss.png, schedule.png, accuracy.png
  opts.quiet = args.small;
  train::Learner learner(nn::make_model("smallcnn"), example::loader(train_set, true),
                         example::loader(valid_set, false), opts);
  const train::FitResult r = learner.fit_one_cycle(args.small ? 2 : 3, {0.05});
  std::printf("accuracy after %zu epochs: %.4f (chance is 0.10)\n", r.epochs.size(), r.final_accuracy);
  return r.final_accuracy > 0.6 ? 0 : 1;
}
