// Weight files by name: ONNX exports with Identity-deduplicated initializers
// (tests/fixtures/weights/gen_weights_fixtures.py, PyTorch 1.13) and the load report.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "nn/layers.h"
#include "nn/state_io.h"
#include "tests/test_helpers.h"

using namespace cyclone;

namespace {

const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/weights/";

// The PyTorch model of the fixture: Conv-BN-ReLU-Conv-BN, names 0.weight ... 4.running_var.
std::shared_ptr<nn::Sequential> tiny_model() {
  return std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(3, 4, 3, 1, 1, false), std::make_shared<nn::BatchNorm2d>(4),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Conv2d>(4, 4, 3, 1, 1, false),
      std::make_shared<nn::BatchNorm2d>(4)});
}

std::map<std::string, Tensor> as_map(const nn::NamedTensors& v) {
  std::map<std::string, Tensor> m;
  for (const auto& [k, t] : v) m[k] = t;
  return m;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ONNX Identity nodes of initializers resolve to the initializer's values") {
  const nn::OnnxWeights w = nn::read_onnx_weights(kDir + "tiny_preserve.onnx");
  // The exporter kept one copy of the second BatchNorm's values (equal to the first's).
  REQUIRE(w.tensors.size() == 10);
  CHECK(w.aliases.size() == 4);
  const auto got = as_map(w.tensors);
  const auto want = as_map(nn::load_npz_tensors(kDir + "tiny_expected.npz"));
  for (const char* name : {"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight",
                           "4.weight", "4.bias", "4.running_mean", "4.running_var"}) {
    CAPTURE(name);
    REQUIRE(got.count(name));
    CHECK(got.at(name).to_vector<float>() == want.at(name).to_vector<float>());
  }
  CHECK(std::count(w.aliases.begin(), w.aliases.end(), std::pair<std::string, std::string>("4.bias", "1.bias")) == 1);
  CHECK(nn::load_onnx_initializers(kDir + "tiny_preserve.onnx").size() == 10);
}

TEST_CASE("a PRESERVE export loads by name and reproduces PyTorch's output") {
  auto model = tiny_model();
  const nn::WeightsReport r = nn::load_weights_report(*model, kDir + "tiny_preserve.onnx");
  CHECK(r.format == "onnx");
  CHECK(r.load.ok());
  CHECK(r.load.loaded.size() == 10);  // num_batches_tracked is optional
  CHECK(r.aliased.size() == 4);
  CHECK(std::count(r.aliased.begin(), r.aliased.end(), "4.running_var = 1.running_var") == 1);
  CHECK(r.ignored.empty());
  CHECK(contains(r.str(), "10 model tensors loaded, 4 of them through Identity aliases"));

  const auto expected = as_map(nn::load_npz_tensors(kDir + "tiny_expected.npz"));
  model->eval();
  NoGradGuard no_grad;
  const Tensor y = model->forward(expected.at("x"));
  test::check_close(y, expected.at("y"), 1e-5, 1e-5);
}

TEST_CASE("Identity chains in any node order; Identity of a graph input is not a weight") {
  const nn::OnnxWeights w = nn::read_onnx_weights(kDir + "identity_edges.onnx");
  const auto got = as_map(w.tensors);
  REQUIRE(got.size() == 4);  // a, onnx::Conv_7, and the aliases b and c
  CHECK(got.at("c").to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK(got.at("b").to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK(!got.count("not_a_weight"));
  for (const auto& [out, init] : w.aliases) CHECK(init == "a");
}

TEST_CASE("load report: names that do not match, and the hint for a BatchNorm-folded export") {
  auto model = tiny_model();
  const std::string edges = kDir + "identity_edges.onnx";
  try {
    nn::load_weights(*model, edges);
    FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(contains(msg, edges));
    CHECK(contains(msg, "missing keys (10: "));
    CHECK(contains(msg, ", and 7 more)"));
    CHECK(msg.find('\n') == std::string::npos);  // one line, however many names
    CHECK(contains(msg, "0.weight"));
    CHECK(contains(msg, "training=torch.onnx.TrainingMode.PRESERVE"));
  }
  const nn::WeightsReport r = nn::load_weights_report(*model, edges, false);
  CHECK(r.load.loaded.empty());
  CHECK(r.ignored.size() == 4);
  CHECK(contains(r.str(), "4 file tensors not in the model"));
  CHECK(contains(r.str(), "onnx::Conv_7"));

  // npz: extra arrays are reported as unexpected, and the tensors still load.
  const nn::WeightsReport n = nn::load_weights_report(*model, kDir + "tiny_expected.npz", false);
  CHECK(n.format == "npz");
  CHECK(n.load.loaded.size() == 10);
  CHECK(n.load.unexpected == std::vector<std::string>{"x", "y"});
}
