// Checkpoints keep the fit's schedule spec and shape: a run resumed from the checkpoint alone
// (the schedule rebuilt from it) equals an uninterrupted one, every schedule kind's spec comes
// back through the checkpoint, and a fit that disagrees with the checkpoint is an error.
#include <filesystem>
#include <map>

#include "io/npz.h"
#include "schedules/classic.h"
#include "schedules/stored.h"
#include "test_learner_helpers.h"
#include "test_schedule_kinds.h"

using namespace cyclone;
using namespace cyclone::learner_fixture;

namespace {
// The checkpoint at `from` without its fit record, as checkpoints were written before they kept one.
void strip_record(const std::string& from, const std::string& to) {
  std::map<std::string, io::NdArray> a = io::load_npz(from);
  std::erase_if(a,
                [](const auto& kv) { return kv.first.rfind("fit/", 0) == 0 || kv.first.rfind("schedule/", 0) == 0; });
  io::save_npz(to, a, false);
}
}  // namespace

TEST_CASE("a run resumed with the schedule from its checkpoint equals an uninterrupted one (CPU)") {
  schedules::ScheduleSpec sgdr{
      schedules::SgdrSpec{.lr = 0.05, .cycle_len = 0.5, .steps_per_epoch = 10, .cycle_mult = 2},
      schedules::WarmupSpec{.steps = 3, .start_factor = 0.1}};
  schedules::CyclicOptions clr;
  clr.base_lr = 0.01;
  clr.max_lr = 0.05;
  clr.step_size_up = 3;
  clr.mode = schedules::ClrMode::triangular2;
  for (const schedules::ScheduleSpec& spec : {sgdr, schedules::ScheduleSpec{clr}}) {
    CAPTURE(schedules::schedule_name(spec));
    const int64_t epochs = 2;
    auto straight = make_learner(7);
    straight->fit(epochs, spec);
    const auto want = weights(straight->model());
    const std::string ckpt = tmp("resume_spec.npz");
    auto first = make_learner(7);
    first->add_callback(std::make_shared<CrashAt>(13, ckpt));
    first->fit(epochs, spec);
    auto resumed = make_learner(99);
    manual_seed(12345);
    resumed->load_checkpoint(ckpt);
    REQUIRE(resumed->state().record);
    const train::FitRecord saved = *resumed->state().record;
    REQUIRE(saved.schedule);
    CHECK(schedules::same_spec(*saved.schedule, spec));
    CHECK(saved.epochs == epochs);
    CHECK(saved.steps_per_epoch == 10);
    CHECK(saved.max_steps == -1);
    CHECK(saved.begin_step == 0);
    CHECK(saved.total_steps() == 20);
    resumed->fit(saved.epochs, *saved.schedule);  // nothing but the checkpoint
    CHECK(weights(resumed->model()) == want);
    CHECK(resumed->total_steps() == 20);
  }
}

TEST_CASE("every schedule kind's spec comes back through a checkpoint, equal at every step") {
  for (const schedules::ScheduleSpec& spec : test::every_schedule_kind()) {
    CAPTURE(schedules::schedule_name(spec));
    auto l = make_learner(1);
    train::FitState st = l->state();
    st.record = train::FitRecord{spec, 3, 10, 25, 4, 17};
    l->set_state(st);
    const std::string ckpt = tmp("spec_kind.npz");
    l->save_checkpoint(ckpt);
    auto back = make_learner(2);
    back->load_checkpoint(ckpt);
    REQUIRE(back->state().record);
    const train::FitRecord& r = *back->state().record;
    REQUIRE(r.schedule);
    CHECK(schedules::same_spec(*r.schedule, spec));
    CHECK((r.epochs == 3 && r.steps_per_epoch == 10 && r.max_steps == 25 && r.loader_epoch == 4 && r.begin_step == 17));
    test::check_same_values(*schedules::make_schedule(spec), *schedules::make_schedule(*r.schedule), 60);
  }
}

