// Mobile-sized CNNs exported by torch.onnx (tests/fixtures/onnx_mobile/gen_onnx_mobile.py): a
// MobileNetV2-style and an EfficientNet-style network, in both export modes, import, run and
// match PyTorch (eval and train mode, and the gradient of the first conv), on CPU and CUDA.
#include <map>

#include "autograd/functions.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;

namespace {
const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/onnx_mobile/";

Tensor golden(const std::string& key) { return npz_fixture(kDir + "onnx_mobile.npz", key); }

Tensor param(nn::Module& m, const std::string& name) {
  for (const auto& [n, t] : m.named_parameters()) {
    if (n == name) return t;
  }
  throw std::runtime_error("no parameter " + name);
}
}  // namespace

TEST_CASE("onnx mobile nets: MobileNetV2- and EfficientNet-style blocks match PyTorch in both export modes") {
  for (const char* net : {"mbv2", "effnet"}) {
    for (const char* mode : {"eval", "preserve"}) {
      CAPTURE(net);
      CAPTURE(mode);
      auto model = nn::import_onnx_model(kDir + net + "_" + mode + ".onnx");
      model->eval();
      const Tensor x = golden(std::string(net) + "_input");
      {
        NoGradGuard ng;
        check_close(model->forward(x), golden(std::string(net) + "_output"), 1e-4, 1e-4);
        check_close(model->head(model->body(x)), golden(std::string(net) + "_output"), 1e-4, 1e-4);
      }
      CHECK(model->num_classes() == 10);
    }
  }
}

TEST_CASE("onnx mobile nets: gradients and train-mode batch statistics match PyTorch (PRESERVE export)") {
  for (const char* net : {"mbv2", "effnet"}) {
    CAPTURE(net);
    auto model = nn::import_onnx_model(kDir + std::string(net) + "_preserve.onnx");
    model->eval();
    const Tensor x = golden(std::string(net) + "_input");
    sum(model->forward(x)).backward();
    check_close(param(*model, "stem.0.weight").grad(), golden(std::string(net) + "_grad_stem_weight"), 1e-4, 1e-3);
    model->train();
    NoGradGuard ng;
    check_close(model->forward(x), golden(std::string(net) + "_train_output"), 1e-4, 1e-3);
  }
}

TEST_CASE("onnx mobile nets: CUDA equals CPU, forward and gradients" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const char* net : {"mbv2", "effnet"}) {
    CAPTURE(net);
    auto model = nn::import_onnx_model(kDir + std::string(net) + "_preserve.onnx");
    model->eval();
    const Tensor x = golden(std::string(net) + "_input");
    sum(model->forward(x)).backward();
    const Tensor grad_cpu = param(*model, "stem.0.weight").grad().clone();
    model->zero_grad();
    model->to(kCUDA);
    const Tensor y = model->forward(x.to(kCUDA));
    check_close(y.cpu(), golden(std::string(net) + "_output"), 1e-4, 1e-4);
    sum(y).backward();
    check_close(param(*model, "stem.0.weight").grad().cpu(), grad_cpu, 1e-4, 1e-3);
  }
}
