// ONNX graph import against PyTorch 1.13 exports (tests/fixtures/onnx_import/gen_onnx_import.py):
// a small CNN with BN folded and kept, a CIFAR ResNet-8 with option-A shortcuts, an op mix at
// opset 10, the unsupported-op error; plus hand-built graphs for ordering, errors and attributes.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/models/resnet_cifar.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "onnx_test_graphs.h"
#include "optim/sgd.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;
using namespace cyclone::test;

namespace {
const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/onnx_import/";

Tensor golden(const std::string& key) { return npz_fixture(kDir + "onnx_import.npz", key); }

std::set<std::string> names_of(const nn::NamedTensors& ts) {
  std::set<std::string> s;
  for (const auto& [n, t] : ts) s.insert(n);
  return s;
}

Tensor find(const nn::NamedTensors& ts, const std::string& name) {
  for (const auto& [n, t] : ts) {
    if (n == name) return t;
  }
  throw std::runtime_error("no tensor named " + name);
}

}  // namespace

TEST_CASE("onnx_import: small CNN with BN folded into Conv (TrainingMode.EVAL, opset 9) equals PyTorch") {
  auto model = nn::import_onnx_model(kDir + "small_eval.onnx");
  model->eval();
  NoGradGuard ng;
  check_close(model->forward(golden("small_input")), golden("small_output"), 1e-4, 1e-4);
  const auto ops = model->op_types();
  CHECK(std::count(ops.begin(), ops.end(), "BatchNormalization") == 0);
  CHECK(std::count(ops.begin(), ops.end(), "Conv") == 2);
  const auto names = names_of(model->named_parameters());
  CHECK(names.count("fc.weight") == 1);
  CHECK(std::count_if(names.begin(), names.end(),
                      [](const std::string& n) { return n.rfind("onnx::Conv_", 0) == 0; }) == 4);
  CHECK(model->num_classes() == 5);
  CHECK(model->input_spec().channels == 3);
  CHECK(model->input_spec().height == 8);
}

TEST_CASE("onnx_import: small CNN with BN kept (TrainingMode.PRESERVE): names, eval, gradients, train mode") {
  auto model = nn::import_onnx_model(kDir + "small_preserve.onnx");
  const Tensor x = golden("small_input");
  CHECK(names_of(model->named_parameters()) == std::set<std::string>{"conv1.weight", "conv1.bias", "bn1.weight",
                                                                     "bn1.bias", "conv2.weight", "bn2.weight",
                                                                     "bn2.bias", "fc.weight", "fc.bias"});
  CHECK(names_of(model->named_buffers()) ==
        std::set<std::string>{"bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"});

  model->eval();
  const Tensor out = model->forward(x);
  check_close(out, golden("small_output"), 1e-4, 1e-4);
  sum(out).backward();
  const Tensor g = find(model->named_parameters(), "conv1.weight").grad();
  REQUIRE(g.defined());
  check_close(g, golden("small_grad_conv1_weight"), 1e-4, 1e-4);

  // Train mode: batch statistics, and the running stats move with PyTorch's momentum 0.1.
  model->train();
  {
    NoGradGuard ng;
    check_close(model->forward(x), golden("small_train_output"), 1e-4, 1e-4);
  }
  check_close(find(model->named_buffers(), "bn1.running_mean"), golden("small_train_bn1_running_mean"), 1e-5, 1e-4);
  check_close(find(model->named_buffers(), "bn1.running_var"), golden("small_train_bn1_running_var"), 1e-5, 1e-4);
}

TEST_CASE("onnx_import: an imported model fine-tunes with SGD") {
  auto model = nn::import_onnx_model(kDir + "small_preserve.onnx");
  model->eval();
  const Tensor x = golden("small_input");
  const Tensor labels = from_vector(std::vector<int64_t>{1, 3}, {2});
  optim::SgdOptions o;
  o.lr = 0.1;
  optim::SGD opt(model->parameters(), o);
  auto loss_now = [&] { return nn::functional::cross_entropy(model->forward(x), labels); };
  const float before = loss_now().item();
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    loss_now().backward();
    opt.step();
  }
  CHECK(loss_now().item() < before - 0.05f);
}

