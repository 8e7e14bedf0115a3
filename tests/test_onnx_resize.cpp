// ONNX Resize, Upsample and ConvTranspose: imported one-node graphs against PyTorch and the ONNX
// reference (tests/fixtures/onnx_import/gen_onnx_resize.py), the ONNX spec's own examples, and
// gradchecks of F::conv_transpose2d, F::index_select and the imported Resize.
#include <map>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "nn/functional.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "onnx_test_graphs.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;
namespace F = cyclone::nn::functional;

namespace {
const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/onnx_import/";

const std::map<std::string, Tensor>& refs() { return npz_fixture_file(kDir + "resize.npz"); }

Tensor resize_ref(const std::string& key) { return npz_fixture(kDir + "resize.npz", key); }

// One gen_onnx_resize.py case: the forward, and where the reference has them, the gradients.
void check_case(const std::string& name) {
  CAPTURE(name);
  auto model = nn::import_onnx_model(kDir + "resize_" + name + ".onnx");
  Tensor x = resize_ref("x").clone();
  x.requires_grad_();
  const Tensor y = model->forward(x);
  const Tensor want = resize_ref("y_" + name);
  REQUIRE(y.shape() == want.shape());
  check_close(y, want, 1e-5);
  if (!refs().count("g_" + name)) return;
  sum(mul(y, resize_ref("g_" + name))).backward();
  check_close(x.grad(), resize_ref("dx_" + name), 1e-4);
  if (refs().count("dw_" + name)) {
    for (const auto& [pname, p] : model->named_parameters()) {
      if (pname == "w") check_close(p.grad(), resize_ref("dw_" + name), 1e-4);
    }
  }
}

// y = Resize(x) with the given attributes and scales (as a Constant node), opset 13.
std::shared_ptr<nn::OnnxModel> resize_model(Shape in, std::vector<float> scales, std::vector<io::OnnxAttribute> attrs) {
  GraphBuilder b(in, 13);
  const Shape s{static_cast<int64_t>(scales.size())};
  b.add(node("Constant", "k", {}, {"scales"}, {attr_tensor("value", io::NdArray::from<float>(s, scales))}));
  b.add(node("Resize", "resize", {"x", "", "scales"}, {"y"}, std::move(attrs)));
  return nn::import_onnx_model(b.m, "resize");
}
}  // namespace

TEST_CASE("onnx Resize: nearest in every rounding and coordinate mode equals PyTorch and the ONNX reference") {
  for (const char* name : {"nearest_sizes_floor", "nearest_exact_scales", "nearest_down_prefer_floor",
                           "nearest_align_corners_ceil", "nearest_tf_half_pixel"})
    check_case(name);
}

TEST_CASE("onnx Resize: linear with half_pixel, pytorch_half_pixel, align_corners and asymmetric, up and down") {
  for (const char* name : {"linear_half_pixel_sizes", "linear_pytorch_half_pixel_down", "linear_half_pixel_scales_down",
                           "linear_align_corners", "linear_asymmetric_sizes"})
    check_case(name);
}

TEST_CASE("onnx Upsample: nearest and linear (opset 9: x / scale, nearest by truncation)") {
  for (const char* name : {"upsample9_nearest", "upsample9_linear"}) check_case(name);
}

TEST_CASE("onnx ConvTranspose: strides, pads, output_padding, groups, dilations and asymmetric pads equal PyTorch") {
  for (const char* name : {"convt_stride_pad", "convt_groups_dilation", "convt_outpad_dilation", "convt_asymmetric"})
    check_case(name);
}

