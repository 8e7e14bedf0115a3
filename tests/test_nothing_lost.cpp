// Nothing a run wrote is lost when it fails: NaN weights never replace a saved model or
// checkpoint, SIGINT/SIGTERM stop a fit after a step with a checkpoint there, a checkpoint
// can be read as weights, and a resumed run's log.csv has no rows from after the
// checkpoint it resumed from.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "io/file_io.h"
#include "nn/state_io.h"
#include "report/csv_log.h"
#include "schedules/factory.h"
#include "test_learner_helpers.h"
#include "train/interrupt.h"

namespace {
using namespace cyclone;
using namespace cyclone::learner_fixture;
namespace fs = std::filesystem;

std::vector<uint8_t> bytes_of(const std::string& path) { return io::read_file_bytes(path); }

// Puts a NaN into the model's first parameter.
void poison(nn::Module& m) {
  NoGradGuard no_grad;
  Tensor w = m.parameters().front();
  std::vector<float> v = w.to_vector();
  v[0] = NAN;
  w.copy_(from_vector(v, w.shape()));
}

// Sets the pending signal once the fit has taken `at` steps (as a Ctrl-C would).
class SignalAt : public train::Callback {
 public:
  SignalAt(int64_t at, int sig) : at_(at), sig_(sig) {}
  void on_batch_end(train::Learner&, const train::BatchInfo& b) override {
    if (b.step + 1 == at_) train::raise_interrupt(sig_);
  }

 private:
  int64_t at_;
  int sig_;
};

// The batch rows' steps in a log.csv (rows with an lr).
std::vector<double> batch_steps(const std::string& path) {
  const report::CsvTable t = report::read_csv(path);
  std::vector<double> steps;
  for (size_t i = 0; i < t.rows(); ++i) {
    if (!std::isnan(t.column("lr")[i])) steps.push_back(t.column("step")[i]);
  }
  return steps;
}

}  // namespace

