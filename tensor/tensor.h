// Tensor: a strided view (shape, strides, offset) of a Storage on one device,
// plus the autograd metadata that links it into the graph. Copying a Tensor
// copies a handle; views share storage and change only metadata.
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/storage.h"

namespace cyclone {

using Shape = std::vector<int64_t>;
class Node;
class Tensor;

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = kCPU;
  bool requires_grad = false;
  TensorOptions() = default;
  TensorOptions(DType t) : dtype(t) {}    // NOLINT: implicit on purpose, zeros(s, DType::i64)
  TensorOptions(Device d) : device(d) {}  // NOLINT: zeros(s, kCUDA)
  TensorOptions& with(DType t) { dtype = t; return *this; }
  TensorOptions& on(Device d) { device = d; return *this; }
  TensorOptions& grad(bool r = true) { requires_grad = r; return *this; }
};

struct AutogradMeta;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  int64_t offset = 0;
  DType dtype = DType::f32;
  Device device;
  std::unique_ptr<AutogradMeta> autograd;  // created on first use
  ~TensorImpl();
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  int64_t offset() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  bool is_cuda() const { return device().is_cuda(); }
  size_t element_size() const { return dtype_size(dtype()); }
  const std::shared_ptr<Storage>& storage() const;
  void* raw_data() const;  // address of the first element
  template <class T> T* data() const;  // checks the dtype
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- views (differentiable, share storage) ----
  Tensor view(const Shape& shape) const;     // requires compatible strides; -1 infers one dim
  Tensor reshape(const Shape& shape) const;  // view if possible, else copy
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;  // Python semantics
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const { return slice(dim, start, start + length); }
  Tensor expand(const Shape& shape) const;  // -1 keeps a dim
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor flip(int64_t dim) const;  // reversed along dim: a view with a negative stride

  // ---- copies ----
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;
  Tensor to(Device device) const;  // explicit device crossing; differentiable
  Tensor to(DType dtype) const;    // cast (not differentiable for integer targets)
  Tensor cpu() const { return to(kCPU); }
  Tensor cuda(int index = 0) const { return to(Device(Device::Type::CUDA, index)); }

  // ---- host access (these synchronise with the device when the data is on CUDA) ----
  template <class T = float> T item() const;
  template <class T = float> std::vector<T> to_vector() const;

  // ---- in-place (not recorded by autograd; for initialisation and optimizers) ----
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const { return fill_(0.0); }
  const Tensor& copy_(const Tensor& src) const;  // same shape (or broadcastable), any devices/dtypes

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // leaves only
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward pass reaches this leaf
  void set_grad(const Tensor& g);
  std::shared_ptr<Node> grad_fn() const;
  Tensor detach() const;  // same storage, cut from the graph
  // Backpropagate from this tensor. A scalar may omit grad (it defaults to 1).
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  std::string str() const;  // PyTorch-style printing

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string shape_str(const Shape& s);  // "[2, 3, 4]"
// The numpy/PyTorch broadcast of two shapes, or an error naming `context` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& context);

// ---- factories ----
Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, double value, TensorOptions opts = {});
Tensor arange(double start, double end, double step = 1.0, TensorOptions opts = {});
Tensor rand(const Shape& shape, TensorOptions opts = {});   // U[0,1) from the default generator
Tensor randn(const Shape& shape, TensorOptions opts = {});  // N(0,1) from the default generator
Tensor from_vector(const std::vector<float>& v, const Shape& shape, TensorOptions opts = {});
Tensor from_vector(const std::vector<int64_t>& v, const Shape& shape, TensorOptions opts = DType::i64);
Tensor from_vector(const std::vector<uint8_t>& v, const Shape& shape, TensorOptions opts = DType::u8);
Tensor scalar_tensor(double v, TensorOptions opts = {});
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);

int64_t numel_of(const Shape& s);
Shape contiguous_strides(const Shape& s);
// True when (shape, strides) is dense row-major (size-1 dims may have any stride).
bool is_dense_layout(const Shape& shape, const Shape& strides);
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);  // negative -> positive, checked

}  // namespace cyclone
