// NdArray <-> Tensor conversion and weight files (see state_io.h).
#include "nn/state_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "io/npz.h"
#include "io/onnx.h"
#include "tensor/host_access.h"

namespace cyclone::nn {

Tensor tensor_from_ndarray(const io::NdArray& a, const std::string& context, bool allow_lossy) {
  if (!a.consistent()) throw std::runtime_error(context + ": array bytes do not match its shape");
  io::NdArray c = a;
  DType type = DType::f32;
  switch (a.dtype) {
    case io::DType::f32: break;
    case io::DType::f64:
      if (!allow_lossy) {
        throw std::runtime_error(context + ": float64 array, but tensors here are float32 and converting "
                                           "would lose precision (save the array as float32)");
      }
      c = io::convert(a, io::DType::f32, true);
      break;
    case io::DType::u8: type = DType::u8; break;
    case io::DType::i64: type = DType::i64; break;
    case io::DType::i32:
    case io::DType::boolean:
      c = io::convert(a, io::DType::i64);
      type = DType::i64;
      break;
  }
  Tensor t = empty(c.shape, TensorOptions(type));
  if (!c.bytes.empty()) std::memcpy(host_bytes(t).data(), c.bytes.data(), c.bytes.size());
  return t;
}

io::NdArray ndarray_from_tensor(const Tensor& t0) {
  const Tensor t = t0.detach().cpu().contiguous();
  io::NdArray a;
  a.dtype = t.dtype() == DType::f32 ? io::DType::f32 : t.dtype() == DType::i64 ? io::DType::i64 : io::DType::u8;
  a.shape = t.shape();
  a.bytes.resize(static_cast<size_t>(t.numel()) * t.element_size());
  if (!a.bytes.empty()) std::memcpy(a.bytes.data(), host_bytes(t).data(), a.bytes.size());
  return a;
}

NamedTensors load_npz_tensors(const std::string& path, bool allow_lossy) {
  NamedTensors out;
  for (const auto& [name, arr] : io::load_npz(path)) {
    out.emplace_back(name, tensor_from_ndarray(arr, path + ": '" + name + "'", allow_lossy));
  }
  return out;
}

void save_npz_tensors(const std::string& path, const NamedTensors& tensors, bool compress) {
  std::map<std::string, io::NdArray> arrays;
  for (const auto& [name, t] : tensors) arrays[name] = ndarray_from_tensor(t);
  io::save_npz(path, arrays, compress);
}

OnnxWeights read_onnx_weights(const std::string& path) {
  const io::OnnxModel model = io::load_onnx(path);
  OnnxWeights w;
  std::map<std::string, std::string> root;  // tensor name -> the initializer holding its values
  std::map<std::string, Tensor> by_name;
  for (const std::string& name : model.graph.initializer_order) {
    Tensor t = tensor_from_ndarray(model.graph.initializers.at(name), path + ": initializer '" + name + "'");
    w.tensors.emplace_back(name, t);
    by_name[name] = t;
    root[name] = name;
  }
  // Identity nodes in any order and chains of them: repeat until nothing new resolves.
  std::vector<const io::OnnxNode*> pending;
  for (const io::OnnxNode& node : model.graph.nodes) {
    const bool default_domain = node.domain.empty() || node.domain == "ai.onnx";
    if (node.op_type == "Identity" && default_domain && node.inputs.size() == 1 && node.outputs.size() == 1) {
      pending.push_back(&node);
    }
  }
  for (bool progress = true; progress;) {
    progress = false;
    for (const io::OnnxNode*& node : pending) {
      if (!node || !root.count(node->inputs[0])) continue;
      const std::string& out = node->outputs[0];
      if (!root.count(out)) {  // a name already taken (an initializer) keeps its own values
        const std::string& init = root.at(node->inputs[0]);
        root[out] = init;
        w.tensors.emplace_back(out, by_name.at(init));
        w.aliases.emplace_back(out, init);
      }
      node = nullptr;
      progress = true;
    }
  }
  return w;
}

NamedTensors load_onnx_initializers(const std::string& path) { return read_onnx_weights(path).tensors; }

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Up to `most` names, comma-separated, with a count of the rest.
std::string name_list(const std::vector<std::string>& names, size_t most = 6) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < most; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > most) s += ", ... (" + std::to_string(names.size() - most) + " more)";
  return s;
}