TEST_CASE("onnx_import: CIFAR ResNet-8 (option-A shortcuts) equals PyTorch and keeps cyclone's names") {
  auto model = nn::import_onnx_model(kDir + "resnet8.onnx");
  model->eval();
  const Tensor x = golden("resnet8_input");
  const Tensor out = model->forward(x);
  check_close(out, golden("resnet8_output"), 1e-4, 1e-4);

  // Every name of cyclone's ResNetCifar except num_batches_tracked (the exporter drops it).
  nn::ResNetCifar ref(1);
  std::set<std::string> want;
  for (const auto& [n, t] : ref.state_dict()) {
    if (n.find("num_batches_tracked") == std::string::npos) want.insert(n);
  }
  CHECK(names_of(model->state_dict()) == want);
  CHECK(names_of(model->named_buffers()).count("layer1.0.bn1.running_mean") == 1);
  // The imported weights load into the hand-written model, which then agrees.
  ref.load_state_dict(model->state_dict());
  ref.eval();
  {
    NoGradGuard ng;
    check_close(ref.forward(x), golden("resnet8_output"), 1e-4, 1e-4);
  }

  // The Slice(steps)/Pad(channel) shortcut subgraph is folded into constants and views.
  const auto ops = model->op_types();
  CHECK(std::count(ops.begin(), ops.end(), "Slice") == 4);
  CHECK(std::count(ops.begin(), ops.end(), "Pad") == 2);
  CHECK(std::count(ops.begin(), ops.end(), "ConstantOfShape") == 0);

  sum(out).backward();
  for (const char* w : {"conv1.weight", "layer2.0.conv1.weight", "layer3.0.conv2.weight", "linear.weight"}) {
    const Tensor g = find(model->named_parameters(), w).grad();
    REQUIRE_MESSAGE(g.defined(), w);
    CHECK(sum(abs(g)).item() > 0.0f);
  }

  // As a Model: body/head split at the Gemm, two layer groups.
  CHECK(model->num_classes() == 10);
  const auto groups = model->layer_groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[1].name == "head");
  CHECK(groups[1].parameters().size() == 2);
  CHECK(groups[0].parameters().size() == model->parameters().size() - 2);
  NoGradGuard ng;
  check_close(model->head(model->body(x)), golden("resnet8_output"), 1e-4, 1e-4);
  CHECK(model->body(x).shape() == Shape{2, 64});
}

TEST_CASE("onnx_import: opset-10 op mix (Slice steps, channel Pad, Sub, Mul, Concat, Reshape, MatMul) equals PyTorch") {
  auto model = nn::import_onnx_model(kDir + "ops10.onnx");
  model->eval();
  NoGradGuard ng;
  check_close(model->forward(golden("ops10_input")), golden("ops10_output"), 1e-4, 1e-4);
  CHECK(model->num_classes() == 5);  // MatMul head, no bias
}

TEST_CASE("onnx_import: view(x.size(0), -1) with a dynamic batch (Shape, Gather, Unsqueeze, Concat) equals PyTorch") {
  auto model = nn::import_onnx_model(kDir + "view_dynamic.onnx");
  model->eval();
  NoGradGuard ng;
  const Tensor x = golden("view_input");  // batch 3; the export traced batch 2
  check_close(model->forward(x), golden("view_output"), 1e-4, 1e-4);
  check_close(model->head(model->body(x)), golden("view_output"), 1e-4, 1e-4);
  const auto ops = model->op_types();
  CHECK(std::count(ops.begin(), ops.end(), "Shape") == 1);  // depends on the input: evaluated per call
}

TEST_CASE("onnx_import: unsupported ops are listed together, with node names") {
  const std::string msg = error_of([] { nn::import_onnx(kDir + "unsupported.onnx"); });
  CHECK(msg.find("unsupported ONNX ops") != std::string::npos);
  CHECK(msg.find("CumSum (node '/CumSum')") != std::string::npos);
  CHECK(msg.find("Einsum (node '/Einsum')") != std::string::npos);
  CHECK(msg.find("Conv (") == std::string::npos);  // Conv is supported
}

TEST_CASE("onnx_import: nodes out of order are sorted; cycles and undefined values are errors") {
  GraphBuilder b({1, 4});
  b.add(node("Relu", "second", {"h"}, {"y"})).add(node("Sub", "first", {"x", "c"}, {"h"}));
  b.init<float>("c", {4}, {1, 2, 3, 4});
  auto model = nn::import_onnx(b.m, "sorted");
  check_close(model->forward(from_vector(std::vector<float>{5, 1, 3, 9}, {1, 4})), std::vector<float>{4, 0, 0, 5});

  GraphBuilder cyc({1, 4});
  cyc.add(node("Relu", "a", {"z"}, {"w"}))
      .add(node("Add", "b", {"x", "w"}, {"z"}))
      .add(node("Relu", "out", {"z"}, {"y"}));
  const std::string cycle = error_of([&] { nn::import_onnx(cyc.m, "cyclic"); });
  CHECK(cycle.find("cycle") != std::string::npos);
  CHECK(cycle.find("node 'a' (Relu)") != std::string::npos);

  GraphBuilder undef({1, 4});
  undef.add(node("Add", "add", {"x", "missing"}, {"y"}));
  CHECK(error_of([&] { nn::import_onnx(undef.m, "undef"); }).find("'missing' (input of node 'add' (Add))") !=
        std::string::npos);
}

