// Unit tests for composite schedules, fastai-style lr slices, dry runs (CSV) and the
// schedule factory used by the command line.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "schedules/classic.h"
#include "schedules/compose.h"
#include "schedules/dry_run.h"
#include "schedules/factory.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"

using namespace cyclone::schedules;

#define CHECK_THROWS_MENTIONING(expr, Exc, text)                                          \
  do {                                                                                    \
    bool caught_ = false;                                                                 \
    try {                                                                                 \
      (void)(expr);                                                                       \
    } catch (const Exc& e_) {                                                             \
      caught_ = true;                                                                     \
      CHECK_MESSAGE(std::string(e_.what()).find(text) != std::string::npos,               \
                    "message '" << e_.what() << "' does not mention '" << text << "'");   \
    }                                                                                     \
    CHECK_MESSAGE(caught_, #expr " did not throw " #Exc);                                 \
  } while (0)

namespace {

std::shared_ptr<OneCycle> one_cycle(PerGroup max_lr, int64_t total) {
  OneCycleOptions o;
  o.max_lr = std::move(max_lr);
  o.total_steps = total;
  return std::make_shared<OneCycle>(o);
}

}  // namespace

TEST_CASE("Sequential: each child sees step - milestone") {
  auto a = std::make_shared<Constant>(1.0);
  auto b = std::make_shared<Exponential>(1.0, 0.5);
  auto c = std::make_shared<Linear>(1.0, 0.5, 1.0, 4);
  Sequential s({a, b, c}, {3, 6});
  CHECK(s.phase_of(2) == 0);
  CHECK(s.phase_of(3) == 1);
  CHECK(s.lr(2, 0) == 1.0);
  CHECK(s.lr(3, 0) == 1.0);    // b at its step 0
  CHECK(s.lr(5, 0) == 0.25);   // b at its step 2
  CHECK(s.lr(6, 0) == 0.5);    // c at its step 0
  CHECK(s.lr(8, 0) == 0.75);   // c at its step 2
  CHECK(s.total_steps() == 10);
  CHECK_FALSE(Sequential({c, b}, {4}).total_steps().has_value());
  CHECK(s.describe().find("@3: exp(") != std::string::npos);
}

TEST_CASE("Sequential errors") {
  auto a = std::make_shared<Constant>(1.0);
  auto two = std::make_shared<Constant>(PerGroup{1.0, 2.0});
  using E = std::invalid_argument;
  CHECK_THROWS_MENTIONING(Sequential({a, a}, {}), E, "one milestone fewer");
  CHECK_THROWS_MENTIONING(Sequential({a, a}, {0}), E, "milestones must be >= 1");
  CHECK_THROWS_MENTIONING(Sequential({a, a, a}, {5, 5}), E, "strictly increasing");
  CHECK_THROWS_MENTIONING(Sequential({a, two}, {5}), E, "group count mismatch");
  CHECK_THROWS_MENTIONING(Sequential({a, nullptr}, {5}), E, "null");
}

TEST_CASE("Warmup ramps linearly into the child's step-0 value, then shifts the child") {
  auto oc = one_cycle({0.1, 0.01}, 100);
  Warmup w(oc, 10, 0.0);
  CHECK(w.num_groups() == 2);
  CHECK(w.lr(0, 0) == 0.0);
  CHECK(w.lr(5, 0) == doctest::Approx(0.5 * oc->lr(0, 0)));
  CHECK(w.lr(10, 1) == oc->lr(0, 1));
  CHECK(w.lr(40, 1) == oc->lr(30, 1));
  CHECK(*w.at(3, 0).momentum == *oc->at(0, 0).momentum);
  CHECK(w.total_steps() == 110);
  CHECK_THROWS_MENTIONING(Warmup(oc, 0, 0.1), std::invalid_argument, "warmup_steps");
  CHECK_THROWS_MENTIONING(Warmup(oc, 5, 1.5), std::invalid_argument, "start_factor");
}

TEST_CASE("GroupScale: discriminative lrs on top of any schedule") {
  auto base = std::make_shared<CosineAnnealing>(1.0, 50);
  std::vector<double> mults = lr_slice(0.01, 1.0, 3);
  GroupScale g(base, mults);
  CHECK(g.num_groups() == 3);
  CHECK(g.lr(25, 0) == doctest::Approx(0.01 * 0.5));
  CHECK(g.lr(25, 1) == doctest::Approx(0.1 * 0.5));
  CHECK(g.lr(25, 2) == doctest::Approx(0.5));
  CHECK(g.total_steps() == 50);
  auto two = std::make_shared<Constant>(PerGroup{1.0, 2.0});
  CHECK(GroupScale(two, {0.5, 0.25}).lr(0, 1) == 0.5);
  CHECK_THROWS_MENTIONING(GroupScale(two, {1.0, 1.0, 1.0}), std::invalid_argument,
                          "group count mismatch");
  CHECK_THROWS_MENTIONING(GroupScale(base, {1.0, 0.0}), std::invalid_argument, "multipliers");
}

TEST_CASE("lr_slice: fastai slice(lo, hi) and slice(hi)") {
  std::vector<double> s = lr_slice(1e-5, 1e-3, 3);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == doctest::Approx(1e-5));
  CHECK(s[1] == doctest::Approx(1e-4));
  CHECK(s[2] == 1e-3);
  std::vector<double> five = lr_slice(1e-4, 1e-2, 5);
  CHECK(five[2] == doctest::Approx(1e-3));
  CHECK(lr_slice(1e-5, 1e-3, 1) == std::vector<double>{1e-3});
  std::vector<double> hi = lr_slice(1e-3, 4);
  CHECK(hi == std::vector<double>{1e-4, 1e-4, 1e-4, 1e-3});
  CHECK_THROWS_MENTIONING(lr_slice(1e-2, 1e-3, 3), std::invalid_argument, "lo must be <= hi");
  CHECK_THROWS_MENTIONING(lr_slice(1e-3, 0), std::invalid_argument, ">= 1");
}

