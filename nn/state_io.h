// Moving tensors and state dicts in and out of files: NdArray <-> Tensor,
// npz state dicts under PyTorch's names, and ONNX initializers mapped by name.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/ndarray.h"
#include "nn/module.h"

namespace cyclone::nn {

// float32 stays float32; int32/int64/bool/uint8 become int64 (uint8 stays uint8);
// float64 becomes float32 only with allow_lossy, else an error naming `context`.
Tensor tensor_from_ndarray(const io::NdArray& a, const std::string& context, bool allow_lossy = false);
io::NdArray ndarray_from_tensor(const Tensor& t);

NamedTensors load_npz_tensors(const std::string& path, bool allow_lossy = false);
void save_npz_tensors(const std::string& path, const NamedTensors& tensors, bool compress = false);

// The named tensors of an ONNX model: every initializer, then every Identity node whose
// input resolves (through any chain of Identity nodes) to an initializer, under the node's
// output name. torch.onnx.export writes one copy of identical initializers and names the
// others through such Identity nodes (e.g. 'layer1.0.bn2.bias' = Identity('layer1.0.bn1.bias')).
struct OnnxWeights {
  NamedTensors tensors;                                     // initializers, then aliases
  std::vector<std::pair<std::string, std::string>> aliases;  // (Identity output, initializer it names)
};
OnnxWeights read_onnx_weights(const std::string& path);

// read_onnx_weights(path).tensors: aliases share their initializer's storage.
NamedTensors load_onnx_initializers(const std::string& path);

// What load_weights matched, readable with str(): the model-side report, plus for ONNX
// the names found through Identity aliases and the initializers that name no model tensor
// (graph constants, or weights renamed by an export that folded BatchNorm).
struct WeightsReport {
  std::string path, format;                 // format: "npz", "checkpoint" or "onnx"
  LoadReport load;
  std::vector<std::string> aliased;         // "name = initializer", model tensors loaded through Identity
  std::vector<std::string> ignored;         // ONNX initializers (and aliases) not in the model
  std::string str() const;
};

// A training checkpoint (train/learner.h, Learner::save_checkpoint) is an npz marked by its
// kCheckpointMarker entry, with the model's state dict under kCheckpointModelPrefix; as
// weights, only that part of it is read.
inline constexpr const char* kCheckpointMarker = "learner/format";
inline constexpr const char* kCheckpointModelPrefix = "model/";

// Loads weights from .npz (a state dict, or a checkpoint's model part) or .onnx (by
// extension) into the model by name.
// Strict: every parameter and buffer must be present with the right shape
// (one error lists all problems, naming the file). Non-strict: returns the report.
WeightsReport load_weights_report(Module& model, const std::string& path, bool strict = true);
LoadReport load_weights(Module& model, const std::string& path, bool strict = true);  // .load of the above
// npz, written atomically, and only when every tensor is finite: a model holding a NaN or an
// infinity throws std::runtime_error naming the file and the tensor, and an existing file
// at `path` is left as it was.
void save_weights(const Module& model, const std::string& path);

// The name of the first floating-point tensor that holds a NaN or an infinity, if any.
std::optional<std::string> first_non_finite(const NamedTensors& tensors);

}  // namespace cyclone::nn
