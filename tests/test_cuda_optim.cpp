// CUDA = CPU for the fused optimizer kernels, bit for bit: many tensors of odd sizes (several
// launches, several blocks per tensor, empty tensors), the PyTorch golden trajectories replayed
// on the GPU, and state moving between devices. Skipped, with a notice, where no GPU is present.
#include <cmath>
#include <cstring>
#include <functional>

#include "kernels/optim_contract.h"
#include "test_optim_fixture.h"

using namespace cyclone;
using namespace cyclone::optim;
using cyclone::test::cuda_or_skip;
namespace K = cyclone::kernels;

#if CYCLONE_WITH_CUDA
namespace {

// 70 tensors: empty, tiny, exactly one block's chunk (2048), one past it, and odd sizes up to ~5000.
std::vector<Tensor> odd_params(uint64_t seed) {
  std::vector<Tensor> out;
  const int64_t special[] = {0, 1, 2048, 2049, 4097, 3};
  for (int i = 0; i < 70; ++i) {
    const int64_t n = i < 6 ? special[i] : (i * 977) % 5003 + 1;
    out.push_back(test::seeded_randn({n}, seed + i).detach());
  }
  return out;
}

std::vector<Tensor> on_cuda(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const Tensor& p : ps) out.push_back(p.cuda().detach());
  return out;
}

void check_equal(const Tensor& got, const Tensor& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  const std::vector<float> g = got.to_vector<float>(), w = want.to_vector<float>();
  size_t bad = 0;
  for (size_t k = 0; k < g.size(); ++k) {
    const bool both_nan = std::isnan(g[k]) && std::isnan(w[k]);  // payloads may differ
    bad += !both_nan && std::memcmp(&g[k], &w[k], sizeof(float)) != 0;
  }
  CHECK_MESSAGE(bad == 0, bad << " of " << g.size() << " elements differ");
}

template <class G>
using Factory = std::function<std::unique_ptr<Optimizer>(const std::vector<ParamGroupOf<G>>&)>;

// Three steps of the same optimizer on CPU and CUDA copies of 70 tensors in two groups
// (40 + 30: two launches and one), then every parameter and state buffer compared bit for bit.
template <class G>
void check_cuda_equals_cpu(const Factory<G>& make, G second) {
  std::vector<Tensor> cpu = odd_params(500), gpu = on_cuda(cpu);
  auto split = [&](const std::vector<Tensor>& ps) {
    return std::vector<ParamGroupOf<G>>{ParamGroupOf<G>{{ps.begin(), ps.begin() + 40}, {}, "a"},
                                        ParamGroupOf<G>{{ps.begin() + 40, ps.end()}, second, "b"}};
  };
  auto opt_cpu = make(split(cpu)), opt_gpu = make(split(gpu));
  for (int t = 1; t <= 3; ++t) {
    for (size_t i = 0; i < cpu.size(); ++i) {
      if (i == 7 && t == 2) {  // a parameter that misses a step
        cpu[i].set_grad(Tensor());
        gpu[i].set_grad(Tensor());
        continue;
      }
      Tensor g = test::seeded_randn(cpu[i].shape(), 1000 * t + i).detach();
      cpu[i].set_grad(g);
      gpu[i].set_grad(g.cuda());
    }
    opt_cpu->step();
    opt_gpu->step();
  }
  for (size_t i = 0; i < cpu.size(); ++i) check_equal(gpu[i], cpu[i], "parameter " + std::to_string(i));
  const OptimizerState a = opt_gpu->state_dict(), b = opt_cpu->state_dict();
  CHECK(a.scalars == b.scalars);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [key, t] : a.tensors) {
    CHECK(t.is_cuda());
    check_equal(t, b.tensors.at(key), key);
  }
}

}  // namespace

TEST_CASE("fused SGD, Adam and AdamW on 70 tensors: CUDA = CPU bit for bit" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  check_cuda_equals_cpu<SgdGroupOptions>(
      [](const std::vector<SgdParamGroup>& g) {
        return std::make_unique<SGD>(g, SgdOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
      },
      {.lr = 0.05, .dampening = 0.0, .nesterov = true});
  check_cuda_equals_cpu<SgdGroupOptions>([](const std::vector<SgdParamGroup>& g) { return std::make_unique<SGD>(g, SgdOptions{.lr = 0.1}); },
                        {.weight_decay = 0.1});
  check_cuda_equals_cpu<AdamGroupOptions>(
      [](const std::vector<AdamParamGroup>& g) {
        return std::make_unique<Adam>(g, AdamOptions{.lr = 0.01, .weight_decay = 0.01, .amsgrad = true});
      },
      {.betas = std::make_pair(0.8, 0.99), .eps = 1e-6, .amsgrad = false});
  check_cuda_equals_cpu<AdamGroupOptions>(
      [](const std::vector<AdamParamGroup>& g) { return std::make_unique<AdamW>(g, AdamWOptions{.lr = 0.01}); },
      {.weight_decay = 0.1, .amsgrad = true});
}

TEST_CASE("PyTorch golden trajectories replayed on CUDA" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const std::string& name : test::optim_case_names()) {
    INFO(name);
    CHECK(test::replay_optim_case(test::load_optim_case(name), kCUDA) <= 1e-6);
  }
}

