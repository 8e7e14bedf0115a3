// ONNX importer: MaxPool/AveragePool of any rank (dilations, ceil_mode, large and asymmetric
// pads), the global pools, 1-D Conv, Slice with negative steps and Gather with 2-D indices on
// run-time tensors, against PyTorch references (tests/fixtures/onnx_import/gen_onnx_pool.py),
// with gradchecks, CUDA = CPU, and the import-time errors for what stays unsupported.
#include <map>

#include "autograd/gradcheck.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "onnx_test_graphs.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;

namespace {
const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/onnx_import/";

Tensor pool_ref(const std::string& key) { return npz_fixture(kDir + "pool.npz", key); }

std::shared_ptr<nn::OnnxModel> model_of(const std::string& name) {
  return nn::import_onnx_model(kDir + "pool_" + name + ".onnx");
}

// Forward and gradients of one gen_onnx_pool.py case against PyTorch's, on `device`.
void check_case(const std::string& name, Device device = kCPU) {
  CAPTURE(name);
  auto model = model_of(name);
  model->to(device);
  Tensor x = pool_ref("x_" + name).to(device).detach();
  x.requires_grad_();
  const Tensor y = model->forward(x);
  const Tensor want = pool_ref("y_" + name);
  REQUIRE(y.shape() == want.shape());
  check_close(y.cpu(), want, 1e-5, 1e-5);
  sum(mul(y, pool_ref("g_" + name).to(device))).backward();
  check_close(x.grad().cpu(), pool_ref("dx_" + name), 1e-5, 1e-5);
  const auto params = model->named_parameters();
  if (!params.empty()) check_close(params[0].second.grad().cpu(), pool_ref("dw_" + name), 1e-4, 1e-4);
}

const char* const kPoolCases[] = {
    "maxpool_1d",           "avgpool_1d", "maxpool_2d_dilated", "maxpool_2d_ceil_pads", "avgpool_2d_big_pads",
    "avgpool_2d_ceil_incl", "maxpool_3d", "maxpool_3d_dilated", "avgpool_3d",           "avgpool_3d_incl"};

// gradcheck of a one-input imported model at the reference input of `name`.
void gradcheck_case(const std::string& name) {
  CAPTURE(name);
  auto model = model_of(name);
  Tensor x = pool_ref("x_" + name).clone().detach();
  x.requires_grad_();
  const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return model->forward(in[0]); }, {x});
  CHECK_MESSAGE(r.ok, r.report);
}

std::string import_error(const GraphBuilder& b) {
  return error_of([&] { nn::import_onnx(b.m, "p.onnx"); });
}
}  // namespace

TEST_CASE("onnx pools: 1-D, 2-D and 3-D MaxPool/AveragePool with dilations, ceil_mode and any pads equal PyTorch") {
  for (const char* name : kPoolCases) check_case(name);
}

TEST_CASE("onnx pools: GlobalMaxPool and GlobalAveragePool of rank 3 and 5 equal PyTorch") {
  for (const char* name : {"globalmaxpool_3d", "globalavgpool_1d", "globalavgpool_3d"}) check_case(name);
}

TEST_CASE("onnx Conv 1-D (strides, dilations, asymmetric pads; SAME_LOWER with groups) equals PyTorch") {
  for (const char* name : {"conv_1d", "conv_1d_same"}) check_case(name);
}

TEST_CASE("onnx Slice with negative steps and Gather with 2-D indices on tensors equal PyTorch, gradients too") {
  for (const char* name : {"slice_neg", "gather_2d"}) check_case(name);
}

TEST_CASE("onnx pools, Conv 1-D, Slice and Gather: gradcheck") {
  for (const char* name : {"maxpool_1d", "avgpool_1d", "maxpool_2d_dilated", "avgpool_2d_ceil_incl", "maxpool_3d",
                           "avgpool_3d", "globalmaxpool_3d", "conv_1d", "slice_neg", "gather_2d"})
    gradcheck_case(name);
}

TEST_CASE("onnx pools: known answers for 1-D max with dilation and ceil_mode") {
  GraphBuilder b({1, 1, 6});
  b.add(node("MaxPool", "mp", {"x"}, {"y"},
             {attr_ints("kernel_shape", {2}), attr_ints("dilations", {2}), attr_ints("strides", {2}),
              attr_int("ceil_mode", 1)}));
  // Dilated windows {0, 2}, {2, 4} and, with ceil_mode, {4, 6}: it starts inside the input, so
  // it is kept, and its cell 6 lies past the end.
  const Tensor y = nn::import_onnx(b.m, "mp")->forward(from_vector(std::vector<float>{5, 1, 3, 9, 2, 7}, {1, 1, 6}));
  CHECK(y.shape() == Shape{1, 1, 3});
  check_close(y, std::vector<float>{5, 3, 2});
}

