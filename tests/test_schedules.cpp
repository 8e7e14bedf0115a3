// Unit tests for the schedules: closed-form values, bounded-schedule ends, SGDR cycle
// structure, one-cycle presets, slanted triangular, and construction errors.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "schedules/classic.h"
#include "schedules/cyclic.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"
#include "schedules/slanted_triangular.h"

using namespace cyclone::schedules;

// Checks that `expr` throws `Exc` with a message containing `text`.
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

TEST_CASE("per-group base values: broadcast, lists, and group-count mismatch") {
  Constant broadcast(0.1, 3);
  CHECK(broadcast.num_groups() == 3);
  CHECK(broadcast.lr(5, 2) == 0.1);
  Constant listed({0.1, 0.2});
  CHECK(listed.num_groups() == 2);
  CHECK(listed.lr(0, 1) == 0.2);
  CHECK(Constant(0.3).num_groups() == 1);
  CHECK_THROWS_MENTIONING(Constant({0.1, 0.2}, 3), std::invalid_argument, "3 parameter groups");
  CHECK_THROWS_MENTIONING(CosineAnnealing({0.1, 0.2}, 10, PerGroup{0.0, 0.0, 0.0}),
                          std::invalid_argument, "group count mismatch");
  CHECK_THROWS_MENTIONING(Constant(std::vector<double>{}), std::invalid_argument, "empty");
}

TEST_CASE("at() rejects negative steps and out-of-range groups") {
  Constant c({0.1, 0.2});
  CHECK_THROWS_MENTIONING(c.at(-1, 0), std::invalid_argument, "step must be >= 0");
  CHECK_THROWS_MENTIONING(c.at(0, 2), std::out_of_range, "group 2");
  CHECK(c.at_all_groups(7).size() == 2);
}

TEST_CASE("classic schedules: known values") {
  StepDecay step(1.0, 7, 0.5);
  CHECK(step.lr(6, 0) == 1.0);
  CHECK(step.lr(7, 0) == 0.5);
  CHECK(step.lr(21, 0) == 0.125);
  MultiStep ms(1.0, {10, 25}, 0.1);
  CHECK(ms.lr(9, 0) == 1.0);
  CHECK(ms.lr(10, 0) == doctest::Approx(0.1));
  CHECK(ms.lr(30, 0) == doctest::Approx(0.01));
  CHECK(Exponential(2.0, 0.5).lr(3, 0) == 0.25);
  Polynomial poly(1.0, 10, 2.0, 0.1);
  CHECK(poly.lr(5, 0) == doctest::Approx(0.9 * 0.25 + 0.1));
  CHECK(poly.lr(10, 0) == doctest::Approx(0.1));
  CHECK(poly.lr(1000, 0) == doctest::Approx(0.1));  // holds end_lr
  Linear warm(1.0, 0.0, 1.0, 4);                    // start_factor 0: PyTorch divides by zero
  CHECK(warm.lr(0, 0) == 0.0);
  CHECK(warm.lr(1, 0) == 0.25);
  CHECK(warm.lr(4, 0) == 1.0);
  CHECK(warm.lr(99, 0) == 1.0);
  CHECK(warm.total_steps() == 4);
  CHECK_FALSE(step.total_steps().has_value());
}

TEST_CASE("cosine annealing holds eta_min past t_max (PyTorch climbs back up)") {
  CosineAnnealing cos(0.1, 100, 0.001);
  CHECK(cos.lr(50, 0) == doctest::Approx(0.001 + 0.099 / 2));
  CHECK(cos.lr(100, 0) == doctest::Approx(0.001));
  CHECK(cos.lr(150, 0) == doctest::Approx(0.001));  // PyTorch's formula gives 0.0505 here
  CHECK(cos.lr(100000, 0) == doctest::Approx(0.001));
}

TEST_CASE("CyclicLR: cycle numbers, momentum inverse to lr, unbounded") {
  CyclicOptions o;
  o.base_lr = 0.1;
  o.max_lr = 1.0;
  o.step_size_up = 4;
  o.step_size_down = 6;
  Cyclic c(o);
  CHECK(c.cycle_length() == 10);
  CHECK(c.cycle_number(9) == 1);
  CHECK(c.cycle_number(10) == 2);
  CHECK(c.lr(2, 0) == doctest::Approx(0.55));
  CHECK(c.lr(4, 0) == doctest::Approx(1.0));
  CHECK(c.lr(7, 0) == doctest::Approx(0.55));
  CHECK(*c.at(0, 0).momentum == doctest::Approx(0.9));
  CHECK(*c.at(4, 0).momentum == doctest::Approx(0.8));
  CHECK_FALSE(c.total_steps().has_value());
  CHECK(c.lr(1000004, 0) == doctest::Approx(1.0));
}