// A hint for the usual reason an ONNX file's names do not match: BatchNorm folded away on export.
std::string onnx_hint(const std::vector<std::string>& ignored) {
  for (const std::string& n : ignored) {
    if (n.rfind("onnx::", 0) == 0) {
      return "; hint: initializers named onnx::* come from torch.onnx.export's default training=EVAL, which folds "
             "BatchNorm into the convolutions and renames the weights; export with "
             "training=torch.onnx.TrainingMode.PRESERVE (tools/python/convert_weights.py does) or convert to .npz";
    }
  }
  return "";
}
}  // namespace

std::string WeightsReport::str() const {
  std::string s = path + " (" + format + "): " + std::to_string(load.loaded.size()) + " model tensors loaded";
  if (!aliased.empty()) s += ", " + std::to_string(aliased.size()) + " of them through Identity aliases";
  if (!ignored.empty()) s += "; " + std::to_string(ignored.size()) + " file tensors not in the model";
  if (!aliased.empty()) s += "\n  aliases: " + name_list(aliased);
  if (!ignored.empty()) s += "\n  not in the model: " + name_list(ignored);
  if (!load.ok()) s += "\n" + load.str();
  return s;
}

WeightsReport load_weights_report(Module& model, const std::string& path, bool strict) {
  WeightsReport r;
  r.path = path;
  NamedTensors state;
  std::vector<std::pair<std::string, std::string>> aliases;
  if (ends_with(path, ".npz")) {
    r.format = "npz";
    const std::map<std::string, io::NdArray> arrays = io::load_npz(path);
    const bool checkpoint = arrays.count(kCheckpointMarker) > 0;
    const std::string prefix = checkpoint ? kCheckpointModelPrefix : "";
    if (checkpoint) r.format = "checkpoint";
    for (const auto& [name, arr] : arrays) {
      if (name.rfind(prefix, 0) != 0) continue;
      state.emplace_back(name.substr(prefix.size()), tensor_from_ndarray(arr, path + ": '" + name + "'"));
    }
  } else if (ends_with(path, ".onnx")) {
    // ONNX files also hold non-weight initializers (shapes, constants); keep the model's names only.
    r.format = "onnx";
    OnnxWeights all = read_onnx_weights(path);
    aliases = std::move(all.aliases);
    std::map<std::string, bool> wanted;
    for (auto& [n, t] : model.state_dict()) wanted[n] = true;
    for (auto& kv : all.tensors) {
      if (wanted.count(kv.first)) state.push_back(kv);
      else r.ignored.push_back(kv.first);
    }
  } else {
    throw std::invalid_argument(path + ": unknown weight format (expected .npz or .onnx)");
  }
  try {
    r.load = model.load_state_dict(state, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what() + onnx_hint(r.ignored));
  }
  const std::set<std::string> loaded(r.load.loaded.begin(), r.load.loaded.end());
  for (const auto& [name, init] : aliases) {
    if (loaded.count(name)) r.aliased.push_back(name + " = " + init);
  }
  return r;
}

LoadReport load_weights(Module& model, const std::string& path, bool strict) {
  return load_weights_report(model, path, strict).load;
}

std::optional<std::string> first_non_finite(const NamedTensors& tensors) {
  for (const auto& [name, t] : tensors) {
    if (t.dtype() != DType::f32) continue;
    const std::vector<float> v = t.detach().cpu().contiguous().to_vector<float>();
    if (!std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); })) return name;
  }
  return std::nullopt;
}

void save_weights(const Module& model, const std::string& path) {
  const NamedTensors state = model.state_dict();
  if (const std::optional<std::string> bad = first_non_finite(state)) {
    throw std::runtime_error(path + ": not written: '" + *bad +
                             "' holds NaN or infinite values (an existing file is left as it was)");
  }
  save_npz_tensors(path, state, false);
}

}  // namespace cyclone::nn