TEST_CASE("adam_multi kernel: a full list of 32 tensors, NaN propagating through amsgrad" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  std::vector<Tensor> cpu, gpu;  // per tensor: param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq
  K::AdamTensorList lc, lg;
  for (int i = 0; i < K::kOptimMaxTensors; ++i) {
    const int64_t n = i == 3 ? 0 : (i * 613) % 9001 + 1;
    for (int b = 0; b < 5; ++b) {
      Tensor x = test::seeded_randn({n}, 77 * i + b).detach();
      if (b >= 3) x = (x * x).detach();  // second moments are non-negative
      cpu.push_back(x);
      gpu.push_back(x.cuda());
    }
    if (n > 10) cpu[cpu.size() - 4].data<float>()[10] = NAN;  // a NaN gradient element
    if (n > 10) gpu[gpu.size() - 4] = cpu[cpu.size() - 4].cuda();
    for (auto* l : {&lc, &lg}) {
      const std::vector<Tensor>& t = l == &lc ? cpu : gpu;
      const size_t base = t.size() - 5;
      l->numel[i] = n;
      l->param[i] = t[base].data<float>();
      l->grad[i] = t[base + 1].data<float>();
      l->exp_avg[i] = t[base + 2].data<float>();
      l->exp_avg_sq[i] = t[base + 3].data<float>();
      l->max_exp_avg_sq[i] = t[base + 4].data<float>();
      l->neg_step_size[i] = -0.01f * float(i + 1);
      l->bias_correction2_sqrt[i] = 0.05f + 0.01f * float(i);
      l->count = i + 1;
    }
  }
  K::AdamHyper h;
  h.beta1 = 0.9f;
  h.one_minus_beta1 = 0.1f;
  h.beta2 = 0.999f;
  h.one_minus_beta2 = 0.001f;
  h.eps = 1e-8f;
  h.weight_decay = 0.01f;
  h.coupled_weight_decay = true;
  h.amsgrad = true;
  K::cpu::adam_multi(lc, h);
  K::cuda::adam_multi(lg, h);
  for (size_t k = 0; k < cpu.size(); ++k) {
    if (k % 5 == 1) continue;  // gradients are inputs
    check_equal(gpu[k], cpu[k], "tensor " + std::to_string(k / 5) + " buffer " + std::to_string(k % 5));
  }
  CHECK(std::isnan(gpu[5 * 5 + 4].to_vector<float>()[10]));  // max_exp_avg_sq keeps the NaN
}

TEST_CASE("optimizer state moves to the parameters' device on load" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  std::vector<Tensor> cpu = odd_params(900);
  cpu.resize(5);
  Adam a(cpu, {.lr = 0.01, .amsgrad = true});
  for (int t = 1; t <= 2; ++t) {
    for (size_t i = 0; i < cpu.size(); ++i) cpu[i].set_grad(test::seeded_randn(cpu[i].shape(), 10 * t + i).detach());
    a.step();
  }
  std::vector<Tensor> gpu = on_cuda(cpu);
  Adam b(gpu, {.lr = 0.01, .amsgrad = true});
  b.load_state_dict(a.state_dict());
  for (const auto& entry : b.state_dict().tensors) CHECK_MESSAGE(entry.second.is_cuda(), entry.first);
  for (size_t i = 0; i < cpu.size(); ++i) {
    Tensor g = test::seeded_randn(cpu[i].shape(), 99 + i).detach();
    cpu[i].set_grad(g);
    gpu[i].set_grad(g.cuda());
  }
  a.step();
  b.step();
  for (size_t i = 0; i < cpu.size(); ++i) check_equal(gpu[i], cpu[i], "parameter " + std::to_string(i));

  gpu[1].set_grad(test::seeded_randn(gpu[1].shape(), 5).detach());  // on the CPU
  CHECK_THROWS_WITH_AS(b.step(), doctest::Contains("gradient of parameter 1 is on cpu but the parameter is on cuda"),
                       std::invalid_argument);
}

#else
TEST_CASE("fused optimizer kernels: CUDA = CPU" * doctest::test_suite("cuda")) { cuda_or_skip(); }
#endif