TEST_CASE("fit_one_cycle and fit_sgdr checkpoint their schedules; a later fit records its own start") {
  const std::string ckpt = tmp("fit_one_cycle.npz");
  auto l = make_learner(3);
  l->fit(1, std::make_shared<schedules::Constant>(0.01));  // 10 steps before: a plain schedule, no spec
  CHECK(!l->state().record->schedule);
  l->add_callback(std::make_shared<CrashAt>(4, ckpt));
  l->fit_one_cycle(2, {0.05});
  auto back = make_learner(4);
  back->load_checkpoint(ckpt);
  const train::FitRecord& r = *back->state().record;
  REQUIRE(r.schedule);
  const auto& o = std::get<schedules::OneCycleOptions>(r.schedule->kind);
  CHECK(o.total_steps == 20);
  CHECK(o.max_lr.given() == std::vector<double>{0.05});
  CHECK(r.begin_step == 10);
  auto s = make_learner(5);
  s->fit_sgdr(2, 0.5, 2, {0.05});
  REQUIRE(s->state().record->schedule);
  CHECK(std::holds_alternative<schedules::SgdrSpec>(s->state().record->schedule->kind));
  CHECK(s->state().record->max_steps == 15);
}

TEST_CASE("resuming with another schedule, other data, or from a checkpoint without a record") {
  const std::string ckpt = tmp("resume_mismatch.npz");
  const schedules::ScheduleSpec spec{schedules::OneCycleOptions{.max_lr = 0.05, .total_steps = 20}};
  auto first = make_learner(7);
  first->add_callback(std::make_shared<CrashAt>(5, ckpt));
  first->fit(2, spec);
  auto l = make_learner(7);
  l->load_checkpoint(ckpt);
  schedules::ScheduleSpec other = spec;
  std::get<schedules::OneCycleOptions>(other.kind).pct_start = 0.25;
  CHECK_THROWS_WITH_AS(l->fit(2, other), doctest::Contains("pct_start 0.3, but this fit's has 0.25"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(l->fit(2, schedules::ScheduleSpec{schedules::ConstantSpec{.lr = 0.1}}),
                       doctest::Contains("schedule is onecycle, but this fit's is const"), std::invalid_argument);
  manual_seed(7);
  train::LearnerOptions lo;
  lo.quiet = true;
  train::Learner wide(nn::make_model("smallcnn"), loader(synth(320, 1), true, 64), loader(synth(96, 2), false), lo);
  wide.load_checkpoint(ckpt);
  CHECK_THROWS_WITH_AS(wide.fit(2, spec), doctest::Contains("10 steps per epoch with 5"), std::invalid_argument);

  const std::string old = tmp("resume_old.npz");
  strip_record(ckpt, old);
  auto o = make_learner(7);
  o->load_checkpoint(old);
  CHECK(!o->state().record);
  CHECK(o->state().resume->step == 5);

  std::map<std::string, io::NdArray> a = io::load_npz(ckpt);
  a["schedule/onecycle/pct_start"] = io::NdArray::from<int64_t>({}, {3});
  const std::string bad = tmp("resume_bad.npz");
  io::save_npz(bad, a, false);
  CHECK_THROWS_WITH_AS(make_learner(7)->load_checkpoint(bad), doctest::Contains("onecycle/pct_start: expected float64"),
                       std::runtime_error);
  CHECK_THROWS_WITH(make_learner(7)->load_checkpoint(bad), doctest::Contains("resume_bad.npz"));

  schedules::CyclicOptions custom;
  custom.mode = schedules::ClrMode::custom;
  custom.scale_fn = [](double) { return 1.0; };
  CHECK_THROWS_WITH_AS(make_learner(7)->fit(1, schedules::ScheduleSpec{custom}), doctest::Contains("cannot be stored"),
                       std::invalid_argument);
}
