// The Learner and DataLoader: deterministic batches, exact resume from a
// checkpoint (bit-identical on CPU), lr_find restoring everything, freezing,
// precomputed activations, snapshot ensembles, and learning on real data.
#include <cstring>
#include <filesystem>

#include "data/idx.h"
#include "data/synthetic.h"
#include "io/file_io.h"
#include "nn/functional.h"
#include "nn/models/model.h"
#include "schedules/classic.h"
#include "schedules/one_cycle.h"
#include "test_helpers.h"
#include "test_learner_helpers.h"
#include "train/learner.h"
#include "train/lr_finder.h"

using namespace cyclone;
using namespace cyclone::learner_fixture;

TEST_CASE("DataLoader: seeded order, batches independent of threads, drop_last and resume position") {
  auto set = synth(100, 3);
  train::LoaderOptions o;
  o.batch_size = 32;
  o.seed = 5;
  o.augment.normalize = "fashion-mnist";
  o.augment.crop_padding = 2;
  o.augment.flip = true;
  train::DataLoader a(set, o);
  o.threads = 2;
  train::DataLoader b(set, o);
  CHECK(a.num_batches() == 4);
  CHECK(a.epoch_order(0) == b.epoch_order(0));
  CHECK(a.epoch_order(0) != a.epoch_order(1));
  a.start_epoch(1);
  b.start_epoch(1, 2);  // resume at batch 2
  std::vector<train::Batch> all;
  while (auto x = a.next()) all.push_back(*x);
  REQUIRE(all.size() == 4);
  CHECK(all[3].x.size(0) == 4);  // 100 = 3 * 32 + 4
  auto r = b.next();
  REQUIRE(r);
  CHECK(r->index == 2);
  CHECK(r->x.to_vector() == all[2].x.to_vector());
  CHECK(r->y.to_vector<int64_t>() == all[2].y.to_vector<int64_t>());
  o.drop_last = true;
  CHECK(train::DataLoader(set, o).num_batches() == 3);
  o.augment.normalize = "bogus";
  CHECK_THROWS_WITH(train::DataLoader(set, o), doctest::Contains("bogus"));
}

TEST_CASE("resuming from a checkpoint is bit-identical to an uninterrupted run (CPU)") {
  const int64_t epochs = 2, total = epochs * 10;
  auto straight = make_learner(7);
  straight->fit(epochs, one_cycle(total));
  const auto want = weights(straight->model());

  for (int64_t crash : {10, 13}) {  // at an epoch boundary and mid-epoch
    INFO("crash after step " << crash);
    const std::string ckpt = tmp("resume_" + std::to_string(crash) + ".npz");
    auto first = make_learner(7);
    first->add_callback(std::make_shared<CrashAt>(crash, ckpt));
    first->fit(epochs, one_cycle(total));
    REQUIRE(std::filesystem::exists(ckpt));
    CHECK(!std::filesystem::exists(io::atomic_temp_path(ckpt)));  // written atomically
    auto resumed = make_learner(99);  // different init: everything must come from the checkpoint
    manual_seed(12345);               // and a disturbed RNG
    resumed->load_checkpoint(ckpt);
    resumed->fit(epochs, one_cycle(total));
    CHECK(weights(resumed->model()) == want);
    CHECK(resumed->total_steps() == total);
  }
  CHECK_THROWS_WITH(make_learner(1)->load_checkpoint(tmp("missing.npz")), doctest::Contains("missing.npz"));
}

TEST_CASE("lr_find restores weights, BN statistics and optimizer state bit for bit") {
  auto l = make_learner(3);
  l->fit(1, std::make_shared<schedules::Constant>(0.01));  // non-trivial optimizer state
  const auto before = weights(l->model());
  const optim::OptimizerState opt_before = l->optimizer().state_dict();
  const GeneratorState rng_before = default_generator().state();
  train::LrFindOptions o;
  o.num_it = 30;
  const train::LrFindResult r = train::lr_find(*l, o);
  CHECK(r.lrs.size() >= 10);
  CHECK(r.lrs.front() == doctest::Approx(1e-7));
  CHECK(weights(l->model()) == before);
  const optim::OptimizerState opt_after = l->optimizer().state_dict();
  REQUIRE(opt_after.tensors.size() == opt_before.tensors.size());
  for (auto& [k, v] : opt_before.tensors) CHECK(opt_after.tensors.at(k).to_vector() == v.to_vector());
  CHECK(opt_after.scalars == opt_before.scalars);
  CHECK(default_generator().state().offset == rng_before.offset);
  // One ratio per parameter group, or a clear error.
  train::LrFindOptions bad;
  bad.group_ratios = {1, 2};
  CHECK_THROWS_WITH(train::lr_find(*l, bad), doctest::Contains("group ratios"));
}