TEST_CASE("SGDR exposes its cycle structure") {
  SGDROptions o;
  o.lr = 1.0;
  o.cycle_len = 10;
  o.cycle_mult = 2;
  SGDR s(o);
  CHECK(s.cycle_start(0) == 0);
  CHECK(s.cycle_start(3) == 70);
  CHECK(s.cycle_length(3) == 80);
  CHECK(s.steps_for_cycles(4) == 150);
  CyclePosition p = s.position(29);
  CHECK(p.index == 1);
  CHECK(p.start == 10);
  CHECK(p.length == 20);
  CHECK(p.offset == 19);
  CHECK(s.is_cycle_end(9));
  CHECK(s.is_cycle_end(29));
  CHECK_FALSE(s.is_cycle_end(10));
  CHECK(s.cycle_index(149) == 3);
  CHECK(s.cycle_index(150) == 4);
  CHECK(s.lr(20, 0) == doctest::Approx(0.5));  // half-way through cycle 1
  CHECK_FALSE(s.total_steps().has_value());
  CHECK_THROWS_AS((void)s.cycle_start(70), std::overflow_error);
  // A huge step still finds its cycle in a few iterations.
  CHECK(s.cycle_index(int64_t{1} << 60) == 56);

  o.cycle_mult = 1;
  o.num_cycles = 3;
  SGDR bounded(o);
  CHECK(bounded.cycle_index(25) == 2);
  CHECK(bounded.is_cycle_end(19));
  CHECK(bounded.total_steps() == 30);
  CHECK(bounded.lr(29, 0) == doctest::Approx(0.5 * (1 + std::cos(std::numbers::pi * 0.9))));
  CHECK(bounded.lr(31, 0) == bounded.lr(29, 0));  // holds its last step, no restart
}

TEST_CASE("SGDR cycle length from fractional epochs") {
  CHECK(cycle_len_from_epochs(1.0, 391) == 391);
  CHECK(cycle_len_from_epochs(0.5, 391) == 196);  // 195.5 rounds to nearest
  CHECK(cycle_len_from_epochs(2.5, 100) == 250);
  CHECK_THROWS_MENTIONING(cycle_len_from_epochs(0.001, 10), std::invalid_argument, "at least 1");
}

TEST_CASE("OneCycle: endpoints, phase boundary, and holding past total_steps") {
  OneCycleOptions o;
  o.max_lr = 1.0;
  o.total_steps = 100;
  OneCycle s(o);
  CHECK(s.lr(0, 0) == doctest::Approx(1.0 / 25));
  CHECK(s.lr(29, 0) == doctest::Approx(1.0));       // p*T - 1 = 29
  CHECK(*s.at(29, 0).momentum == doctest::Approx(0.85));
  CHECK(s.lr(99, 0) == doctest::Approx(1.0 / 25 / 1e4));
  CHECK(*s.at(99, 0).momentum == doctest::Approx(0.95));
  // PyTorch raises past total_steps (and extrapolates at exactly total_steps); we hold.
  CHECK(s.lr(100, 0) == s.lr(99, 0));
  CHECK(s.lr(5000, 0) == s.lr(99, 0));
  CHECK(*s.at(5000, 0).momentum == *s.at(99, 0).momentum);
  CHECK(s.total_steps() == 100);

  o.three_phase = true;
  o.anneal = Anneal::linear;
  OneCycle three(o);
  CHECK(three.lr(29, 0) == doctest::Approx(1.0));
  CHECK(three.lr(58, 0) == doctest::Approx(1.0 / 25));  // 2*p*T - 2 = 58: back to initial
  CHECK(*three.at(70, 0).momentum == doctest::Approx(0.95));

  o.three_phase = false;
  o.pct_start = 0.01;  // p*T == 1: zero-length first phase gives its end value
  OneCycle zero(o);
  CHECK(zero.lr(0, 0) == doctest::Approx(1.0));
  CHECK(std::isfinite(zero.lr(1, 0)));
}

TEST_CASE("OneCycle fastai preset: div_final 1e5, pct_start 0.25") {
  OneCycle s(fastai_one_cycle(0.01, 200));
  CHECK(s.lr(0, 0) == doctest::Approx(0.01 / 25));
  CHECK(s.lr(49, 0) == doctest::Approx(0.01));  // peak at 0.25 * 200 - 1
  CHECK(s.lr(199, 0) == doctest::Approx(0.01 / 1e5));
  CHECK(*s.at(0, 0).momentum == doctest::Approx(0.95));
  CHECK(*s.at(49, 0).momentum == doctest::Approx(0.85));
  // PyTorch defaults end at max_lr / 2.5e5.
  OneCycleOptions torch_defaults;
  torch_defaults.max_lr = 0.01;
  torch_defaults.total_steps = 200;
  CHECK(OneCycle(torch_defaults).lr(199, 0) == doctest::Approx(0.01 / 2.5e5));
}

