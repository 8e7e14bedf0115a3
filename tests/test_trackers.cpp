// The tracker callbacks: SaveBestModel puts back the best epoch's weights, EarlyStopping stops
// after `patience` epochs without improvement, ReduceLrOnPlateau divides the scheduled lr.
#include <doctest/doctest.h>

#include <cmath>

#include "report/csv_log.h"
#include "schedules/factory.h"
#include "test_learner_helpers.h"
#include "train/monitor_callbacks.h"

namespace {
using namespace cyclone;
using namespace cyclone::learner_fixture;

train::EpochInfo epoch_with(int64_t epoch, double valid_loss, double accuracy) {
  train::EpochInfo e;
  e.epoch = epoch;
  e.valid_loss = valid_loss;
  e.accuracy = accuracy;
  e.train_loss = 1;
  return e;
}

// Adds `delta` to every parameter.
void shift(nn::Module& m, float delta) {
  NoGradGuard no_grad;
  for (Tensor& p : m.parameters()) p.copy_(add(p, delta));
}

}  // namespace

TEST_CASE("SaveBestModel ends the fit with the best epoch's weights, in the monitor's direction") {
  for (const train::Monitor m : {train::Monitor::valid_loss, train::Monitor::accuracy}) {
    auto l = make_learner(3);
    train::SaveBestModel best(m);
    best.on_fit_begin(*l);
    shift(l->model(), 0.5f);
    best.on_epoch_end(*l, epoch_with(0, 2.0, 0.5));
    shift(l->model(), 0.25f);
    best.on_epoch_end(*l, epoch_with(1, 1.0, 0.7));  // the best either way
    const auto kept = weights(l->model());
    shift(l->model(), 0.125f);
    best.on_epoch_end(*l, epoch_with(2, 1.5, 0.6));
    best.on_epoch_end(*l, epoch_with(3, NAN, NAN));  // a NaN epoch is never the best
    best.on_fit_end(*l);
    CHECK(best.best_epoch() == 1);
    CHECK(weights(l->model()) == kept);
  }
  CHECK(train::parse_monitor("accuracy") == train::Monitor::accuracy);
  CHECK_THROWS_WITH_AS(train::parse_monitor("acc"), doctest::Contains("valid_loss, accuracy or train_loss"),
                       std::invalid_argument);
}

TEST_CASE("EarlyStopping asks the fit to stop after `patience` epochs without improving by min_delta") {
  auto l = make_learner(3);
  train::EarlyStopping stop(train::Monitor::valid_loss, 2, 0.01);
  stop.on_fit_begin(*l);
  const double losses[] = {1.0, 0.9, 0.895, 0.95, 0.8};
  for (int64_t e = 0; e < 4; ++e) {
    stop.on_epoch_end(*l, epoch_with(e, losses[e], 0));
    CHECK(l->state().stop_requested == (e == 3));  // 0.895 is within min_delta of 0.9: no improvement
  }
  CHECK(stop.stopped_after() == 3);

  // In a fit: a min_delta nothing can beat stops it after epoch 1 + patience.
  auto fit_l = make_learner(4);
  train::FitPlan plan;
  plan.epochs = 6;
  plan.schedule = schedules::parse_schedule("const lr=0.01");
  plan.callbacks.push_back(std::make_shared<train::EarlyStopping>(train::Monitor::valid_loss, 2, 1e9));
  CHECK(fit_l->fit(plan).epochs.size() == 3);
}

TEST_CASE("ReduceLrOnPlateau divides the scheduled lr by its factor after each plateau, as the log shows") {
  const std::string dir = tmp("plateau");
  auto l = make_learner(5, dir);
  train::FitPlan plan;
  plan.epochs = 4;
  plan.schedule = schedules::parse_schedule("const lr=0.05");
  auto cut = std::make_shared<train::ReduceLrOnPlateau>(train::Monitor::valid_loss, 1, 10.0, 1e9);
  plan.callbacks.push_back(cut);
  l->fit(plan);
  CHECK(cut->scale() == doctest::Approx(0.001));  // no improvement after epochs 2, 3 and 4
  const report::CsvTable t = report::read_csv(dir + "/log.csv");
  std::vector<double> lr_by_epoch;
  for (size_t i = 0; i < t.rows(); ++i) {
    const double lr = t.column("lr")[i];
    const auto epoch = static_cast<size_t>(std::ceil(t.column("epoch")[i])) - 1;
    if (std::isnan(lr)) continue;
    if (lr_by_epoch.size() <= epoch) lr_by_epoch.push_back(lr);
    CHECK(lr == doctest::Approx(lr_by_epoch[epoch]));  // one lr per epoch
  }
  REQUIRE(lr_by_epoch.size() == 4);
  CHECK(lr_by_epoch[0] == doctest::Approx(0.05));
  CHECK(lr_by_epoch[1] == doctest::Approx(0.05));
  CHECK(lr_by_epoch[2] == doctest::Approx(0.005));
  CHECK(lr_by_epoch[3] == doctest::Approx(0.0005));
  CHECK_THROWS_AS(train::ReduceLrOnPlateau(train::Monitor::valid_loss, 1, 0.5), std::invalid_argument);
}
