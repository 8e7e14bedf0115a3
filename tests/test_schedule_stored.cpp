// Unit tests for stored schedule specs (schedules/stored.h): every schedule kind's spec comes
// back from its named arrays bit for bit and gives the same values at every step; the stored
// keys are the option keys; missing, unknown and mistyped entries are errors naming the key.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "schedules/factory.h"
#include "schedules/stored.h"
#include "test_schedule_kinds.h"

using namespace cyclone::schedules;

using cyclone::test::check_same_values;

TEST_CASE("stored spec: every kind comes back bit for bit, with and without a warm-up") {
  const std::vector<ScheduleSpec> specs = cyclone::test::every_schedule_kind();
  REQUIRE(specs.size() == schedule_names().size());
  for (ScheduleSpec spec : specs) {
    for (bool warm : {false, true}) {
      if (warm) spec.warmup = WarmupSpec{.steps = 5, .start_factor = 0.1};
      CAPTURE(schedule_name(spec));
      CAPTURE(warm);
      const ScheduleSpec back = load_schedule(store_schedule(spec));
      CHECK(back.kind.index() == spec.kind.index());
      CHECK(same_spec(back, spec));
      CHECK(back.warmup.has_value() == warm);
      check_same_values(*make_schedule(back), *make_schedule(spec), 80);
    }
  }
  const ScheduleSpec one_cycle = load_schedule(store_schedule(specs[9]));
  const auto& o = std::get<OneCycleOptions>(one_cycle.kind);
  CHECK(o.max_lr.given()[1] == std::nextafter(0.1, 1.0));
  CHECK(!o.max_lr.is_broadcast());
  CHECK(o.base_momentum.is_broadcast());
  CHECK(o.anneal == Anneal::linear);
  CHECK(o.three_phase);
  const ScheduleSpec sgdr_spec = load_schedule(store_schedule(specs[8]));
  const auto& sgdr = std::get<SgdrSpec>(sgdr_spec.kind);
  CHECK(sgdr.steps_per_epoch == 10);
  CHECK(sgdr.num_cycles == 3);
  CHECK(!std::get<SgdrSpec>(load_schedule(store_schedule({SgdrSpec{.lr = 0.1, .cycle_len = 4}})).kind).num_cycles);
}

TEST_CASE("stored spec: the keys are the option keys, typed") {
  const StoredSchedule a = store_schedule(parse_schedule_spec("onecycle max_lr=0.1 total_steps=50 warmup_steps=3"));
  for (const char* key :
       {"max_lr", "total_steps", "pct_start", "anneal", "div_factor", "final_div_factor", "three_phase",
        "cycle_momentum", "base_momentum", "max_momentum", "num_groups", "warmup_steps", "warmup_start_factor"}) {
    CAPTURE(key);
    CHECK(a.count(std::string("onecycle/") + key) == 1);
  }
  CHECK(a.size() == 13);  // preset is an action, not a field
  CHECK(std::get<std::vector<double>>(a.at("onecycle/max_lr").values) == std::vector<double>{0.1});
  CHECK(a.at("onecycle/max_lr").scalar);
  CHECK(std::get<std::vector<int64_t>>(a.at("onecycle/total_steps").values) == std::vector<int64_t>{50});
  CHECK(fit_lr(parse_schedule_spec("clr base_lr=0.01 max_lr=0.4")) == 0.4);
  CHECK(!fit_lr(parse_schedule_spec("const lr=0.1,0.2")));
}

TEST_CASE("stored spec: missing, unknown and mistyped entries name the key") {
  const StoredSchedule good = store_schedule(parse_schedule_spec("sgdr lr=0.1 cycle_len=2"));
  StoredSchedule missing = good;
  missing.erase("sgdr/cycle_len");
  CHECK_THROWS_WITH_AS(load_schedule(missing), doctest::Contains("missing key sgdr/cycle_len"), std::invalid_argument);
  StoredSchedule extra = good;
  extra["sgdr/wobble"] = {std::vector<double>{1.0}, true};
  CHECK_THROWS_WITH_AS(load_schedule(extra), doctest::Contains("sgdr/wobble"), std::invalid_argument);
  StoredSchedule typed = good;
  typed["sgdr/cycle_len"] = {std::vector<int64_t>{2}, true};
  CHECK_THROWS_WITH_AS(load_schedule(typed), doctest::Contains("sgdr/cycle_len: expected float64"),
                       std::invalid_argument);
  StoredSchedule shape = good;
  shape["sgdr/cycle_mult"] = {std::vector<int64_t>{1, 2}, false};
  CHECK_THROWS_WITH_AS(load_schedule(shape), doctest::Contains("sgdr/cycle_mult"), std::invalid_argument);
  StoredSchedule mode = store_schedule(parse_schedule_spec("clr base_lr=0.01 max_lr=0.1"));
  mode["clr/mode"] = {std::vector<int64_t>{7}, true};
  CHECK_THROWS_WITH_AS(load_schedule(mode), doctest::Contains("clr/mode"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(load_schedule({{"wobbly/lr", {std::vector<double>{1.0}, true}}}),
                       doctest::Contains("unknown schedule 'wobbly'"), std::invalid_argument);
  CyclicOptions custom;
  custom.mode = ClrMode::custom;
  custom.scale_fn = [](double) { return 1.0; };
  CHECK_THROWS_WITH_AS(store_schedule({custom}), doctest::Contains("cannot be stored"), std::invalid_argument);
}

TEST_CASE("stored spec: first_difference names the first key that differs and both values") {
  const ScheduleSpec a = parse_schedule_spec("onecycle max_lr=0.1 total_steps=50");
  CHECK(!first_difference(a, a));
  ScheduleSpec b = a;
  std::get<OneCycleOptions>(b.kind).pct_start = std::nextafter(0.3, 1.0);
  auto d = first_difference(a, b);
  REQUIRE(d);
  CHECK(d->key == "pct_start");
  CHECK(d->first == "0.3");
  CHECK(d->second != d->first);
  d = first_difference(a, parse_schedule_spec("sgdr lr=0.1 cycle_len=1"));
  REQUIRE(d);
  CHECK(d->key == "schedule");
  CHECK(d->first == "onecycle");
  CHECK(d->second == "sgdr");
  d = first_difference(a, parse_schedule_spec("onecycle max_lr=0.1,0.1 total_steps=50"));  // list vs one value
  REQUIRE(d);
  CHECK(d->key == "max_lr");
  d = first_difference(a, parse_schedule_spec("onecycle max_lr=0.1 total_steps=50 warmup_steps=2"));
  REQUIRE(d);
  CHECK(d->key == "warmup_steps");
  CHECK(d->first == "none");
  CHECK(d->second == "2");
}