TEST_CASE("onnx_import: attribute and shape problems name the node") {
  GraphBuilder b({1, 1, 4, 4});
  b.init<float>("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  b.add(node("Conv", "conv_same", {"x", "w"}, {"y"}, {attr_string("auto_pad", "SAME_MIDDLE")}));
  const std::string msg = error_of([&] { nn::import_onnx(b.m, "m.onnx"); });
  CHECK(msg.find("m.onnx: unsupported attribute value (1): node 'conv_same' (Conv) (node #0): attribute 'auto_pad' = "
                 "'SAME_MIDDLE' is not supported (NOTSET, VALID, SAME_UPPER or SAME_LOWER)") != std::string::npos);

  GraphBuilder r({2, 6});
  r.init<int64_t>("shape", {2}, {5, -1});
  r.add(node("Reshape", "bad_reshape", {"x", "shape"}, {"y"}));
  auto model = nn::import_onnx(r.m, "r.onnx");
  CHECK(error_of([&] {
          model->forward(zeros({2, 6}));
        }) == "r.onnx: node 'bad_reshape' (Reshape): cannot reshape [2, 6] to [5, -1]");
}

TEST_CASE("onnx_import: every unsupported attribute value is reported at import, in one error") {
  GraphBuilder b({1, 1, 6, 6});
  b.init<float>("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  b.add(node("Conv", "c1", {"x", "w"}, {"h1"}, {attr_ints("strides", {1, 1, 1}), attr_int("group", 0)}));
  b.add(node("MaxPool", "p1", {"h1"}, {"h2"}, {attr_ints("kernel_shape", {2, 2}), attr_int("storage_order", 1)}));
  b.add(node("Relu", "fine", {"h2"}, {"h3"}));
  b.add(
      node("Pad", "pd", {"h3"}, {"h4"}, {attr_string("mode", "wrap"), attr_ints("pads", {0, 0, 0, 0, 0, 0, 0, 0})}));
  b.add(node("Cast", "cs", {"h4"}, {"y"}, {attr_int("to", 8)}));
  const std::string msg = error_of([&] { nn::import_onnx(b.m, "bad.onnx"); });
  CHECK(msg.rfind("bad.onnx: unsupported attribute values (5): ", 0) == 0);
  CHECK(msg.find("node 'c1' (Conv) (node #0): attribute 'strides' = [1, 1, 1] is not supported (one value per "
                 "spatial axis: only 1-D and 2-D convolution is supported)") != std::string::npos);
  CHECK(msg.find("node 'c1' (Conv) (node #0): attribute 'group' = 0 is not supported (group >= 1)") !=
        std::string::npos);
  CHECK(msg.find("node 'p1' (MaxPool) (node #1): attribute 'storage_order' = 1 is not supported (only 0, row-major)") !=
        std::string::npos);
  CHECK(msg.find("node 'pd' (Pad) (node #3): attribute 'mode' = 'wrap' is not supported (constant, reflect or edge)") !=
        std::string::npos);
  CHECK(msg.find("node 'cs' (Cast) (node #4): attribute 'to' = STRING is not supported") != std::string::npos);
  CHECK(msg.find("'fine'") == std::string::npos);

  // Unsupported ops and attribute values come in the same error.
  b.add(node("CumSum", "cumsum", {"x"}, {"unused"}));
  const std::string both = error_of([&] { nn::import_onnx(b.m, "bad.onnx"); });
  CHECK(both.find("unsupported ONNX op: CumSum (node 'cumsum')") != std::string::npos);
  CHECK(both.find("unsupported attribute values (5)") != std::string::npos);

  // The same graph with supported values imports and runs.
  GraphBuilder g({1, 1, 6, 6});
  g.init<float>("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  g.add(node("Conv", "c1", {"x", "w"}, {"h1"}, {attr_ints("strides", {1, 1})}));
  g.add(node("MaxPool", "p1", {"h1"}, {"y"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})}));
  const Tensor y = nn::import_onnx(g.m, "good.onnx")->forward(ones({1, 1, 6, 6}));
  check_close(y, std::vector<float>(4, 9.0f));
}

TEST_CASE("onnx_import: Identity of an initializer becomes its own parameter") {
  // torch.onnx.export shares equal initializers through Identity nodes (e.g. untrained BN stats).
  GraphBuilder b({2, 3}, 14);
  b.init<float>("s", {3}, {1, 1, 1}).init<float>("t", {3}, {0, 0, 0});
  b.add(node("Identity", "i0", {"s"}, {"bn.running_var"})).add(node("Identity", "i1", {"t"}, {"bn.running_mean"}));
  b.add(node("BatchNormalization", "bn", {"x", "s", "t", "bn.running_mean", "bn.running_var"}, {"y"},
             {attr_float("epsilon", 0.0f)}));
  auto model = nn::import_onnx(b.m, "ident");
  CHECK(names_of(model->named_parameters()) == std::set<std::string>{"s", "t"});
  CHECK(names_of(model->named_buffers()) == std::set<std::string>{"bn.running_mean", "bn.running_var"});
  model->eval();
  check_close(model->forward(from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})),
              std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("onnx_import: Gemm with transA, alpha and beta; Slice/Pad attribute forms (opset 9)") {
  GraphBuilder b({3, 2});
  b.init<float>("B", {3, 2}, {1, 2, 3, 4, 5, 6}).init<float>("C", {2}, {10, 20});
  b.add(node("Gemm", "g", {"x", "B", "C"}, {"y"},
             {attr_int("transA", 1), attr_float("alpha", 0.5f), attr_float("beta", 2.0f)}));
  auto gemm = nn::import_onnx_model(b.m, "gemm");
  // x^T = [[1, 3, 5], [2, 4, 6]]; x^T B = [[35, 44], [44, 56]].
  check_close(gemm->forward(from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2})),
              std::vector<float>{0.5f * 35 + 20, 0.5f * 44 + 40, 0.5f * 44 + 20, 0.5f * 56 + 40});
  CHECK_FALSE(gemm->has_head());  // transA: not a classifier
  CHECK(error_of([&] { gemm->layer_groups(); }).find("no classifier head") != std::string::npos);

  GraphBuilder s({1, 2, 5}, 9);
  s.add(node("Slice", "sl", {"x"}, {"h"},
             {attr_ints("starts", {1, -4}), attr_ints("ends", {INT64_MAX, 4}), attr_ints("axes", {1, 2})}));
  s.add(node("Pad", "pd", {"h"}, {"y"}, {attr_ints("pads", {0, 1, 0, 0, 0, 1}), attr_float("value", -1.0f)}));
  auto sp = nn::import_onnx(s.m, "slicepad");
  // x[:, 1:, 1:4] = [[6, 7, 8]], then one row of -1 before on axis 1 and one -1 column after.
  check_close(sp->forward(arange(0, 10).reshape({1, 2, 5})), std::vector<float>{-1, -1, -1, -1, 6, 7, 8, -1});
}

