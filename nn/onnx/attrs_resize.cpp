// Attribute readers and import-time checks of ConvTranspose, Resize and Upsample (see attrs.h).
#include <functional>
#include <stdexcept>

#include "nn/onnx/attr_reading.h"
#include "nn/onnx/attrs.h"

namespace cyclone::nn::onnx {
namespace {

// A list of 1 or 2 spatial values (2 or 4 with `twice`, for pads), each at least `min`; empty when absent.
std::vector<int64_t> spatial_attr(const io::OnnxNode& n, const std::string& name, int64_t min, bool twice = false) {
  const io::OnnxAttribute* a = n.attribute(name);
  if (!a) return {};
  const std::vector<int64_t> v = a->as_ints();
  const size_t per = twice ? 2 : 1;
  if (v.size() != per && v.size() != 2 * per)
    bad(name, list_str(v), twice ? "2 or 4 values: 1-D or 2-D" : "1 or 2 values: 1-D or 2-D");
  for (int64_t x : v) {
    if (x < min) bad(name, list_str(v), "values >= " + std::to_string(min));
  }
  return v;
}

Readers conv_transpose_readers(const io::OnnxNode& n, ConvTransposeAttrs& a) {
  return {[&] { a.auto_pad = auto_pad_of(string_attr(n, "auto_pad", "NOTSET")); },
          [&] { a.kernel = spatial_attr(n, "kernel_shape", 1); },
          [&] { a.strides = spatial_attr(n, "strides", 1); },
          [&] { a.dilations = spatial_attr(n, "dilations", 1); },
          [&] { a.pads = spatial_attr(n, "pads", 0, true); },
          [&] { a.output_padding = spatial_attr(n, "output_padding", 0); },
          [&] { a.output_shape = spatial_attr(n, "output_shape", 1); },
          [&] {
            a.group = int_attr(n, "group", 1);
            if (a.group < 1) bad("group", std::to_string(a.group), "group >= 1");
          }};
}

ResizeCoord coord_of(const std::string& s) {
  if (s == "half_pixel") return ResizeCoord::half_pixel;
  if (s == "pytorch_half_pixel") return ResizeCoord::pytorch_half_pixel;
  if (s == "align_corners") return ResizeCoord::align_corners;
  if (s == "asymmetric") return ResizeCoord::asymmetric;
  if (s == "tf_half_pixel_for_nearest") return ResizeCoord::tf_half_pixel_for_nearest;
  bad("coordinate_transformation_mode", "'" + s + "'",
      "half_pixel, pytorch_half_pixel, align_corners, asymmetric or tf_half_pixel_for_nearest");
}

NearestMode nearest_of(const std::string& s) {
  if (s == "round_prefer_floor") return NearestMode::round_prefer_floor;
  if (s == "round_prefer_ceil") return NearestMode::round_prefer_ceil;
  if (s == "floor") return NearestMode::floor;
  if (s == "ceil") return NearestMode::ceil;
  bad("nearest_mode", "'" + s + "'", "round_prefer_floor, round_prefer_ceil, floor or ceil");
}

// Opset 11 on, Resize has the coordinate and rounding modes; before, Resize-10 and Upsample
// map output x to x / scale and take the nearest input by truncation.
Readers resize_readers(const io::OnnxNode& n, int64_t opset, ResizeAttrs& a) {
  const bool modern = n.op_type == "Resize" && opset >= 11;
  Readers r{[&] {
    const std::string mode = string_attr(n, "mode", "nearest");
    if (mode != "nearest" && mode != "linear") bad("mode", "'" + mode + "'", "nearest or linear");
    a.linear = mode == "linear";
  }};
  if (!modern) {
    r.push_back([&] { a.coord = ResizeCoord::asymmetric, a.nearest = NearestMode::legacy; });
    if (n.op_type == "Upsample" && opset < 9) {
      r.push_back([&] {
        const io::OnnxAttribute* s = n.attribute("scales");
        if (!s) throw std::invalid_argument("attribute 'scales' is required");
        a.scales = s->as_floats();
      });
    }
    return r;
  }
  r.push_back([&] { a.coord = coord_of(string_attr(n, "coordinate_transformation_mode", "half_pixel")); });
  r.push_back([&] { a.nearest = nearest_of(string_attr(n, "nearest_mode", "round_prefer_floor")); });
  r.push_back([&] {
    if (int_attr(n, "antialias", 0) != 0) bad("antialias", std::to_string(int_attr(n, "antialias", 0)), "only 0");
  });
  r.push_back([&] {
    if (n.attribute("axes"))
      throw std::invalid_argument("attribute 'axes' is not supported (scales or sizes for every axis)");
  });
  r.push_back([&] {
    const std::string k = string_attr(n, "keep_aspect_ratio_policy", "stretch");
    if (k != "stretch") bad("keep_aspect_ratio_policy", "'" + k + "'", "only 'stretch'");
  });
  // exclude_outside changes nothing for nearest and linear (an outside neighbour repeats the edge
  // value), and extrapolation_value is only read by tf_crop_and_resize, which coord_of rejects.
  return r;
}

}  // namespace

ConvTransposeAttrs conv_transpose_attrs(const io::OnnxNode& n) {
  ConvTransposeAttrs a;
  for (const auto& read : conv_transpose_readers(n, a)) read();
  return a;
}

std::vector<std::string> conv_transpose_attr_problems(const io::OnnxNode& n) {
  ConvTransposeAttrs a;
  return problems_of(conv_transpose_readers(n, a));
}

ResizeAttrs resize_attrs(const io::OnnxNode& n, int64_t opset) {
  ResizeAttrs a;
  for (const auto& read : resize_readers(n, opset, a)) read();
  return a;
}

std::vector<std::string> resize_attr_problems(const io::OnnxNode& n, int64_t opset) {
  ResizeAttrs a;
  return problems_of(resize_readers(n, opset, a));
}

}  // namespace cyclone::nn::onnx