TEST_CASE("freeze keeps frozen groups (and their BN statistics) unchanged; unfreeze trains all") {
  auto l = make_learner(4);
  l->freeze();
  CHECK(l->frozen_groups() == static_cast<int64_t>(l->num_groups()) - 1);
  const auto before = l->model().state_dict();
  std::vector<std::vector<float>> b0;
  for (auto& [k, v] : before) b0.push_back(v.to(DType::f32).to_vector());
  l->fit(1, std::make_shared<schedules::Constant>(0.05));
  const auto after = l->model().state_dict();
  for (size_t i = 0; i < after.size(); ++i) {
    const bool head = after[i].first.rfind("fc.", 0) == 0;
    const bool same = after[i].second.to(DType::f32).to_vector() == b0[i];
    if (after[i].first.find("num_batches_tracked") != std::string::npos) continue;
    INFO(after[i].first);
    CHECK(same != head);  // the head changed, everything frozen did not
  }
  l->unfreeze();
  for (auto& p : l->model().parameters()) CHECK(p.requires_grad());
  CHECK_THROWS_WITH(l->freeze_to(9), doctest::Contains("layer groups"));
}

TEST_CASE("merged layer groups: the head stays alone, the body splits evenly, and the Learner uses them") {
  auto resnet = nn::make_model("resnet20");
  auto names = [](const std::vector<nn::LayerGroup>& g) {
    std::vector<std::string> out;
    for (auto& x : g) out.push_back(x.name);
    return out;
  };
  const auto five = resnet->layer_groups();
  size_t total = 0;
  for (auto& g : five) total += g.parameters().size();
  const auto three = nn::merge_layer_groups(five, 3);
  CHECK(names(three) == std::vector<std::string>{"stem+layer1", "layer2+layer3", "head"});
  CHECK(three[0].parameters().size() == five[0].parameters().size() + five[1].parameters().size());
  CHECK(three[2].parameters().size() == 2);  // linear weight and bias
  size_t merged_total = 0;
  for (auto& g : three) merged_total += g.parameters().size();
  CHECK(merged_total == total);
  CHECK(names(nn::merge_layer_groups(five, 4)) == std::vector<std::string>{"stem+layer1", "layer2", "layer3", "head"});
  CHECK(names(nn::merge_layer_groups(five, 2)) == std::vector<std::string>{"stem+layer1+layer2+layer3", "head"});
  CHECK(names(nn::merge_layer_groups(five, 5)) == names(five));
  CHECK_THROWS_WITH(nn::merge_layer_groups(five, 6), doctest::Contains("cannot merge 5 layer groups into 6"));
  CHECK_THROWS_WITH(nn::merge_layer_groups(five, 1), doctest::Contains("expected 2..5"));

  train::LearnerOptions o;
  o.quiet = true;
  o.layer_groups = 2;
  train::Learner l(nn::make_model("smallcnn"), loader(synth(64, 1), true), loader(synth(32, 2), false), o);
  CHECK(l.num_groups() == 2);
  CHECK(names(l.layer_groups()) == std::vector<std::string>{"block1+block2+block3", "head"});
  l.freeze();
  CHECK(l.frozen_groups() == 1);
  for (auto& named : l.model().named_parameters()) {
    const std::string& name = named.first;
    INFO(name);
    CHECK(named.second.requires_grad() == (name.rfind("fc.", 0) == 0));
  }
  o.layer_groups = 5;
  CHECK_THROWS_WITH(train::Learner(nn::make_model("smallcnn"), loader(synth(64, 1), true), loader(synth(32, 2), false), o),
                    doctest::Contains("cannot merge 4 layer groups into 5"));
}

