// ONNX structural ops for the importer: Constant, Identity, Flatten, Reshape, Concat, Pad,
// Slice, Transpose, Cast, Shape, Gather, Unsqueeze, Squeeze, ConstantOfShape. Each works on
// tensors (as differentiable views/copies) and on host arrays (constant shape arithmetic).
#include <algorithm>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/cast.h"
#include "nn/onnx/ops.h"

namespace cyclone::nn::onnx {

namespace {

const Shape& shape_of(const OpContext& c, size_t i) {
  if (!c.has(i)) throw std::invalid_argument("input " + std::to_string(i) + " is required");
  if (const Tensor* t = std::get_if<Tensor>(c.inputs[i])) return t->shape();
  return std::get<HostArray>(*c.inputs[i]).shape;
}

int64_t rank_of(const OpContext& c, size_t i) { return static_cast<int64_t>(shape_of(c, i).size()); }

Value reshape_value(const OpContext& c, size_t i, const Shape& shape) {
  if (c.is_host(i)) return host_reshape(c.host(i), shape);
  return c.tensor(i).reshape(shape);
}

Value constant(const OpContext& c) {
  if (const auto* a = c.node.attribute("value")) return HostArray::from_ndarray(a->as_tensor());
  if (const auto* a = c.node.attribute("value_float")) return HostArray::of_reals({a->as_float()}, {});
  if (const auto* a = c.node.attribute("value_int")) return HostArray::of_ints({a->as_int()}, {});
  if (const auto* a = c.node.attribute("value_floats")) {
    const auto& f = a->as_floats();
    return HostArray::of_reals(std::vector<double>(f.begin(), f.end()), {static_cast<int64_t>(f.size())});
  }
  if (const auto* a = c.node.attribute("value_ints")) {
    return HostArray::of_ints(a->as_ints(), {static_cast<int64_t>(a->as_ints().size())});
  }
  throw std::invalid_argument("needs a 'value', 'value_float(s)' or 'value_int(s)' attribute");
}

Value identity(const OpContext& c) {
  if (!c.has(0)) throw std::invalid_argument("input 0 is required");
  return *c.inputs[0];
}

Value flatten(const OpContext& c) {
  const Shape& s = shape_of(c, 0);
  const int64_t r = static_cast<int64_t>(s.size());
  int64_t axis = c.attr_int("axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r)
    throw std::invalid_argument("axis " + std::to_string(c.attr_int("axis", 1)) + " is out of range for shape " +
                                shape_str(s));
  return reshape_value(c, 0,
                       {numel_of(Shape(s.begin(), s.begin() + axis)), numel_of(Shape(s.begin() + axis, s.end()))});
}

Value reshape(const OpContext& c) {
  const Shape& in = shape_of(c, 0);
  const std::vector<int64_t> spec = c.ints(1);
  const bool allow_zero = c.attr_int("allowzero", 0) != 0;
  Shape out(spec.size());
  int64_t infer = -1, known = 1;
  for (size_t d = 0; d < spec.size(); ++d) {
    if (spec[d] == 0 && !allow_zero) {
      if (d >= in.size())
        throw std::invalid_argument("shape " + shape_str(spec) + " copies dim " + std::to_string(d) + " that input " +
                                    shape_str(in) + " lacks");
      out[d] = in[d];
    } else if (spec[d] == -1) {
      if (infer >= 0) throw std::invalid_argument("shape " + shape_str(spec) + " has more than one -1");
      infer = static_cast<int64_t>(d);
      continue;
    } else if (spec[d] < 0) {
      throw std::invalid_argument("shape " + shape_str(spec) + " has a negative dim");
    } else {
      out[d] = spec[d];
    }
    known *= out[d];
  }
  const int64_t n = numel_of(in);
  if (infer >= 0) {
    if (known == 0 || n % known != 0)
      throw std::invalid_argument("cannot reshape " + shape_str(in) + " to " + shape_str(spec));
    out[infer] = n / known;
  }
  if (numel_of(out) != n) throw std::invalid_argument("cannot reshape " + shape_str(in) + " to " + shape_str(spec));
  return reshape_value(c, 0, out);
}

Value concat(const OpContext& c) {
  if (!c.has_attr("axis")) throw std::invalid_argument("attribute 'axis' is required");
  const int64_t axis = onnx_axis(c.attr_int("axis", 0), rank_of(c, 0), "axis");
  if (c.all_host()) {
    std::vector<HostArray> parts;
    for (size_t i = 0; i < c.num_inputs(); ++i) parts.push_back(c.host(i));
    return host_concat(parts, axis);
  }
  std::vector<Tensor> parts;
  for (size_t i = 0; i < c.num_inputs(); ++i) parts.push_back(c.tensor(i, true));
  return cat(parts, axis);
}

// Pads dim d of x with lo and hi values taken from x itself: the mirror image without the edge
// (reflect: for [a, b, c, d], lo 2 gives [c, b, a, ...]) or copies of the edge value (edge).
Tensor pad_from_edges(const Tensor& x, int64_t d, int64_t lo, int64_t hi, bool reflect) {
  if (lo == 0 && hi == 0) return x;
  const int64_t n = x.size(d);
  if (n == 0 || (reflect && (lo >= n || hi >= n))) {
    throw std::invalid_argument(std::string(reflect ? "reflect" : "edge") + " padding of " + std::to_string(lo) + ", " +
                                std::to_string(hi) + " on axis " + std::to_string(d) + " of " + shape_str(x.shape()) +
                                (reflect ? ": reflect needs pads below the axis size" : ": the axis is empty"));
  }
  auto edge = [&](int64_t at, int64_t count) {
    Shape s = x.shape();
    s[static_cast<size_t>(d)] = count;
    return x.slice(d, at, at + 1).expand(s);
  };
  std::vector<Tensor> parts;
  if (lo > 0) parts.push_back(reflect ? x.slice(d, 1, lo + 1).flip(d) : edge(0, lo));
  parts.push_back(x);
  if (hi > 0) parts.push_back(reflect ? x.slice(d, n - 1 - hi, n - 1).flip(d) : edge(n - 1, hi));
  return cat(parts, d);
}

// Pads in ONNX order [x1_begin, x2_begin, ..., x1_end, x2_end]: negative values crop.
Value pad(const OpContext& c) {
  check_pad_mode(c.node, c.opset);
  Tensor x = c.tensor(0, true);
  const int64_t r = x.dim();
  std::vector<int64_t> pads;
  double value = 0.0;
  if (c.opset < 11) {
    pads = c.required_ints("pads");
    value = c.attr_float("value", 0.0f);
  } else {
    pads = c.ints(1);
    if (c.has(2)) value = c.is_host(2) ? c.host(2).scalar("constant_value") : c.tensor(2).item<float>();
    if (c.has(3)) {  // axes (opset 18): pads name only these axes
      const auto axes = c.ints(3);
      if (pads.size() != 2 * axes.size()) throw std::invalid_argument("pads and axes lengths do not match");
      std::vector<int64_t> full(2 * static_cast<size_t>(r), 0);
      for (size_t i = 0; i < axes.size(); ++i) {
        const auto a = static_cast<size_t>(onnx_axis(axes[i], r, "axis"));
        full[a] = pads[i];
        full[a + static_cast<size_t>(r)] = pads[i + axes.size()];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * r) {
    throw std::invalid_argument("pads " + shape_str(pads) + " need " + std::to_string(2 * r) + " values for input " +
                                shape_str(x.shape()));
  }
  const std::string mode = c.attr_string("mode", "constant");
  std::vector<int64_t> torch_pads;  // F.pad order: last dim first, (lo, hi) pairs
  for (int64_t d = r - 1; d >= 0; --d) {
    const int64_t lo = pads[d], hi = pads[d + r];
    if (lo < 0 || hi < 0) x = x.slice(d, std::max<int64_t>(0, -lo), x.size(d) - std::max<int64_t>(0, -hi));
    torch_pads.push_back(std::max<int64_t>(0, lo));
    torch_pads.push_back(std::max<int64_t>(0, hi));
    if (mode != "constant") x = pad_from_edges(x, d, std::max<int64_t>(0, lo), std::max<int64_t>(0, hi), mode == "reflect");
  }
  return mode == "constant" ? functional::pad(x, torch_pads, value) : x;
}

// ONNX clamping of one slice bound for a dim of size n.
int64_t clamp_bound(int64_t v, int64_t n, bool positive_step, bool is_end) {
  if (v < 0) v += n;  // cannot overflow: n >= 0
  if (positive_step) return std::clamp<int64_t>(v, 0, n);
  return std::clamp<int64_t>(v, is_end ? -1 : 0, n - 1);
}

Value slice(const OpContext& c) {
  const Shape& s = shape_of(c, 0);
  const int64_t r = static_cast<int64_t>(s.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.opset < 10) {
    starts = c.required_ints("starts");
    ends = c.required_ints("ends");
    axes = c.attr_ints("axes", {});
  } else {
    starts = c.ints(1);
    ends = c.ints(2);
    if (c.has(3)) axes = c.ints(3);
    if (c.has(4)) steps = c.ints(4);
  }
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    throw std::invalid_argument("starts, ends, axes and steps differ in length");
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    axes[i] = onnx_axis(axes[i], r, "axis");
    if (steps[i] == 0) throw std::invalid_argument("step 0 on axis " + std::to_string(axes[i]));
    const int64_t n = s[axes[i]];
    starts[i] = clamp_bound(starts[i], n, steps[i] > 0, false);
    ends[i] = clamp_bound(ends[i], n, steps[i] > 0, true);
  }
  if (c.is_host(0)) return host_slice(c.host(0), starts, ends, axes, steps);
  Tensor x = c.tensor(0);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (steps[i] > 0) {
      x = x.slice(axes[i], starts[i], std::max(starts[i], ends[i]), steps[i]);
      continue;
    }
    // Element j of the flipped axis is element n - 1 - j: start > end going down becomes
    // n - 1 - start < n - 1 - end going up (end is clamped to >= -1, so this is <= n).
    const int64_t n = x.size(axes[i]), lo = n - 1 - starts[i], hi = n - 1 - ends[i];
    x = x.flip(axes[i]).slice(axes[i], lo, std::max(lo, hi), -steps[i]);
  }
  return x;
}

Value transpose(const OpContext& c) {
  const int64_t r = rank_of(c, 0);
  std::vector<int64_t> perm;
  for (int64_t d = r - 1; d >= 0; --d) perm.push_back(d);
  perm = c.attr_ints("perm", perm);
  if (static_cast<int64_t>(perm.size()) != r)
    throw std::invalid_argument("perm " + shape_str(perm) + " does not fit rank " + std::to_string(r));
  if (c.is_host(0)) return host_transpose(c.host(0), perm);
  return c.tensor(0).permute(perm);
}

// ONNX's rules for both forms are in nn/onnx/cast.cpp.
Value cast(const OpContext& c) {
  const io::OnnxDataType to = cast_target(c.node);
  if (c.is_host(0)) return host_cast_to(c.host(0), to);
  return tensor_cast_to(c.tensor(0), to);
}

Value shape_op(const OpContext& c) {
  const Shape& s = shape_of(c, 0);
  const auto r = static_cast<int64_t>(s.size());
  int64_t start = c.attr_int("start", 0), end = c.attr_int("end", r);
  start = std::clamp<int64_t>(start < 0 ? start + r : start, 0, r);
  end = std::clamp<int64_t>(end < 0 ? end + r : end, start, r);
  return HostArray::of_ints(std::vector<int64_t>(s.begin() + start, s.begin() + end), {end - start});
}

// Indices computed at run time are read to the host (a synchronising copy): Gather needs
// their values to pick the slices.
HostArray gather_indices(const OpContext& c) {
  if (c.is_host(1)) return c.host(1);
  const Tensor t = c.tensor(1);
  if (t.dtype() == DType::f32) throw std::invalid_argument("indices must be integers, got a float tensor");
  return HostArray::of_ints(t.to(DType::i64).to_vector<int64_t>(), t.shape());
}

// out[..., j1..jk, ...] = x[..., indices[j1..jk], ...] on axis: the picked slices joined
// along the axis (differentiable views and cat), then the axis reshaped to indices' shape.
Value gather(const OpContext& c) {
  const int64_t axis = onnx_axis(c.attr_int("axis", 0), rank_of(c, 0), "axis");
  const HostArray idx = gather_indices(c);
  if (c.is_host(0)) return host_gather(c.host(0), idx, axis);
  const Tensor x = c.tensor(0);
  const auto ind = idx.as_ints("indices");
  auto pick = [&](int64_t k) {
    if (k < -x.size(axis) || k >= x.size(axis))
      throw std::invalid_argument("index " + std::to_string(k) + " is out of range for " + shape_str(x.shape()));
    return k < 0 ? k + x.size(axis) : k;
  };
  if (idx.shape.empty()) return x.select(axis, pick(ind[0]));
  std::vector<Tensor> parts;
  for (int64_t k : ind) parts.push_back(x.narrow(axis, pick(k), 1));
  const Tensor picked = parts.empty() ? x.narrow(axis, 0, 0) : cat(parts, axis);
  Shape out(x.shape().begin(), x.shape().begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), x.shape().begin() + axis + 1, x.shape().end());
  return picked.reshape(out);
}

// Axes of Unsqueeze / Squeeze: an attribute before opset 13, an input from 13 on.
std::vector<int64_t> axes_of(const OpContext& c) {
  if (c.opset < 13) return c.attr_ints("axes", {});
  return c.has(1) ? c.ints(1) : std::vector<int64_t>{};
}

Value unsqueeze(const OpContext& c) {
  std::vector<int64_t> axes = axes_of(c);
  if (axes.empty()) throw std::invalid_argument("axes are required");
  const Shape& in = shape_of(c, 0);
  const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
  for (int64_t& a : axes) a = onnx_axis(a, out_rank, "axis");
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) throw std::invalid_argument("repeated axes");
  Shape out;
  size_t next_in = 0, next_axis = 0;
  for (int64_t d = 0; d < out_rank; ++d) {
    if (next_axis < axes.size() && axes[next_axis] == d)
      out.push_back(1), ++next_axis;
    else
      out.push_back(in[next_in++]);
  }
  return reshape_value(c, 0, out);
}

Value squeeze(const OpContext& c) {
  const Shape& in = shape_of(c, 0);
  std::vector<int64_t> axes = axes_of(c);
  for (int64_t& a : axes) {
    a = onnx_axis(a, static_cast<int64_t>(in.size()), "axis");
    if (in[a] != 1)
      throw std::invalid_argument("cannot squeeze axis " + std::to_string(a) + " of shape " + shape_str(in));
  }
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    const bool drop = axes.empty() ? in[d] == 1 : std::count(axes.begin(), axes.end(), int64_t(d)) > 0;
    if (!drop) out.push_back(in[d]);
  }
  return reshape_value(c, 0, out);
}

Value constant_of_shape(const OpContext& c) {
  const std::vector<int64_t> shape = c.ints(0);
  HostArray fill = HostArray::of_reals({0.0}, {1});
  if (const auto* a = c.node.attribute("value")) fill = HostArray::from_ndarray(a->as_tensor());
  if (fill.numel() != 1) throw std::invalid_argument("attribute 'value' must hold one element");
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("negative dim in shape " + shape_str(shape));
  }
  return host_take(fill, std::vector<size_t>(static_cast<size_t>(numel_of(shape)), 0), shape);
}

}  // namespace

void add_shape_ops(std::map<std::string, OpFn>& t) {
  t["Constant"] = constant;
  t["Identity"] = identity;
  t["Flatten"] = flatten;
  t["Reshape"] = reshape;
  t["Concat"] = concat;
  t["Pad"] = pad;
  t["Slice"] = slice;
  t["Transpose"] = transpose;
  t["Cast"] = cast;
  t["Shape"] = shape_op;
  t["Gather"] = gather;
  t["Unsqueeze"] = unsqueeze;
  t["Squeeze"] = squeeze;
  t["ConstantOfShape"] = constant_of_shape;
}

}  // namespace cyclone::nn::onnx
