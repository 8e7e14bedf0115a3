// The autograd engine: accumulation into leaves, shared subgraphs, retain_graph,
// detach, no-grad mode, backward(grad) for non-scalars, and clear errors.
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;

TEST_CASE("gradients of a small expression by hand") {
  // y = sum(w * x + b)^2 ... use known derivative: d/dx sum((x*w)^2) = 2 x w^2
  Tensor x = from_vector(std::vector<float>{1, 2, 3}, {3}).requires_grad_();
  Tensor w = from_vector(std::vector<float>{2, -1, 0.5f}, {3}).requires_grad_();
  Tensor y = sum(square(x * w));
  CHECK(y.item() == doctest::Approx(4 + 4 + 2.25));
  y.backward();
  check_close(x.grad(), {8, 4, 1.5f});    // 2 x w^2
  check_close(w.grad(), {4, -8, 9});   // 2 w x^2
  CHECK(x.is_leaf());
  CHECK(!y.is_leaf());
  CHECK(y.grad_fn()->name() == "SumBackward");
}

TEST_CASE("gradients accumulate across backward calls and shared uses") {
  Tensor x = full({2}, 3.0).requires_grad_();
  Tensor y = sum(x * x + x);  // x used twice in one graph: dy/dx = 2x + 1
  y.backward();
  check_close(x.grad(), {7, 7});
  sum(x * 2.0).backward();  // accumulates
  check_close(x.grad(), {9, 9});
  x.set_grad(Tensor());
  sum(x).backward();
  check_close(x.grad(), {1, 1});
}

TEST_CASE("diamond graph: a node's gradients are summed before it runs") {
  Tensor x = full({1}, 2.0).requires_grad_();
  Tensor a = x * 3.0;        // 6
  Tensor b = exp(a * 0.0);   // 1, depends on a
  Tensor c = a * a;          // 36
  Tensor y = sum(b + c);     // dy/dx = 0 + 2 a * 3 = 36
  y.backward();
  check_close(x.grad(), std::vector<float>{36});
}

TEST_CASE("retain_graph allows a second backward; otherwise it is a clear error") {
  Tensor x = full({2}, 1.5).requires_grad_();
  Tensor y = sum(exp(x));
  y.backward(Tensor(), true);
  y.backward();
  check_close(x.grad(), {2 * std::exp(1.5f), 2 * std::exp(1.5f)}, 1e-5, 1e-5);
  CHECK_THROWS_WITH(y.backward(), doctest::Contains("retain_graph"));
}

TEST_CASE("backward(grad) for non-scalar outputs") {
  Tensor x = from_vector(std::vector<float>{1, 2}, {2}).requires_grad_();
  Tensor y = x * x;
  CHECK_THROWS_WITH(y.backward(), doctest::Contains("scalar"));
  y.backward(from_vector(std::vector<float>{1, 10}, {2}));
  check_close(x.grad(), {2, 40});
  Tensor z = x * 2.0;
  CHECK_THROWS_WITH(z.backward(ones({3})), doctest::Contains("shape"));
}

TEST_CASE("detach and no_grad stop recording") {
  Tensor x = full({2}, 2.0).requires_grad_();
  Tensor d = (x * 3.0).detach();
  CHECK(!d.requires_grad());
  CHECK(d.storage() != nullptr);
  {
    NoGradGuard guard;
    Tensor y = x * 5.0;
    CHECK(!y.requires_grad());
    CHECK(!grad_enabled());
  }
  CHECK(grad_enabled());
  Tensor y = sum(x * d);  // d is a constant here
  y.backward();
  check_close(x.grad(), {6, 6});
  CHECK_THROWS_WITH(sum(d).backward(), doctest::Contains("does not require grad"));
  CHECK_THROWS_WITH(from_vector(std::vector<int64_t>{1}, {1}).requires_grad_(), doctest::Contains("float32"));
  Tensor nonleaf = x * 2.0;
  CHECK_THROWS_WITH(nonleaf.requires_grad_(), doctest::Contains("leaf"));
}

TEST_CASE("a graph built from many ops frees its saved tensors after backward") {
  const size_t before = memory_stats(kCPU).current_bytes;
  {
    Tensor x = randn({256, 256}).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 10; ++i) y = tanh(matmul(y, x) * 0.01);
    sum(y).backward();
    CHECK(x.grad().shape() == Shape{256, 256});
  }
  CHECK(memory_stats(kCPU).current_bytes == before);  // no cycles keep anything alive
}
