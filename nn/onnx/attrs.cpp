// Attribute readers and the import-time attribute checks of the ONNX importer (see attrs.h).
#include "nn/onnx/attrs.h"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "nn/onnx/attr_reading.h"

namespace cyclone::nn::onnx {

namespace {

// Conv takes 1-D and 2-D; the pools any number of spatial axes.
constexpr size_t kConvAxes = 2, kAnyAxes = 0;

// Ints attribute `name` with `per_axis` values per spatial axis (2 for pads), each at least
// `min`, for 1 to `max_axes` axes (kAnyAxes: no limit); empty when absent.
std::vector<int64_t> axes_attr(const io::OnnxNode& n, const std::string& name, int64_t min, size_t per_axis,
                               size_t max_axes) {
  const io::OnnxAttribute* a = n.attribute(name);
  if (!a) return {};
  const std::vector<int64_t> v = a->as_ints();
  const size_t axes = v.size() / per_axis;
  if (v.empty() || v.size() % per_axis != 0 || (max_axes != kAnyAxes && axes > max_axes)) {
    const std::string each = per_axis == 1 ? "one value" : std::to_string(per_axis) + " values";
    bad(name, list_str(v),
        max_axes == kConvAxes ? each + " per spatial axis: only 1-D and 2-D convolution is supported"
                              : each + " per spatial axis");
  }
  for (int64_t x : v) {
    if (x < min) bad(name, list_str(v), "values >= " + std::to_string(min));
  }
  return v;
}

// The window attributes that are present must agree on the number of spatial axes.
void check_axes_agree(const io::OnnxNode& n) {
  std::string listed;
  size_t axes = 0;
  bool differ = false;
  for (const char* name : {"kernel_shape", "strides", "dilations", "pads"}) {
    const io::OnnxAttribute* a = n.attribute(name);
    if (!a) continue;
    const size_t k = a->as_ints().size() / (std::string(name) == "pads" ? 2 : 1);
    if (listed.empty()) axes = k;
    differ = differ || k != axes;
    listed += (listed.empty() ? "" : ", ") + std::string(name) + " " + list_str(a->as_ints());
  }
  if (differ) throw std::invalid_argument("attributes " + listed + " give different numbers of spatial axes");
}

AutoPad auto_pad_attr(const io::OnnxNode& n) { return auto_pad_of(string_attr(n, "auto_pad", "NOTSET")); }

}  // namespace

namespace {

Readers conv_readers(const io::OnnxNode& n, WindowAttrs& a) {
  return {[&] { a.auto_pad = auto_pad_attr(n); },
          [&] { a.strides = axes_attr(n, "strides", 1, 1, kConvAxes); },
          [&] { a.dilations = axes_attr(n, "dilations", 1, 1, kConvAxes); },
          [&] { a.pads = axes_attr(n, "pads", 0, 2, kConvAxes); },
          [&] { a.kernel = axes_attr(n, "kernel_shape", 1, 1, kConvAxes); },
          [&] { check_axes_agree(n); },
          [&] {
            a.group = int_attr(n, "group", 1);
            if (a.group < 1) bad("group", std::to_string(a.group), "group >= 1");
          }};
}

Readers pool_readers(const io::OnnxNode& n, WindowAttrs& a) {
  return {
      [&] { a.auto_pad = auto_pad_attr(n); },
      [&] {
        if (!n.attribute("kernel_shape")) throw std::invalid_argument("attribute 'kernel_shape' is required");
        a.kernel = axes_attr(n, "kernel_shape", 1, 1, kAnyAxes);
      },
      [&] { a.strides = axes_attr(n, "strides", 1, 1, kAnyAxes); },
      [&] {
        a.dilations = axes_attr(n, "dilations", 1, 1, kAnyAxes);
        const bool dilated = std::any_of(a.dilations.begin(), a.dilations.end(), [](int64_t d) { return d != 1; });
        if (dilated && n.op_type == "AveragePool")
          bad("dilations", list_str(a.dilations), "only 1 on AveragePool, which has no dilations before opset 19");
      },
      [&] { a.pads = axes_attr(n, "pads", 0, 2, kAnyAxes); },
      [&] { check_axes_agree(n); },
      [&] { a.ceil_mode = int_attr(n, "ceil_mode", 0) != 0; },
      [&] { a.count_include_pad = int_attr(n, "count_include_pad", 0) != 0; },  // ONNX's default excludes padding
      [&] {
        const int64_t order = int_attr(n, "storage_order", 0);
        if (order != 0) bad("storage_order", std::to_string(order), "only 0, row-major");
      }};  // MaxPool's Indices output: ops.cpp's op_problem, like every extra output
}

Readers pad_readers(const io::OnnxNode& n, int64_t opset) {
  return {[&] {
            const io::OnnxAttribute* a = n.attribute("mode");
            const std::string mode = a ? a->as_string() : "constant";
            if (mode != "constant" && mode != "reflect" && mode != "edge")
              bad("mode", "'" + mode + "'", "constant, reflect or edge");
          },
          [&, opset] {
            if (opset < 11 && !n.attribute("pads")) throw std::invalid_argument("attribute 'pads' is required");
          }};
}

}  // namespace

WindowAttrs conv_attrs(const io::OnnxNode& n) {
  WindowAttrs a;
  for (const auto& read : conv_readers(n, a)) read();
  return a;
}

WindowAttrs pool_attrs(const io::OnnxNode& n) {
  WindowAttrs a;
  for (const auto& read : pool_readers(n, a)) read();
  return a;
}

WindowAttrs WindowAttrs::for_rank(size_t rank) const {
  WindowAttrs a = *this;
  auto fill = [rank](std::vector<int64_t>& v, const char* name, size_t per_axis, int64_t fallback) {
    if (v.empty()) v.assign(rank * per_axis, fallback);
    if (v.size() != rank * per_axis) {
      throw std::invalid_argument("attribute '" + std::string(name) + "' = " + list_str(v) +
                                  " does not fit an input with " + std::to_string(rank) + " spatial axes");
    }
  };
  if (!a.kernel.empty()) fill(a.kernel, "kernel_shape", 1, 1);
  fill(a.strides, "strides", 1, 1);
  fill(a.dilations, "dilations", 1, 1);
  fill(a.pads, "pads", 2, 0);
  return a;
}

std::vector<int64_t> resolve_pads(const WindowAttrs& attrs, const std::vector<int64_t>& in,
                                  const std::vector<int64_t>& k) {
  const size_t rank = in.size();
  const WindowAttrs a = attrs.for_rank(rank);
  if (a.auto_pad == AutoPad::notset) return a.pads;
  std::vector<int64_t> p(2 * rank, 0);
  if (a.auto_pad == AutoPad::valid) return p;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t s = a.strides[d], out = (in[d] + s - 1) / s;
    const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k[d] - 1) * a.dilations[d] + 1 - in[d]);
    const int64_t small = total / 2, large = total - small;
    p[d] = a.auto_pad == AutoPad::same_upper ? small : large;
    p[d + rank] = a.auto_pad == AutoPad::same_upper ? large : small;
  }
  return p;
}