TEST_CASE("dry run: sample and CSV") {
  auto oc = one_cycle({0.1, 0.01}, 20);
  std::vector<Value> v = sample(*oc, 20, 1);
  REQUIRE(v.size() == 20);
  CHECK(v[5].lr == oc->lr(5, 1));
  CHECK(v[5].momentum == oc->at(5, 1).momentum);
  CHECK_THROWS_AS((void)sample(*oc, -1, 0), std::invalid_argument);

  std::string csv = schedule_csv(*oc, 3);
  std::istringstream in(csv);
  std::string header, row0;
  std::getline(in, header);
  std::getline(in, row0);
  CHECK(header == "step,lr_g0,lr_g1,momentum_g0,momentum_g1");
  // Numbers are written with round-trip precision: reading them back gives the exact doubles.
  std::vector<double> cells;
  std::istringstream row(row0);
  for (std::string cell; std::getline(row, cell, ',');) cells.push_back(std::stod(cell));
  REQUIRE(cells.size() == 5);
  CHECK(cells[0] == 0);
  CHECK(cells[1] == oc->lr(0, 0));
  CHECK(cells[2] == oc->lr(0, 1));
  CHECK(cells[3] == *oc->at(0, 0).momentum);
  CHECK(cells[1] != 0.1 / 25);  // PyTorch's cos formula rounds differently from 0.1 / 25

  // Momentum only in the second phase: the first phase's momentum cells are empty.
  auto warm = std::make_shared<Linear>(PerGroup{0.1, 0.01}, 0.5, 1.0, 2);
  Sequential mixed({warm, oc}, {2});
  std::string mixed_csv = schedule_csv(mixed, 3);
  CHECK(mixed_csv.find("\n0,0.05,0.005,,\n") != std::string::npos);

  std::string path = "/tmp/cyclone_test_schedule_dry_run.csv";
  write_schedule_csv(Constant(0.5), 2, path);
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  CHECK(text.str() == "step,lr_g0\n0,0.5\n1,0.5\n");
  std::remove(path.c_str());
  CHECK_THROWS_MENTIONING(write_schedule_csv(Constant(0.5), 2, "/nonexistent-dir/x.csv"),
                          std::runtime_error, "/nonexistent-dir/x.csv");
}