TEST_CASE("precompute: cached body activations give the same predictions, and the head trains on them") {
  auto l = make_learner(5);
  CHECK_THROWS_WITH(l->precompute(), doctest::Contains("freeze"));
  l->fit(1, std::make_shared<schedules::Constant>(0.05));  // a body worth keeping
  l->freeze();
  const train::Metrics full = l->validate();
  const double secs = l->precompute();
  CHECK(l->precomputed());
  CHECK(secs >= 0);
  const train::Metrics cached = l->validate();
  CHECK(cached.correct == full.correct);
  CHECK(cached.loss == doctest::Approx(full.loss).epsilon(1e-5));
  const auto body_before = l->model().state_dict()[0].second.to_vector();
  const train::FitResult r = l->fit_one_cycle(3, {0.05});
  MESSAGE("precomputed head training: accuracy " << full.accuracy << " -> " << r.final_accuracy << ", train loss "
          << r.epochs.front().train_loss << " -> " << r.epochs.back().train_loss);
  CHECK(r.epochs.back().train_loss < r.epochs.front().train_loss);
  CHECK(l->model().state_dict()[0].second.to_vector() == body_before);
  l->precompute(false);
  CHECK(!l->precomputed());
}

TEST_CASE("snapshot ensemble: one snapshot per SGDR cycle, averaged from distinct weights") {
  const std::string out = tmp("snapshots");
  auto l = make_learner(6, out);
  const train::FitResult r = l->fit_sgdr(3, 1, 1, {0.05}, true);
  REQUIRE(l->snapshots().size() == 3);
  CHECK(r.snapshots.size() == 3);
  for (const auto& f : r.snapshots) CHECK(std::filesystem::exists(f));
  // The snapshots are three different weight sets.
  auto first_weight = [&](size_t i) { return l->snapshots()[i][0].second.to_vector(); };
  CHECK(first_weight(0) != first_weight(1));
  CHECK(first_weight(1) != first_weight(2));
  // The ensemble is the average of the last m snapshots' softmax outputs.
  Tensor sum;
  for (size_t i = 1; i < 3; ++i) {
    l->model().load_state_dict(l->snapshots()[i]);
    Tensor p = l->predict_probs();
    sum = sum.defined() ? add(sum, p) : p;
  }
  const Tensor labels = from_vector(l->valid_loader()->dataset().labels, {96});
  const int64_t want = nn::functional::correct_count(mul(sum, 0.5), labels);
  const train::Metrics m = l->evaluate_ensemble(2);
  CHECK(m.correct == want);
  CHECK(m.count == 96);
  CHECK_THROWS_WITH(l->evaluate_ensemble(4), doctest::Contains("3 kept"));
  std::filesystem::remove_all(out);
}

TEST_CASE("the small CNN learns Fashion-MNIST on CPU (well above the 10% of chance)") {
  if (!std::filesystem::exists(std::string(data::kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    MESSAGE("skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    return;
  }
  manual_seed(0);
  auto tr = std::make_shared<const data::ImageSet>(
      data::subset_first(data::load_fashion_mnist(data::kFashionMnistDir, data::Split::train), 4000));
  auto va = std::make_shared<const data::ImageSet>(
      data::subset_first(data::load_fashion_mnist(data::kFashionMnistDir, data::Split::test), 1000));
  train::LearnerOptions o;
  o.quiet = true;
  train::Learner l(nn::make_model("smallcnn"), loader(tr, true, 64), loader(va, false, 256), o);
  const train::FitResult r = l.fit_one_cycle(3, {0.1});
  MESSAGE("Fashion-MNIST subset accuracy: " << r.final_accuracy);
  CHECK(r.final_accuracy > 0.70);
}

// Records the optimizer's momentum of group 0 at every step.
class MomentumLog : public train::Callback {
 public:
  void on_batch_end(train::Learner& l, const train::BatchInfo&) override { seen.push_back(l.optimizer().momentum(0)); }
  std::vector<double> seen;
};

TEST_CASE("a schedule without momentum runs at the configured momentum, even after one-cycle left 0.95") {
  auto l = make_learner(3);
  l->fit_one_cycle(1, {0.05});
  CHECK(l->optimizer().momentum(0) == doctest::Approx(0.95));  // one-cycle ends at its top momentum
  auto log = std::make_shared<MomentumLog>();
  l->add_callback(log);
  l->fit_sgdr(1, 1, 1, {0.01}, false);
  REQUIRE(!log->seen.empty());
  for (double m : log->seen) CHECK(m == doctest::Approx(0.9));  // LearnerOptions::momentum
}
