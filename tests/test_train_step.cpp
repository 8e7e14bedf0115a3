// The training step: the same arithmetic as writing it out by hand, each part
// (schedule, update, graph) on only when asked for; and the LR range test, run
// through the fit loop, leaves the Learner's loop state and callbacks alone.
#include "data/synthetic.h"
#include "nn/functional.h"
#include "nn/models/model.h"
#include "optim/sgd.h"
#include "schedules/classic.h"
#include "test_helpers.h"
#include "train/learner.h"
#include "train/lr_finder.h"
#include "train/train_step.h"

using namespace cyclone;

namespace {
std::vector<std::vector<float>> weights(nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (auto& [k, v] : m.state_dict()) out.push_back(v.to(DType::f32).to_vector());
  return out;
}
struct Setup {
  nn::ModelPtr model;
  std::unique_ptr<optim::SGD> opt;
  Tensor x, y;
  explicit Setup(uint64_t seed) {
    manual_seed(seed);
    model = nn::make_model("smallcnn");
    model->train();
    optim::SgdOptions o;
    o.lr = 0.05;
    o.momentum = 0.9;
    opt = std::make_unique<optim::SGD>(model->parameters(), o);
    x = randn({8, 1, 28, 28});
    y = from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {8});
  }
};
class CountBatches : public train::Callback {
 public:
  void on_batch_end(train::Learner&, const train::BatchInfo&) override { ++n; }
  int64_t n = 0;
};
}  // namespace

TEST_CASE("train_step: bit for bit the step written out by hand, with the schedule applied first") {
  Setup a(1), b(1);
  for (int i = 0; i < 3; ++i) {
    b.opt->set_lr(0, 0.01 * (i + 1));
    b.opt->set_momentum(0, 0.9);
    b.opt->zero_grad();
    Tensor loss = nn::functional::cross_entropy(b.model->forward(b.x), b.y);
    loss.backward();
    b.opt->step();
  }
  const schedules::Constant sched(0.01);
  train::TrainStep ts;
  ts.forward = [&](const Tensor& x) { return a.model->forward(x); };
  ts.optimizer = a.opt.get();
  double seen_lr = 0;
  for (int i = 0; i < 3; ++i) {
    a.opt->set_lr(0, 0.01 * (i + 1));
    const Tensor loss = train::train_step(ts, a.x, a.y, i, [&] { seen_lr = a.opt->lr(0); });
    CHECK(!loss.requires_grad());
  }
  CHECK(seen_lr == doctest::Approx(0.03));
  CHECK(weights(*a.model) == weights(*b.model));
  // With a schedule, the lr and momentum are the schedule's at the step's index.
  ts.schedule = &sched;
  ts.default_momentum = 0.5;
  train::train_step(ts, a.x, a.y, 4, [&] { seen_lr = a.opt->lr(0); });
  CHECK(seen_lr == doctest::Approx(0.01));
  CHECK(a.opt->momentum(0) == 0.5);
}

TEST_CASE("train_step: no_update keeps the weights, forward_only builds no graph and needs no optimizer") {
  Setup s(2);
  auto params = [&] {
    std::vector<std::vector<float>> out;
    for (const Tensor& p : s.model->parameters()) out.push_back(p.to_vector());
    return out;
  };
  const auto before = params();  // (BatchNorm's running statistics do move: train mode)
  train::TrainStep ts;
  ts.forward = [&](const Tensor& x) { return s.model->forward(x); };
  ts.optimizer = s.opt.get();
  ts.parts = train::StepParts::no_update;
  train::train_step(ts, s.x, s.y);
  CHECK(params() == before);
  CHECK(s.model->parameters()[0].grad().defined());
  train::TrainStep fwd;
  fwd.forward = ts.forward;
  fwd.parts = train::StepParts::forward_only;
  const Tensor out = train::train_step(fwd, s.x, Tensor());
  CHECK(out.shape() == Shape{8, 10});
  CHECK(!out.requires_grad());
  train::TrainStep none;
  none.forward = ts.forward;
  CHECK_THROWS_WITH(train::train_step(none, s.x, s.y), doctest::Contains("optimizer is needed"));
}

TEST_CASE("lr_find runs through fit but leaves the loop's state and the user's callbacks alone") {
  manual_seed(3);
  train::LoaderOptions lo;
  lo.batch_size = 32;
  lo.seed = 11;
  lo.augment.normalize = "fashion-mnist";
  auto set = std::make_shared<const data::ImageSet>(data::make_synthetic(160, 1, 28, 28, 10, 1));
  train::LearnerOptions o;
  o.quiet = true;
  train::Learner l(nn::make_model("smallcnn"), std::make_shared<train::DataLoader>(set, lo), nullptr, o);
  auto count = std::make_shared<CountBatches>();
  l.add_callback(count);
  l.fit(1, std::make_shared<schedules::Constant>(0.01));
  REQUIRE(count->n == 5);
  const train::FitState before = l.state();
  train::LrFindOptions f;
  f.num_it = 12;  // more than one epoch of 5 batches
  const train::LrFindResult r = train::lr_find(l, f);
  CHECK(r.lrs.size() == 12);
  CHECK(count->n == 5);
  CHECK(l.total_steps() == 5);
  CHECK(l.state().position.step == before.position.step);
  CHECK(l.state().position.epoch == before.position.epoch);
  CHECK(!l.state().resume.has_value());
}