TEST_CASE("factory: every name builds the schedule its options describe") {
  auto s = parse_schedule("onecycle max_lr=0.1,0.01 total_steps=200");
  OneCycleOptions o;
  o.max_lr = {0.1, 0.01};
  o.total_steps = 200;
  OneCycle direct(o);
  CHECK(s->num_groups() == 2);
  CHECK(s->lr(77, 1) == direct.lr(77, 1));
  CHECK(*s->at(77, 1).momentum == *direct.at(77, 1).momentum);

  CHECK(parse_schedule("const lr=0.3")->lr(9, 0) == 0.3);
  CHECK(parse_schedule("step lr=1 step_size=2 gamma=0.5")->lr(4, 0) == 0.25);
  CHECK(parse_schedule("multistep lr=1 milestones=2,4")->lr(4, 0) == doctest::Approx(0.01));
  CHECK(parse_schedule("exp lr=1 gamma=0.5")->lr(2, 0) == 0.25);
  CHECK(parse_schedule("poly lr=1 total_steps=4 power=1")->lr(2, 0) == 0.5);
  CHECK(parse_schedule("linear lr=1 start_factor=0.5 total_iters=2")->lr(1, 0) == 0.75);
  CHECK(parse_schedule("cosine lr=1 t_max=10")->lr(5, 0) == doctest::Approx(0.5));
  CHECK(parse_schedule("clr base_lr=0.1 max_lr=1 step_size_up=2 mode=triangular2")->lr(6, 0) ==
        doctest::Approx(0.55));
  auto sgdr = parse_schedule("sgdr lr=1 cycle_len=0.5 steps_per_epoch=20 cycle_mult=2");
  CHECK(sgdr->lr(10, 0) == 1.0);  // a 10-step cycle, then a restart
  CHECK(dynamic_cast<const SGDR&>(*sgdr).cycle_start(2) == 30);
  CHECK(parse_schedule("slanted max_lr=0.32 total_steps=100")->lr(0, 0) == doctest::Approx(0.01));
  auto fastai = parse_schedule("onecycle preset=fastai max_lr=0.01 total_steps=200");
  CHECK(fastai->lr(199, 0) == doctest::Approx(1e-7));
  CHECK(parse_schedule("onecycle preset=fastai max_lr=0.01 total_steps=200 pct_start=0.5")
            ->lr(99, 0) == doctest::Approx(0.01));
}

TEST_CASE("factory: slices, group counts and warm-up") {
  auto s = parse_schedule("const lr=1e-5..1e-3 num_groups=3");
  CHECK(s->num_groups() == 3);
  CHECK(s->lr(0, 1) == doctest::Approx(1e-4));
  auto hi = parse_schedule("const lr=..1e-3 num_groups=2");
  CHECK(hi->lr(0, 0) == doctest::Approx(1e-4));
  CHECK(parse_schedule("const lr=0.1 num_groups=4")->num_groups() == 4);
  auto w = parse_schedule("cosine lr=1 t_max=10 warmup_steps=4 warmup_start_factor=0.5");
  CHECK(w->lr(2, 0) == 0.75);
  CHECK(w->lr(4, 0) == 1.0);
  CHECK(w->total_steps() == 14);
}

TEST_CASE("factory errors name what is valid") {
  using E = std::invalid_argument;
  CHECK_THROWS_MENTIONING(parse_schedule("cosin lr=1"), E,
                          "valid schedules: const, step, multistep, exp, poly, linear, cosine, "
                          "clr, sgdr, onecycle, slanted");
  CHECK_THROWS_MENTIONING(parse_schedule("onecycle max_lrr=0.1 total_steps=5"), E,
                          "unknown option 'max_lrr'");
  CHECK_THROWS_MENTIONING(parse_schedule("onecycle max_lr=0.1"), E,
                          "missing required option total_steps");
  CHECK_THROWS_MENTIONING(parse_schedule("exp lr=0.1x gamma=0.9"), E, "'0.1x' is not a number");
  CHECK_THROWS_MENTIONING(parse_schedule("step lr=0.1 step_size=2.5"), E, "not an integer");
  CHECK_THROWS_MENTIONING(parse_schedule("clr base_lr=0.1 max_lr=1 mode=tri"), E,
                          "valid modes");
  CHECK_THROWS_MENTIONING(parse_schedule("onecycle max_lr=1 total_steps=9 anneal=cosine"), E,
                          "valid strategies");
  CHECK_THROWS_MENTIONING(parse_schedule("onecycle max_lr=1 total_steps=9 preset=keras"), E,
                          "valid presets");
  CHECK_THROWS_MENTIONING(parse_schedule("onecycle max_lr=1 total_steps=9 three_phase=maybe"),
                          E, "not a boolean");
  CHECK_THROWS_MENTIONING(parse_schedule("const lr=1e-5..1e-3"), E, "needs num_groups");
  CHECK_THROWS_MENTIONING(parse_schedule("const lr=0.1,0.2 num_groups=3"), E, "3");
  CHECK_THROWS_MENTIONING(parse_schedule("const lr"), E, "expected key=value");
  CHECK_THROWS_MENTIONING(parse_schedule("const lr=1 lr=2"), E, "given twice");
  CHECK_THROWS_MENTIONING(parse_schedule(""), E, "empty");
  CHECK(schedule_names().size() == 11);
}
