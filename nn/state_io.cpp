// NdArray <-> Tensor conversion and weight files (see state_io.h).
#include "nn/state_io.h"

#include <cstring>
#include <map>
#include <stdexcept>

#include "io/npz.h"
#include "io/onnx.h"

namespace cyclone::nn {

Tensor tensor_from_ndarray(const io::NdArray& a, const std::string& context, bool allow_lossy) {
  if (!a.consistent()) throw std::runtime_error(context + ": array bytes do not match its shape");
  io::NdArray c = a;
  DType type = DType::f32;
  switch (a.dtype) {
    case io::DType::f32: break;
    case io::DType::f64:
      if (!allow_lossy) {
        throw std::runtime_error(context + ": float64 array; converting to float32 loses precision "
                                           "(pass allow_lossy to accept)");
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
  if (!c.bytes.empty()) std::memcpy(t.raw_data(), c.bytes.data(), c.bytes.size());
  return t;
}

io::NdArray ndarray_from_tensor(const Tensor& t0) {
  const Tensor t = t0.detach().cpu().contiguous();
  io::NdArray a;
  a.dtype = t.dtype() == DType::f32 ? io::DType::f32 : t.dtype() == DType::i64 ? io::DType::i64 : io::DType::u8;
  a.shape = t.shape();
  a.bytes.resize(static_cast<size_t>(t.numel()) * t.element_size());
  if (!a.bytes.empty()) std::memcpy(a.bytes.data(), t.raw_data(), a.bytes.size());
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

NamedTensors load_onnx_initializers(const std::string& path) {
  const io::OnnxModel model = io::load_onnx(path);
  NamedTensors out;
  for (const std::string& name : model.graph.initializer_order) {
    out.emplace_back(name, tensor_from_ndarray(model.graph.initializers.at(name), path + ": initializer '" + name + "'"));
  }
  return out;
}

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

LoadReport load_weights(Module& model, const std::string& path, bool strict) {
  NamedTensors state;
  if (ends_with(path, ".npz")) {
    state = load_npz_tensors(path);
  } else if (ends_with(path, ".onnx")) {
    // ONNX files also hold non-weight initializers (shapes, constants); keep the model's names only.
    NamedTensors all = load_onnx_initializers(path);
    std::map<std::string, bool> wanted;
    for (auto& [n, t] : model.state_dict()) wanted[n] = true;
    for (auto& kv : all) {
      if (wanted.count(kv.first)) state.push_back(kv);
    }
  } else {
    throw std::invalid_argument(path + ": unknown weight format (expected .npz or .onnx)");
  }
  try {
    return model.load_state_dict(state, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

void save_weights(const Module& model, const std::string& path) { save_npz_tensors(path, model.state_dict(), false); }

}  // namespace cyclone::nn