TEST_CASE("slanted triangular (ULMFiT eq. 3)") {
  SlantedTriangularOptions o;
  o.max_lr = 0.01;
  o.total_steps = 1000;
  SlantedTriangular s(o);
  CHECK(s.cut() == 100);
  CHECK(s.lr(0, 0) == doctest::Approx(0.01 / 32));
  CHECK(s.lr(100, 0) == doctest::Approx(0.01));
  CHECK(s.lr(50, 0) == doctest::Approx(0.01 * (1 + 0.5 * 31) / 32));
  CHECK(s.lr(550, 0) == doctest::Approx(s.lr(50, 0)));  // p = 1 - 450 / 900 = 0.5
  CHECK(s.lr(999, 0) == doctest::Approx(0.01 * (1 + (1.0 / 900) * 31) / 32));
  CHECK(s.lr(5000, 0) == s.lr(999, 0));
  o.cut_frac = 0.0001;
  CHECK_THROWS_MENTIONING(SlantedTriangular(o), std::invalid_argument, "cut_frac");
}

TEST_CASE("construction errors say which argument is wrong and why") {
  using E = std::invalid_argument;
  CHECK_THROWS_MENTIONING(Constant(0.0), E, "lr must be positive");
  CHECK_THROWS_MENTIONING(Constant({0.1, -0.1}), E, "lr must be positive");
  CHECK_THROWS_MENTIONING(Constant(NAN), E, "lr must be positive");
  CHECK_THROWS_MENTIONING(StepDecay(0.1, 0), E, "step_size must be >= 1");
  CHECK_THROWS_MENTIONING(StepDecay(0.1, 5, 0.0), E, "gamma");
  CHECK_THROWS_MENTIONING(MultiStep(0.1, {10, 10}), E, "strictly increasing");
  CHECK_THROWS_MENTIONING(Exponential(0.1, -0.5), E, "gamma");
  CHECK_THROWS_MENTIONING(Linear(0.1, 1.5), E, "start_factor");
  CHECK_THROWS_MENTIONING(CosineAnnealing(0.1, 0), E, "t_max");
  CHECK_THROWS_MENTIONING(CosineAnnealing(0.1, 10, -1.0), E, "eta_min");
  CHECK_THROWS_MENTIONING(Polynomial(0.1, 0), E, "total_steps");

  OneCycleOptions oc;
  oc.max_lr = 0.1;
  oc.total_steps = 100;
  for (double bad : {0.0, 1.0, 1.5, -0.1}) {
    oc.pct_start = bad;
    CHECK_THROWS_MENTIONING(OneCycle(oc), E, "pct_start must be in (0, 1)");
  }
  oc.pct_start = 0.6;
  oc.three_phase = true;
  CHECK_THROWS_MENTIONING(OneCycle(oc), E, "three_phase");
  oc = OneCycleOptions{};
  CHECK_THROWS_MENTIONING(OneCycle(oc), E, "total_steps");
  oc.total_steps = 10;
  oc.max_lr = {0.1, 0.2};
  oc.base_momentum = {0.8, 0.8, 0.8};
  CHECK_THROWS_MENTIONING(OneCycle(oc), E, "base_momentum");
  CHECK_THROWS_MENTIONING(parse_anneal("cosine"), E, "valid strategies: cos, linear");

  SGDROptions sg;
  sg.cycle_len = 0;
  CHECK_THROWS_MENTIONING(SGDR(sg), E, "cycle_len (T_0) must be >= 1");
  sg.cycle_len = 10;
  sg.cycle_mult = 0;
  CHECK_THROWS_MENTIONING(SGDR(sg), E, "cycle_mult (T_mult) must be >= 1");

  CyclicOptions cy;
  cy.step_size_up = 0;
  CHECK_THROWS_MENTIONING(Cyclic(cy), E, "step_size_up");
  cy = CyclicOptions{};
  cy.step_size_down = 0;
  CHECK_THROWS_MENTIONING(Cyclic(cy), E, "step_size_down");
  cy = CyclicOptions{};
  cy.max_lr = 1e-4;
  CHECK_THROWS_MENTIONING(Cyclic(cy), E, "max_lr must be >= base_lr");
  cy = CyclicOptions{};
  cy.mode = ClrMode::custom;
  CHECK_THROWS_MENTIONING(Cyclic(cy), E, "needs a scale_fn");
  CHECK_THROWS_MENTIONING(parse_clr_mode("triangle"), E,
                          "valid modes: triangular, triangular2, exp_range");
  CHECK_THROWS_MENTIONING(parse_scale_mode("epoch"), E, "cycle, iterations");
}

TEST_CASE("schedules are values: copies and fresh objects agree at any step (resume)") {
  OneCycleOptions o;
  o.max_lr = {0.1, 0.01};
  o.total_steps = 1000;
  OneCycle original(o);
  // Step through the first 400 steps as training would, then "resume" from a copy and from a
  // newly built object at step 400: only the step count is needed.
  for (int64_t s = 0; s < 400; ++s) (void)original.at(s, 0);
  OneCycle copy = original;
  OneCycle rebuilt(o);
  for (int64_t s = 400; s < 420; ++s) {
    CHECK(copy.lr(s, 1) == original.lr(s, 1));
    CHECK(rebuilt.lr(s, 1) == original.lr(s, 1));
  }
  CHECK(original.describe().find("max_lr=[0.1, 0.01]") != std::string::npos);
  CHECK(original.describe().find("total_steps=1000") != std::string::npos);
}
