// Unit tests for typed schedule specs: make_schedule on a spec equals the schedule built
// directly, spec_for_fit gives each name its training defaults, and options text overrides them.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "schedules/classic.h"
#include "schedules/factory.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"
#include "schedules/spec.h"
#include "schedules/stored.h"
#include "test_schedule_kinds.h"

using namespace cyclone::schedules;

using cyclone::test::check_same_values;

TEST_CASE("spec: make_schedule builds what the constructors build") {
  check_same_values(*make_schedule({StepSpec{.lr = 1.0, .step_size = 3, .gamma = 0.5}}), StepDecay(1.0, 3, 0.5), 10);
  check_same_values(*make_schedule({OneCycleOptions{.max_lr = PerGroup({0.1, 0.01}), .total_steps = 50}}),
             OneCycle(OneCycleOptions{.max_lr = PerGroup({0.1, 0.01}), .total_steps = 50}), 50);
  ScheduleSpec warm{CosineSpec{.lr = 1.0, .t_max = 10}, WarmupSpec{.steps = 4, .start_factor = 0.5}};
  check_same_values(*make_schedule(warm), *parse_schedule("cosine lr=1 t_max=10 warmup_steps=4 warmup_start_factor=0.5"),
             20);
  SgdrSpec sgdr{.lr = 1.0, .cycle_len = 0.5, .steps_per_epoch = 20, .cycle_mult = 2};
  CHECK(dynamic_cast<const SGDR&>(*make_schedule({sgdr})).cycle_start(2) == 30);
  CHECK_THROWS_AS(make_schedule({SgdrSpec{.lr = 1.0, .cycle_len = 2.5}}), std::invalid_argument);
}

TEST_CASE("spec: spec_for_fit fills every name's training defaults") {
  const FitShape fit{.lr = 0.2, .epochs = 3, .steps_per_epoch = 10, .cycle_len = 1, .cycle_mult = 2};
  for (const std::string& name : schedule_names()) {
    CAPTURE(name);
    const SchedulePtr s = make_schedule(spec_for_fit(name, fit));
    CHECK(s->num_groups() == 1);
  }
  check_same_values(*make_schedule(spec_for_fit("onecycle", fit)), *parse_schedule("onecycle max_lr=0.2 total_steps=30"), 30);
  check_same_values(*make_schedule(spec_for_fit("sgdr", fit)),
             *parse_schedule("sgdr lr=0.2 cycle_len=1 steps_per_epoch=10 cycle_mult=2"), 30);
  check_same_values(*make_schedule(spec_for_fit("clr", fit)),
             *parse_schedule("clr base_lr=0.05 max_lr=0.2 step_size_up=5"), 30);
  check_same_values(*make_schedule(spec_for_fit("step", fit)), *parse_schedule("step lr=0.2 step_size=10"), 30);
  check_same_values(*make_schedule(spec_for_fit("multistep", fit)), *parse_schedule("multistep lr=0.2 milestones=15,22"),
             30);
  check_same_values(*make_schedule(spec_for_fit("exp", fit)), Exponential(0.2, std::pow(0.01, 1.0 / 30)), 30);
  CHECK_THROWS_WITH_AS(spec_for_fit("wobbly", fit), doctest::Contains("valid schedules: const"),
                       std::invalid_argument);
}

TEST_CASE("spec: options text overrides the fit's values and keeps the rest") {
  ScheduleSpec s = spec_for_fit("onecycle", {.lr = 0.1, .epochs = 2, .steps_per_epoch = 50});
  apply_schedule_options(s, "pct_start=0.5 preset=fastai");
  const auto& o = std::get<OneCycleOptions>(s.kind);
  CHECK(o.total_steps == 100);
  CHECK(o.max_lr.given() == std::vector<double>{0.1});
  CHECK(o.pct_start == 0.5);
  CHECK(o.final_div_factor == fastai_one_cycle(0.1, 100).final_div_factor);
  CHECK_THROWS_WITH_AS(apply_schedule_options(s, "max_lrr=1"), doctest::Contains("unknown option 'max_lrr'"),
                       std::invalid_argument);
  ScheduleSpec c = spec_for_fit("const", {.lr = 0.1});
  apply_schedule_options(c, "num_groups=3 lr=1e-5..1e-3 warmup_steps=2");
  const SchedulePtr p = make_schedule(c);
  CHECK(p->num_groups() == 3);
  CHECK(p->lr(2, 1) == doctest::Approx(1e-4));
  CHECK(p->lr(0, 1) == 0.0);
}

TEST_CASE("fit_schedule: a warm-up counts towards the fit's steps, so the schedule still ends with it") {
  const FitShape fit{.lr = 0.1, .epochs = 2, .steps_per_epoch = 50};
  // onecycle over 100 steps with 10 of warm-up: the one-cycle part spans the other 90.
  const SchedulePtr s = make_schedule(fit_schedule("onecycle", fit, "warmup_steps=10 warmup_start_factor=0.1"));
  CHECK(s->total_steps() == 100);
  check_same_values(*s, *parse_schedule("onecycle max_lr=0.1 total_steps=90 warmup_steps=10 warmup_start_factor=0.1"), 100);
  CHECK(s->at(99, 0).lr == doctest::Approx(0.1 / 25 / 1e4).epsilon(1e-6));  // annealed at the fit's last step
  // cosine ends at 0 on the last step, not 10 steps later.
  const SchedulePtr c = make_schedule(fit_schedule("cosine", fit, "warmup_steps=10"));
  CHECK(c->total_steps() == 100);
  CHECK(c->at(100, 0).lr == doctest::Approx(0).epsilon(1e-12));
  // Without a warm-up it is spec_for_fit with the options applied.
  ScheduleSpec plain = spec_for_fit("onecycle", fit);
  apply_schedule_options(plain, "pct_start=0.25");
  CHECK(same_spec(fit_schedule("onecycle", fit, "pct_start=0.25"), plain));
  CHECK_THROWS_WITH_AS(fit_schedule("onecycle", fit, "warmup_steps=100"), doctest::Contains("warmup_steps must be in [0, 100)"),
                       std::invalid_argument);
}