io::OnnxDataType cast_target(const io::OnnxNode& n) {
  using T = io::OnnxDataType;
  const io::OnnxAttribute* a = n.attribute("to");
  if (!a) throw std::invalid_argument("attribute 'to' is required");
  const auto to = static_cast<T>(a->as_int());
  switch (to) {
    case T::float32:
    case T::float64:
    case T::float16:
    case T::bfloat16:
    case T::boolean:
    case T::int8:
    case T::int16:
    case T::int32:
    case T::int64:
    case T::uint8:
    case T::uint16:
    case T::uint32:
    case T::uint64:
      return to;
    default:
      bad("to", io::onnx_data_type_name(static_cast<int32_t>(to)),
          "FLOAT, DOUBLE, FLOAT16, BFLOAT16, BOOL and the integer types");
  }
}

std::vector<std::string> attribute_problems(const io::OnnxNode& n, int64_t opset) {
  const std::string& op = n.op_type;
  WindowAttrs a;
  if (op == "Conv") return problems_of(conv_readers(n, a));
  if (op == "MaxPool" || op == "AveragePool") return problems_of(pool_readers(n, a));
  if (op == "Cast") return problems_of({[&] { cast_target(n); }});
  if (op == "Pad") return problems_of(pad_readers(n, opset));
  if (op == "ConvTranspose") return conv_transpose_attr_problems(n);
  if (op == "Resize" || op == "Upsample") return resize_attr_problems(n, opset);
  return {};
}

void check_pad_mode(const io::OnnxNode& n, int64_t opset) {
  for (const auto& read : pad_readers(n, opset)) read();
}

}  // namespace cyclone::nn::onnx