TEST_CASE("save_weights and save_checkpoint refuse NaN weights and leave the old file as it was") {
  const std::string dir = tmp("nan_save");
  fs::create_directories(dir);
  auto l = make_learner(3, dir);
  const std::string model = dir + "/model.npz", ckpt = dir + "/checkpoint.npz";
  nn::save_weights(l->model(), model);
  l->save_checkpoint(ckpt);
  const auto model_before = bytes_of(model), ckpt_before = bytes_of(ckpt);
  poison(l->model());
  CHECK(l->non_finite_state().value() == "model '" + l->model().state_dict().front().first + "'");
  const std::string first = "not written: '" + l->model().state_dict().front().first + "' holds NaN";
  CHECK_THROWS_WITH(nn::save_weights(l->model(), model), doctest::Contains(first.c_str()));
  CHECK_THROWS_WITH(l->save_checkpoint(ckpt), doctest::Contains("holds NaN or infinite values"));
  CHECK(bytes_of(model) == model_before);
  CHECK(bytes_of(ckpt) == ckpt_before);
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("a fit that diverges stops, reports it, and keeps the last good checkpoint") {
  const std::string dir = tmp("nan_fit");
  auto l = make_learner(3, dir);
  l->fit(1, one_cycle(10));
  const auto good = bytes_of(dir + "/checkpoint.npz");
  const train::FitResult r = l->fit(2, schedules::parse_schedule("const lr=1e9"));
  CHECK(r.stopped_on_nan);
  CHECK(r.epochs.size() <= 1);
  CHECK(bytes_of(dir + "/checkpoint.npz") == good);
}

TEST_CASE("SIGINT stops a fit after the step it is in; the checkpoint there resumes to the uninterrupted run") {
  const int64_t steps = 3 * 10;  // 320 images at batch 32: 10 steps per epoch
  auto full = make_learner(5);
  full->fit(3, one_cycle(steps));

  const std::string dir = tmp("sigint");
  auto cut = make_learner(5, dir);
  train::FitPlan plan;
  plan.epochs = 3;
  plan.schedule = one_cycle(steps);
  plan.callbacks.push_back(std::make_shared<SignalAt>(14, SIGINT));
  const train::FitResult r = cut->fit(plan);
  CHECK(r.interrupted_by == SIGINT);
  CHECK(r.epochs.size() == 1);  // the second epoch was cut at its 4th step: no epoch end
  CHECK(cut->state().position.step == 14);
  CHECK(cut->state().position.batch == 4);
  CHECK(batch_steps(dir + "/log.csv").size() == 14);

  // A fit does not start while the signal is pending.
  auto next = make_learner(6);
  const auto before = weights(next->model());
  CHECK(next->fit(1, one_cycle(10)).interrupted_by == SIGINT);
  CHECK(weights(next->model()) == before);
  train::clear_interrupt();

  auto resumed = make_learner(99, dir);
  resumed->load_checkpoint(dir + "/checkpoint.npz");
  const train::FitResult rest = resumed->fit(3, one_cycle(steps));
  CHECK(rest.interrupted_by == 0);
  CHECK(weights(resumed->model()) == weights(full->model()));
  std::vector<double> want(steps);
  for (int64_t i = 0; i < steps; ++i) want[size_t(i)] = double(i);
  CHECK(batch_steps(dir + "/log.csv") == want);
}

TEST_CASE("a resumed run drops the log rows written after its checkpoint, and a torn last row") {
  const int64_t steps = 2 * 10;
  const std::string dir = tmp("log_dedupe");
  auto first = make_learner(5, dir);
  train::FitPlan plan;
  plan.epochs = 2;
  plan.schedule = one_cycle(steps);
  plan.callbacks.push_back(std::make_shared<CrashAt>(7, dir + "/at7.npz"));  // the checkpoint of step 7
  first->fit(plan);
  {  // the run went on to step 12 before it was killed, mid-row
    first->load_checkpoint(dir + "/at7.npz");
    const size_t extra = report::read_csv(dir + "/log.csv").names.size() - 8;  // the groups' lr columns
    std::ofstream log(dir + "/log.csv", std::ios::app);
    for (int s = 7; s < 12; ++s) {
      log << s << "," << (s + 1) / 10.0 << ",0.01,0.9,1.5,nan,nan,1";
      for (size_t c = 0; c < extra; ++c) log << ",0.01";
      log << "\n";
    }
    log << "12,1.3,0.0";
  }
  auto resumed = make_learner(1, dir);
  resumed->load_checkpoint(dir + "/at7.npz");
  resumed->fit(2, one_cycle(steps));
  std::vector<double> want(steps);
  for (int64_t i = 0; i < steps; ++i) want[size_t(i)] = double(i);
  CHECK(batch_steps(dir + "/log.csv") == want);
  const report::CsvTable t = report::read_csv(dir + "/log.csv");
  std::vector<double> epoch_rows;
  for (size_t i = 0; i < t.rows(); ++i) {
    if (std::isnan(t.column("lr")[i])) epoch_rows.push_back(t.column("epoch")[i]);
  }
  CHECK(epoch_rows == std::vector<double>{1, 2});
}

TEST_CASE("a checkpoint loads as weights: its model part, with the float64 state left out") {
  const std::string dir = tmp("ckpt_weights");
  auto l = make_learner(3, dir);
  l->fit(1, one_cycle(10));
  manual_seed(77);
  nn::ModelPtr other = nn::make_model("smallcnn");
  const nn::WeightsReport r = nn::load_weights_report(*other, dir + "/checkpoint.npz");
  CHECK(r.format == "checkpoint");
  CHECK(weights(*other) == weights(l->model()));
}

TEST_CASE("write_file_atomic leaves the old file whole when the writer throws") {
  const std::string path = tmp("atomic.txt");
  io::write_file_atomic(path, "old", 3);
  CHECK_THROWS(io::write_file_atomic(path, [](std::ostream& out) {
    out << "half";
    throw std::runtime_error("disk full");
  }));
  const auto b = bytes_of(path);
  CHECK(std::string(b.begin(), b.end()) == "old");
}

TEST_CASE("with discriminative lrs, log.csv has each group's lr, and a resume keeps the columns") {
  const std::string dir = tmp("group_lrs");
  auto l = make_learner(3, dir);
  const std::vector<double> peaks{1e-4, 1e-3, 1e-2, 1e-1};
  l->fit_one_cycle(1, peaks);
  const report::CsvTable t = report::read_csv(dir + "/log.csv");
  const std::vector<nn::LayerGroup> groups = l->layer_groups();
  REQUIRE(groups.size() == peaks.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::vector<double>& col = t.column("lr_" + groups[g].name);
    const double peak = *std::max_element(col.begin(), col.end(), [](double a, double b) {
      return std::isnan(a) || (!std::isnan(b) && a < b);
    });
    CHECK(peak == doctest::Approx(peaks[g]).epsilon(0.05));  // one-cycle's peak, reached at 30%
  }
  const std::vector<double> lr = t.column("lr"), head = t.column("lr_" + groups.back().name);
  for (size_t i = 0; i < lr.size(); ++i) {
    if (!std::isnan(lr[i])) CHECK(lr[i] == head[i]);  // "lr" stays the head's
  }
}
