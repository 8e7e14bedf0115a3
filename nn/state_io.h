// Moving tensors and state dicts in and out of files: NdArray <-> Tensor,
// npz state dicts under PyTorch's names, and ONNX initializers mapped by name.
#pragma once
#include <string>

#include "io/ndarray.h"
#include "nn/module.h"

namespace cyclone::nn {

// float32 stays float32; int32/int64/bool/uint8 become int64 (uint8 stays uint8);
// float64 becomes float32 only with allow_lossy, else an error naming `context`.
Tensor tensor_from_ndarray(const io::NdArray& a, const std::string& context, bool allow_lossy = false);
io::NdArray ndarray_from_tensor(const Tensor& t);

NamedTensors load_npz_tensors(const std::string& path, bool allow_lossy = false);
void save_npz_tensors(const std::string& path, const NamedTensors& tensors, bool compress = false);

// Every initializer of an ONNX model as a named tensor.
NamedTensors load_onnx_initializers(const std::string& path);

// Loads weights from .npz or .onnx (by extension) into the model by name.
// Strict: every parameter and buffer must be present with the right shape
// (one error lists all problems, naming the file). Non-strict: returns the report.
LoadReport load_weights(Module& model, const std::string& path, bool strict = true);
void save_weights(const Module& model, const std::string& path);  // npz, atomic

}  // namespace cyclone::nn
