// SGD, Adam and AdamW against PyTorch 1.13 (torch.optim, foreach=False): every parameter after
// every one of 50 steps, with per-group options, skipped gradients and mid-run lr/momentum
// changes (fixtures and generator in tests/fixtures/optim/).
#include "test_optim_fixture.h"

using namespace cyclone;

TEST_CASE("optimizers follow PyTorch step by step (golden trajectories)") {
  for (const std::string& name : test::optim_case_names()) {
    SUBCASE(name.c_str()) {
      const test::OptimCase c = test::load_optim_case(name);
      REQUIRE(c.steps.size() == 50);
      REQUIRE(c.shapes.size() == 3);
      // On x86-64 every value equals PyTorch's bit for bit; the tolerance leaves room for
      // another libm's pow() in the bias corrections.
      CHECK(test::replay_optim_case(c, kCPU) <= 1e-6);
    }
  }
}