TEST_CASE("onnx Resize: the spec's example, linear upsampling of [[1, 2], [3, 4]] by 2 (half_pixel)") {
  const Tensor x = from_vector(std::vector<float>{1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor y = resize_model({1, 1, 2, 2}, {1, 1, 2, 2}, {attr_string("mode", "linear")})->forward(x);
  check_close(y, std::vector<float>{1.0f, 1.25f, 1.75f, 2.0f, 1.5f, 1.75f, 2.25f, 2.5f,  //
                                    2.5f, 2.75f, 3.25f, 3.5f, 3.0f, 3.25f, 3.75f, 4.0f});
}

TEST_CASE("onnx Upsample-7: the scales attribute, nearest and linear (asymmetric)") {
  io::OnnxAttribute scales;
  scales.name = "scales";
  scales.type = io::OnnxAttrType::floats;
  scales.floats = {1, 1, 2, 2};
  const Tensor x = from_vector(std::vector<float>{1, 2, 3, 4}, {1, 1, 2, 2});
  for (const std::string mode : {"nearest", "linear"}) {
    CAPTURE(mode);
    GraphBuilder b({1, 1, 2, 2}, 7);
    b.add(node("Upsample", "up", {"x"}, {"y"}, {scales, attr_string("mode", mode)}));
    const Tensor y = nn::import_onnx_model(b.m, "up7")->forward(x);
    REQUIRE(y.shape() == Shape{1, 1, 4, 4});
    // asymmetric: output i reads input i / 2 (nearest: its floor; linear: clamped at the edge)
    check_close(y, mode == "nearest" ? std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}
                                     : std::vector<float>{1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4});
  }
}

TEST_CASE("onnx ConvTranspose: the spec's example with output_shape (a negative total padding extends the end)") {
  // x = 0..8 as [1, 1, 3, 3], W = ones [1, 2, 3, 3], strides [3, 2], output_shape [10, 8]: the
  // output of output_padding [1, 1], whose last row and column receive nothing.
  GraphBuilder b({1, 1, 3, 3}, 13);
  b.init<float>("w", {1, 2, 3, 3}, std::vector<float>(18, 1.0f));
  b.add(node("ConvTranspose", "ct", {"x", "w"}, {"y"},
             {attr_ints("strides", {3, 2}), attr_ints("output_shape", {10, 8})}));
  std::vector<float> xs(9);
  for (int i = 0; i < 9; ++i) xs[static_cast<size_t>(i)] = static_cast<float>(i);
  const Tensor y = nn::import_onnx_model(b.m, "ct")->forward(from_vector(xs, {1, 1, 3, 3}));
  REQUIRE(y.shape() == Shape{1, 2, 10, 8});
  const std::vector<float> row0{0, 0, 1, 1, 3, 2, 2, 0}, row3{3, 3, 7, 4, 9, 5, 5, 0};
  const Tensor c0 = y.select(1, 0);
  check_close(c0.select(1, 0).select(0, 0), row0);
  check_close(c0.select(1, 3).select(0, 0), row3);
  check_close(c0.select(1, 9).select(0, 0), std::vector<float>(8, 0.0f));
}

TEST_CASE("onnx Resize: cubic and tf_crop_and_resize are import errors that name the node and the value") {
  const std::string e = error_of([] {
    resize_model({1, 1, 2, 2}, {1, 1, 2, 2},
                 {attr_string("mode", "cubic"), attr_string("coordinate_transformation_mode", "tf_crop_and_resize")});
  });
  CHECK(e.find("node 'resize' (Resize)") != std::string::npos);
  CHECK(e.find("attribute 'mode' = 'cubic' is not supported") != std::string::npos);
  CHECK(e.find("attribute 'coordinate_transformation_mode' = 'tf_crop_and_resize' is not supported") !=
        std::string::npos);
}

TEST_CASE("F::conv_transpose2d: gradcheck in x, w and b with stride, padding, output padding, dilation, groups") {
  F::ConvTranspose2dOptions o;
  o.stride_h = 2, o.stride_w = 3, o.pad_h = 1, o.pad_w = 0, o.output_pad_h = 1, o.output_pad_w = 2;
  o.dilation_h = 2, o.groups = 2;
  const auto f = [o](const std::vector<Tensor>& in) { return F::conv_transpose2d(in[0], in[1], in[2], o); };
  const auto r = gradcheck(
      f, {randn({2, 4, 3, 4}).requires_grad_(), randn({4, 3, 2, 3}).requires_grad_(), randn({6}).requires_grad_()});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("F::index_select: the gradient sums repeated and scattered picks") {
  const std::vector<int64_t> idx{2, 0, 0, 1, 2, 2, 0};
  const auto f = [idx](const std::vector<Tensor>& in) { return F::index_select(in[0], 1, idx); };
  const auto r = gradcheck(f, {randn({2, 3, 4}).requires_grad_()});
  CHECK_MESSAGE(r.ok, r.report);
  Tensor x = zeros({3});
  x.requires_grad_();
  sum(mul(F::index_select(x, 0, idx), from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7}, {7}))).backward();
  check_close(x.grad(), std::vector<float>{2 + 3 + 7, 4, 1 + 5 + 6});
}