TEST_CASE("onnx_import: Reshape with 0 and -1, Pad from inputs with cropping (opset 13)") {
  GraphBuilder b({2, 3, 4});
  b.init<int64_t>("shape", {3}, {0, -1, 2}).init<int64_t>("pads", {6}, {0, -1, 0, 0, 1, 0});
  b.add(node("Reshape", "rs", {"x", "shape"}, {"h"})).add(node("Pad", "pd", {"h", "pads"}, {"y"}));
  auto model = nn::import_onnx(b.m, "rp");
  const Tensor y = model->forward(arange(0, 24).reshape({2, 3, 4}));
  CHECK(y.shape() == Shape{2, 6, 2});  // [2, 6, 2]: first row of axis 1 cropped, a zero row appended
  const auto v = y.to_vector<float>();
  CHECK(v[0] == 2.0f);
  CHECK(v[8] == 10.0f);
  CHECK(v[9] == 11.0f);
  CHECK(v[10] == 0.0f);
}

TEST_CASE("onnx_import: CUDA forward equals CPU" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  auto model = nn::import_onnx_model(kDir + "resnet8.onnx");
  model->eval();
  model->to(kCUDA);
  NoGradGuard ng;
  check_close(model->forward(golden("resnet8_input").to(kCUDA)).cpu(), golden("resnet8_output"), 1e-4, 1e-4);
}