TEST_CASE("onnx Slice: negative steps on a tensor, known answers") {
  GraphBuilder b({6});
  b.init<int64_t>("s", {1}, {4}).init<int64_t>("e", {1}, {-100}).init<int64_t>("a", {1}, {0});
  b.init<int64_t>("st", {1}, {-2});
  b.add(node("Slice", "sl", {"x", "s", "e", "a", "st"}, {"y"}));
  check_close(nn::import_onnx(b.m, "sl")->forward(arange(0, 6)), std::vector<float>{4, 2, 0});
  GraphBuilder r({6});
  r.init<int64_t>("s", {1}, {100}).init<int64_t>("e", {1}, {3}).init<int64_t>("a", {1}, {0});
  r.init<int64_t>("st", {1}, {-1});
  r.add(node("Slice", "sl", {"x", "s", "e", "a", "st"}, {"y"}));
  check_close(nn::import_onnx(r.m, "sl")->forward(arange(0, 6)), std::vector<float>{5, 4});
}

TEST_CASE("onnx Gather: indices computed at run time pick rows of a weight, which gets their gradients") {
  GraphBuilder b({2, 2});
  b.init<float>("w", {4, 2}, {0, 1, 10, 11, 20, 21, 30, 31});
  b.add(node("Cast", "ci", {"x"}, {"i"}, {attr_int("to", 7)}));  // INT64
  b.add(node("Gather", "g", {"w", "i"}, {"y"}));
  auto model = nn::import_onnx_model(b.m, "g");
  const Tensor y = model->forward(from_vector(std::vector<float>{3, 0, 3, -3}, {2, 2}));
  CHECK(y.shape() == Shape{2, 2, 2});
  check_close(y, std::vector<float>{30, 31, 0, 1, 30, 31, 10, 11});
  sum(y).backward();
  check_close(model->named_parameters()[0].second.grad(), std::vector<float>{1, 1, 1, 1, 0, 0, 2, 2});
}

TEST_CASE("onnx import: what stays unsupported is rejected at import, naming the node") {
  GraphBuilder idx({1, 1, 4, 4});
  idx.add(node("MaxPool", "mp", {"x"}, {"y", "ind"}, {attr_ints("kernel_shape", {2, 2})}));
  CHECK(import_error(idx).find("node 'mp' (MaxPool) (node #0): it asks for 2 outputs; only the first is supported "
                               "(output 'ind')") != std::string::npos);

  GraphBuilder b({1, 2, 4, 4, 4});
  b.init<float>("w", {2, 2, 1, 1, 1}, std::vector<float>(4, 1.0f));
  b.add(node("AveragePool", "ap", {"x"}, {"h"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("dilations", {2, 2})}));
  b.add(node("MaxPool", "mp", {"h"}, {"h2"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {1, 1, 1})}));
  b.add(node("Conv", "c3", {"h2", "w"}, {"y"}, {attr_ints("kernel_shape", {1, 1, 1})}));
  const std::string msg = import_error(b);
  CHECK(msg.find("unsupported attribute values (3)") != std::string::npos);
  CHECK(msg.find("node 'ap' (AveragePool) (node #0): attribute 'dilations' = [2, 2] is not supported (only 1 on "
                 "AveragePool, which has no dilations before opset 19)") != std::string::npos);
  CHECK(msg.find("node 'mp' (MaxPool) (node #1): attributes kernel_shape [2, 2], strides [1, 1, 1] give different "
                 "numbers of spatial axes") != std::string::npos);
  CHECK(msg.find("node 'c3' (Conv) (node #2): attribute 'kernel_shape' = [1, 1, 1] is not supported (one value per "
                 "spatial axis: only 1-D and 2-D convolution is supported)") != std::string::npos);
}

TEST_CASE("onnx pools: a window that does not fit the input's rank is an error naming the node") {
  GraphBuilder b({1, 1, 4, 4, 4});
  b.add(node("MaxPool", "mp", {"x"}, {"y"}, {attr_ints("kernel_shape", {2, 2})}));
  auto model = nn::import_onnx(b.m, "p.onnx");
  CHECK(error_of([&] {
          model->forward(zeros({1, 1, 4, 4, 4}));
        }) ==
        "p.onnx: node 'mp' (MaxPool): attribute 'kernel_shape' = [2, 2] does not fit an input with 3 spatial axes");
}

TEST_CASE("onnx pools, Conv 1-D, Slice and Gather: CUDA = CPU, gradients too" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const char* name : kPoolCases) check_case(name, kCUDA);
  for (const char* name : {"globalmaxpool_3d", "globalavgpool_3d", "conv_1d", "slice_neg", "gather_2d"})
    check_case(name, kCUDA);
}
