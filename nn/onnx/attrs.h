// Reading and checking ONNX node attributes: the one place that says which attribute values
// the importer supports. The ops read their attributes through it, and the Program runs the
// same checks on every node at import, so all problems are reported together before anything runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/onnx.h"

namespace cyclone::nn::onnx {

// ONNX auto_pad of Conv and the pools.
enum class AutoPad { notset, valid, same_upper, same_lower };

// The window attributes of a Conv (1-D or 2-D), MaxPool or AveragePool (any spatial rank).
// An absent strides, dilations or pads is left empty here: 1 (or 0 for pads) on every axis,
// filled in by for_rank once the input's rank is known.
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::notset;
  std::vector<int64_t> kernel;  // kernel_shape; empty when absent (Conv takes it from W)
  std::vector<int64_t> strides, dilations;
  std::vector<int64_t> pads;  // [x1_begin, x2_begin, ..., x1_end, x2_end, ...], used when NOTSET
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool
  int64_t group = 1;               // Conv

  // A copy for `rank` spatial axes with the defaults filled in; throws std::invalid_argument
  // when a given kernel_shape, strides, dilations or pads has another number of axes.
  WindowAttrs for_rank(size_t rank) const;
};

// Each reader throws std::invalid_argument naming the attribute, its value and what is supported.
WindowAttrs conv_attrs(const io::OnnxNode& n);  // 1-D and 2-D
WindowAttrs pool_attrs(const io::OnnxNode& n);  // MaxPool and AveragePool

// The [x1_begin, ..., xn_begin, x1_end, ..., xn_end] pads for input spatial sizes `in` and
// kernel `k` (n = in.size()): the explicit pads for NOTSET, zeros for VALID, and for SAME_* a
// total of max(0, (ceil(in / stride) - 1) * stride + (k - 1) * dilation + 1 - in) per axis,
// its odd unit at the end (SAME_UPPER) or at the beginning (SAME_LOWER).
std::vector<int64_t> resolve_pads(const WindowAttrs& a, const std::vector<int64_t>& in, const std::vector<int64_t>& k);

// Cast's `to`, checked against the types Cast supports.
io::OnnxDataType cast_target(const io::OnnxNode& n);

// Pad's mode (constant, reflect or edge) and, before opset 11, its required pads attribute.
void check_pad_mode(const io::OnnxNode& n, int64_t opset);

// ConvTranspose's attributes, 1-D or 2-D (lists empty when absent; the op fills the defaults
// for the input's rank). pads is [begin..., end...].
struct ConvTransposeAttrs {
  AutoPad auto_pad = AutoPad::notset;
  std::vector<int64_t> kernel, strides, dilations, pads, output_padding, output_shape;
  int64_t group = 1;
};
ConvTransposeAttrs conv_transpose_attrs(const io::OnnxNode& n);  // attrs_resize.cpp

// Resize (opset 10 and 11-17) and Upsample (7-9): the interpolation and how an output
// coordinate maps back onto the input (ONNX's coordinate_transformation_mode and nearest_mode).
enum class ResizeCoord { half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nearest };
enum class NearestMode { round_prefer_floor, round_prefer_ceil, floor, ceil, legacy };  // legacy: opset <= 10
struct ResizeAttrs {
  bool linear = false;  // else nearest
  ResizeCoord coord = ResizeCoord::half_pixel;
  NearestMode nearest = NearestMode::round_prefer_floor;
  std::vector<float> scales;  // Upsample-7's scales attribute
};
ResizeAttrs resize_attrs(const io::OnnxNode& n, int64_t opset);  // attrs_resize.cpp
std::vector<std::string> resize_attr_problems(const io::OnnxNode& n, int64_t opset);
std::vector<std::string> conv_transpose_attr_problems(const io::OnnxNode& n);

// Every unsupported attribute value of node `n` (op types without checks give none).
std::vector<std::string> attribute_problems(const io::OnnxNode& n, int64_t opset);

}  // namespace cyclone::nn::onnx
