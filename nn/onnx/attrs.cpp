// Attribute readers and the import-time attribute checks of the ONNX importer (see attrs.h).
#include "nn/onnx/attrs.h"

#include <functional>
#include <stdexcept>

namespace cyclone::nn::onnx {

namespace {

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

[[noreturn]] void bad(const std::string& name, const std::string& value, const std::string& supported) {
  throw std::invalid_argument("attribute '" + name + "' = " + value + " is not supported (" + supported + ")");
}

int64_t int_attr(const io::OnnxNode& n, const std::string& name, int64_t fallback) {
  const io::OnnxAttribute* a = n.attribute(name);
  return a ? a->as_int() : fallback;
}

// Two spatial values of attribute `name` (default `fallback` for both), each at least `min`.
std::vector<int64_t> pair_attr(const io::OnnxNode& n, const std::string& name, int64_t fallback, int64_t min) {
  const io::OnnxAttribute* a = n.attribute(name);
  const std::vector<int64_t> v = a ? a->as_ints() : std::vector<int64_t>{fallback, fallback};
  if (v.size() != 2) bad(name, list_str(v), "2 values: only 2-D is supported");
  for (int64_t x : v) {
    if (x < min) bad(name, list_str(v), "values >= " + std::to_string(min));
  }
  return v;
}

AutoPad auto_pad_attr(const io::OnnxNode& n) {
  const io::OnnxAttribute* a = n.attribute("auto_pad");
  const std::string s = a ? a->as_string() : "NOTSET";
  if (s == "NOTSET") return AutoPad::notset;
  if (s == "VALID") return AutoPad::valid;
  if (s == "SAME_UPPER") return AutoPad::same_upper;
  if (s == "SAME_LOWER") return AutoPad::same_lower;
  bad("auto_pad", "'" + s + "'", "NOTSET, VALID, SAME_UPPER or SAME_LOWER");
}

std::vector<int64_t> pads_attr(const io::OnnxNode& n) {
  const io::OnnxAttribute* a = n.attribute("pads");
  const std::vector<int64_t> p = a ? a->as_ints() : std::vector<int64_t>{0, 0, 0, 0};
  if (p.size() != 4) bad("pads", list_str(p), "4 values: only 2-D is supported");
  for (int64_t v : p) {
    if (v < 0) bad("pads", list_str(p), "pads >= 0");
  }
  return p;
}

// The attribute readers of one node, run one by one so that each problem is reported.
std::vector<std::string> problems_of(const std::vector<std::function<void()>>& readers) {
  std::vector<std::string> out;
  for (const auto& read : readers) {
    try {
      read();
    } catch (const std::exception& e) {
      out.push_back(e.what());
    }
  }
  return out;
}

}  // namespace

namespace {
// One reader per attribute, each storing into `a`: the ops run them all, and the import
// check runs them one by one to report every problem of a node.
using Readers = std::vector<std::function<void()>>;

Readers conv_readers(const io::OnnxNode& n, WindowAttrs& a) {
  return {[&] { a.auto_pad = auto_pad_attr(n); },
          [&] { a.strides = pair_attr(n, "strides", 1, 1); },
          [&] { a.dilations = pair_attr(n, "dilations", 1, 1); },
          [&] { a.pads = pads_attr(n); },
          [&] {
            if (n.attribute("kernel_shape")) a.kernel = pair_attr(n, "kernel_shape", 1, 1);
          },
          [&] {
            a.group = int_attr(n, "group", 1);
            if (a.group < 1) bad("group", std::to_string(a.group), "group >= 1");
          }};
}

Readers pool_readers(const io::OnnxNode& n, WindowAttrs& a) {
  return {[&] { a.auto_pad = auto_pad_attr(n); },
          [&] {
            if (!n.attribute("kernel_shape")) throw std::invalid_argument("attribute 'kernel_shape' is required");
            a.kernel = pair_attr(n, "kernel_shape", 1, 1);
          },
          [&] { a.strides = pair_attr(n, "strides", 1, 1); },
          [&] {
            a.dilations = pair_attr(n, "dilations", 1, 1);
            if (a.dilations != std::vector<int64_t>{1, 1}) bad("dilations", list_str(a.dilations), "only [1, 1]");
          },
          [&] {
            a.pads = pads_attr(n);
            if ((a.pads[0] != a.pads[2] || a.pads[1] != a.pads[3]) && int_attr(n, "ceil_mode", 0) != 0)
              bad("pads", list_str(a.pads), "symmetric pads with ceil_mode 1");
          },
          [&] { a.ceil_mode = int_attr(n, "ceil_mode", 0) != 0; },
          [&] { a.count_include_pad = int_attr(n, "count_include_pad", 0) != 0; },  // ONNX's default excludes padding
          [&] {
            const int64_t order = int_attr(n, "storage_order", 0);
            if (order != 0) bad("storage_order", std::to_string(order), "only 0");
          }};
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

std::vector<int64_t> resolve_pads(const WindowAttrs& a, const std::vector<int64_t>& in, const std::vector<int64_t>& k) {
  if (a.auto_pad == AutoPad::notset) return a.pads;
  std::vector<int64_t> p(4, 0);
  if (a.auto_pad == AutoPad::valid) return p;
  for (size_t d = 0; d < 2; ++d) {
    const int64_t s = a.strides[d], out = (in[d] + s - 1) / s;
    const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k[d] - 1) * a.dilations[d] + 1 - in[d]);
    const int64_t small = total / 2, large = total - small;
    p[d] = a.auto_pad == AutoPad::same_upper ? small : large;
    p[d + 2] = a.auto_pad == AutoPad::same_upper ? large : small;
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