TEST_CASE("onnx Resize: gradcheck through imported linear and nearest resizes") {
  for (const char* mode : {"linear", "nearest"}) {
    CAPTURE(mode);
    auto model =
        resize_model({1, 2, 3, 4}, {1, 1, 1.7f, 0.6f},
                     {attr_string("mode", mode), attr_string("coordinate_transformation_mode", "align_corners")});
    const auto r = gradcheck([&](const std::vector<Tensor>& in) { return model->forward(in[0]); },
                             {randn({1, 2, 3, 4}).requires_grad_()});
    CHECK_MESSAGE(r.ok, r.report);
  }
}

namespace {
// Forward and input gradient of one fixture model on CUDA, against the same on the CPU.
void check_cuda_case(const std::string& name) {
  CAPTURE(name);
  std::vector<Tensor> grads;
  std::vector<Tensor> ys;
  for (const Device dev : {kCPU, kCUDA}) {
    auto model = nn::import_onnx_model(kDir + "resize_" + name + ".onnx");
    model->to(dev);
    Tensor x = resize_ref("x").to(dev).detach();  // a leaf of its own on each device
    x.requires_grad_();
    const Tensor y = model->forward(x);
    sum(mul(y, seeded_randn(y.shape(), 7).to(dev))).backward();  // the same g on both devices
    ys.push_back(y.detach().cpu());
    grads.push_back(x.grad().cpu());
  }
  check_close(ys[1], ys[0], 1e-5, 1e-5);
  check_close(grads[1], grads[0], 1e-5, 1e-5);
}
}  // namespace

TEST_CASE("onnx Resize / Upsample / ConvTranspose: CUDA forward and gradients equal CPU" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const char* name : {"nearest_exact_scales", "linear_half_pixel_sizes", "linear_align_corners",
                           "upsample9_nearest", "convt_stride_pad", "convt_groups_dilation", "convt_asymmetric"})
    check_cuda_case(name);
}

TEST_CASE("F::conv_transpose2d and F::index_select: CUDA equals CPU, gradients too" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  F::ConvTranspose2dOptions o;
  o.stride_h = 2, o.stride_w = 3, o.pad_h = 1, o.output_pad_w = 1, o.dilation_w = 2, o.groups = 2;
  const Tensor x0 = seeded_randn({2, 4, 5, 6}, 1), w0 = seeded_randn({4, 3, 3, 2}, 2), b0 = seeded_randn({6}, 3);
  const std::vector<int64_t> idx{4, 0, 0, 1, 3, 3, 3, 5};
  std::vector<std::vector<Tensor>> got;
  for (const Device dev : {kCPU, kCUDA}) {
    Tensor x = x0.to(dev).detach(), w = w0.to(dev).detach(), b = b0.to(dev).detach();
    for (Tensor* t : {&x, &w, &b}) t->requires_grad_();
    const Tensor y = F::conv_transpose2d(x, w, b, o);
    const Tensor z = F::index_select(y, 3, idx);
    sum(mul(z, z)).backward();
    got.push_back({z.detach().cpu(), x.grad().cpu(), w.grad().cpu(), b.grad().cpu()});
  }
  for (size_t i = 0; i < got[0].size(); ++i) {
    CAPTURE(i);
    check_close(got[1][i], got[0][i], 1e-4, 1e-4);
  }
}
