// Tensor metadata, views, factories, RNG, printing and memory accounting.
#include "kernels/philox.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;

TEST_CASE("factories give known values") {
  check_close(zeros({2, 2}), {0, 0, 0, 0});
  check_close(ones({3}), {1, 1, 1});
  check_close(full({2}, 2.5), {2.5, 2.5});
  check_close(arange(0, 5), {0, 1, 2, 3, 4});
  check_close(arange(1, 2, 0.25), {1, 1.25, 1.5, 1.75});
  CHECK(arange(0, 4, 1, DType::i64).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(empty({0, 3}).numel() == 0);
  CHECK_THROWS_WITH_AS(empty({2, -1}), doctest::Contains("negative dimension"), std::invalid_argument);
  CHECK_THROWS_AS(arange(0, 5, -1), std::invalid_argument);
}

TEST_CASE("from_vector round-trips every dtype and checks the size") {
  CHECK(from_vector(std::vector<int64_t>{5, -7}, {2}).to_vector<int64_t>() == std::vector<int64_t>{5, -7});
  CHECK(from_vector(std::vector<uint8_t>{0, 255}, {2}).to_vector<uint8_t>() == std::vector<uint8_t>{0, 255});
  CHECK_THROWS_WITH(from_vector(std::vector<float>{1, 2, 3}, {2, 2}), doctest::Contains("[2, 2]"));
  CHECK(from_vector(std::vector<uint8_t>{3, 200}, {2}).to(DType::f32).to_vector<float>() == std::vector<float>{3, 200});
  CHECK(from_vector(std::vector<float>{2.7f, -1.2f}, {2}).to(DType::i64).to_vector<int64_t>() == std::vector<int64_t>{2, -1});
}

TEST_CASE("reshape, view, permute and transpose share storage and index correctly") {
  Tensor x = arange(0, 24).reshape({2, 3, 4});
  CHECK(x.shape() == Shape{2, 3, 4});
  CHECK(x.strides() == Shape{12, 4, 1});
  Tensor p = x.permute({2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  CHECK(!p.is_contiguous());
  CHECK(p.storage() == x.storage());
  // p[1][1][2] = x[1][2][1] = 12 + 8 + 1
  CHECK(p.select(0, 1).select(0, 1).select(0, 2).item() == 21.f);
  Tensor t = x.transpose(0, 2).contiguous();
  CHECK(t.is_contiguous());
  CHECK(t.shape() == Shape{4, 3, 2});
  CHECK(t.to_vector()[1] == 12.f);  // t[0][0][1] = x[1][0][0]
  CHECK(x.view({6, -1}).shape() == Shape{6, 4});
  CHECK_THROWS_WITH(x.view({5, -1}), doctest::Contains("invalid for input of shape [2, 3, 4]"));
  CHECK_THROWS_WITH(p.view({24}), doctest::Contains("reshape"));
  check_close(p.reshape({24}).slice(0, 0, 4), {0, 4, 8, 12});
  CHECK(x.flatten(1).shape() == Shape{2, 12});
  CHECK(x.unsqueeze(0).shape() == Shape{1, 2, 3, 4});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(0).squeeze(0).shape() == Shape{2, 3, 4});
}

TEST_CASE("slicing with steps, like x[:, :, ::2, ::2]") {
  Tensor x = arange(0, 2 * 2 * 4 * 4).reshape({2, 2, 4, 4});
  Tensor s = x.slice(2, 0, 4, 2).slice(3, 0, 4, 2);
  CHECK(s.shape() == Shape{2, 2, 2, 2});
  check_close(s.select(0, 0).select(0, 0), {0, 2, 8, 10});
  check_close(s.select(0, 1).select(0, 1), {48, 50, 56, 58});
  // Python semantics for negative and out-of-range bounds.
  check_close(arange(0, 10).slice(0, -3, 100), {7, 8, 9});
  check_close(arange(0, 10).slice(0, 1, 8, 3), {1, 4, 7});
  CHECK(arange(0, 10).slice(0, 5, 2).numel() == 0);
  CHECK_THROWS_AS(arange(0, 10).slice(0, 0, 5, 0), std::invalid_argument);
}

TEST_CASE("expand broadcasts without copying; copy_ writes through views") {
  Tensor v = from_vector(std::vector<float>{1, 2, 3}, {3, 1});
  Tensor e = v.expand({3, 4});
  CHECK(e.strides() == Shape{1, 0});
  check_close(e.contiguous(), {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3});
  CHECK_THROWS_WITH(v.expand({2, 4}), doctest::Contains("cannot expand"));
  Tensor z = zeros({3, 4});
  z.slice(1, 1, 4, 2).copy_(e.slice(1, 0, 2));
  check_close(z, {0, 1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3});
  z.select(0, 0).fill_(7);
  check_close(z.select(0, 0), {7, 7, 7, 7});
}

TEST_CASE("item, clone and to_vector") {
  Tensor x = full({1}, 3.5);
  CHECK(x.item() == 3.5f);
  CHECK_THROWS_WITH(zeros({2}).item(), doctest::Contains("exactly one element"));
  Tensor c = x.clone();
  c.fill_(1);
  CHECK(x.item() == 3.5f);
  CHECK(c.storage() != x.storage());
}

TEST_CASE("Philox RNG: seeded, reproducible, and sensible statistics") {
  manual_seed(42);
  const auto a = rand({1000}).to_vector();
  manual_seed(42);
  const auto b = rand({1000}).to_vector();
  CHECK(a == b);
  const auto c = rand({1000}).to_vector();
  CHECK(a != c);  // the stream moved on
  double mean = 0;
  for (float v : a) {
    CHECK(v >= 0.f);
    CHECK(v < 1.f);
    mean += v;
  }
  CHECK(mean / 1000 == doctest::Approx(0.5).epsilon(0.05));
  manual_seed(7);
  const auto n = randn({20000}).to_vector();
  double m = 0, sq = 0;
  for (float v : n) {
    m += v;
    sq += double(v) * v;
  }
  m /= n.size();
  CHECK(std::fabs(m) < 0.03);
  CHECK(std::sqrt(sq / n.size() - m * m) == doctest::Approx(1.0).epsilon(0.03));
  // Known answer: the Philox4x32-10 test vector (counter 0, key 0) from Random123.
  const auto r = kernels::philox4x32(0, 0);
  CHECK(r.v[0] == 0x6627e8d5u);
  CHECK(r.v[1] == 0xe169c58du);
  CHECK(r.v[2] == 0xbc57ac4cu);
  CHECK(r.v[3] == 0x9b00dbd8u);
  // Generator state round-trips (what checkpoints rely on).
  const GeneratorState st = default_generator().state();
  const auto d1 = rand({5}).to_vector();
  default_generator().set_state(st);
  CHECK(rand({5}).to_vector() == d1);
}

TEST_CASE("printing follows PyTorch's style") {
  CHECK(from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}).str() == "tensor([[1., 2.],\n        [3., 4.]])");
  CHECK(from_vector(std::vector<float>{0.5f, -1.25f}, {2}).str() == "tensor([ 0.5000, -1.2500])");
  CHECK(from_vector(std::vector<int64_t>{3, 10}, {2}).str() == "tensor([ 3, 10], dtype=int64)");
  CHECK(full({}, 2.0).str() == "tensor(2.)");
  Tensor w = ones({2}).requires_grad_();
  CHECK(w.str() == "tensor([1., 1.], requires_grad=True)");
  const std::string big = arange(0, 2000).str();
  CHECK(big.find("...") != std::string::npos);
  CHECK(big.find("shape=[2000]") != std::string::npos);
  CHECK(big.find("1999.") != std::string::npos);
}

TEST_CASE("CPU memory accounting tracks current and peak bytes") {
  const MemoryStats before = memory_stats(kCPU);
  {
    Tensor t = empty({1024, 256});
    const MemoryStats during = memory_stats(kCPU);
    CHECK(during.current_bytes - before.current_bytes == 1024 * 256 * 4);
    CHECK(during.peak_bytes >= during.current_bytes);
  }
  CHECK(memory_stats(kCPU).current_bytes == before.current_bytes);
  CHECK(allocation_size(kCUDA, 1) == 512);
  CHECK(allocation_size(kCUDA, (1 << 20) + 1) == (1 << 20) + (1 << 18));
}

TEST_CASE("devices parse and CUDA errors are clear in a CPU-only run") {
  CHECK(Device::parse("cuda:1").index == 1);
  CHECK(Device::parse("cpu").is_cpu());
  CHECK_THROWS_WITH(Device::parse("gpu"), doctest::Contains("unknown device 'gpu'"));
  if (!cuda_available()) {
    CHECK_THROWS_AS(zeros({2}, kCUDA), std::runtime_error);
  }
}
