// Tensor metadata, host access, in-place fills/copies and the factories.
#include "tensor/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"

namespace cyclone {

TensorImpl::~TensorImpl() = default;

namespace {
const TensorImpl& req(const std::shared_ptr<TensorImpl>& p) {
  if (!p) throw std::logic_error("operation on an undefined Tensor");
  return *p;
}
AutogradMeta& meta(TensorImpl* impl) {
  if (!impl->autograd) impl->autograd = std::make_unique<AutogradMeta>();
  return *impl->autograd;
}
}  // namespace

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i] > 0 ? s[i] : 1;
  }
  return st;
}

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t lim = ndim == 0 ? 1 : ndim;
  if (dim < -lim || dim >= lim) {
    throw std::out_of_range(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a " +
                            std::to_string(ndim) + "-d tensor");
  }
  return dim < 0 ? dim + lim : dim;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& context) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw std::invalid_argument(context + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                                  " cannot be broadcast together (dim " + std::to_string(i) + ")");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

const Shape& Tensor::shape() const { return req(impl_).shape; }
const Shape& Tensor::strides() const { return req(impl_).strides; }
int64_t Tensor::offset() const { return req(impl_).offset; }
DType Tensor::dtype() const { return req(impl_).dtype; }
Device Tensor::device() const { return req(impl_).device; }
const std::shared_ptr<Storage>& Tensor::storage() const { return req(impl_).storage; }
int64_t Tensor::numel() const { return numel_of(shape()); }

int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

bool is_dense_layout(const Shape& s, const Shape& st) {
  int64_t expect = 1;
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] == 1) continue;
    if (st[i] != expect) return false;
    expect *= s[i];
  }
  return true;
}

bool Tensor::is_contiguous() const { return is_dense_layout(shape(), strides()); }

void* Tensor::raw_data() const {
  const TensorImpl& t = req(impl_);
  return static_cast<char*>(t.storage->data()) + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

template <class T>
static DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  if constexpr (std::is_same_v<T, int64_t>) return DType::i64;
  return DType::u8;
}

template <class T>
T* Tensor::data() const {
  if (dtype() != dtype_of<T>()) {
    throw std::invalid_argument(std::string("data<") + dtype_name(dtype_of<T>()) + ">() on a " +
                                dtype_name(dtype()) + " tensor of shape " + shape_str(shape()));
  }
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template int64_t* Tensor::data<int64_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = detach().to(dtype_of<T>()).cpu().contiguous();
  const T* p = host.data<T>();
  return std::vector<T>(p, p + host.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

template <class T>
T Tensor::item() const {
  if (numel() != 1) {
    throw std::invalid_argument("item(): the tensor must have exactly one element, shape is " + shape_str(shape()));
  }
  return to_vector<T>()[0];
}
template float Tensor::item<float>() const;
template int64_t Tensor::item<int64_t>() const;
template uint8_t Tensor::item<uint8_t>() const;

const Tensor& Tensor::fill_(double value) const {
  dispatch::fill(*this, value);
  return *this;
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  dispatch::copy(*this, src);
  return *this;
}

// ---- autograd accessors ----
bool Tensor::requires_grad() const { return impl_ && impl_->autograd && impl_->autograd->requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  if (grad_fn()) throw std::invalid_argument("requires_grad_(): only leaf tensors can change requires_grad");
  if (on && dtype() != DType::f32) {
    throw std::invalid_argument(std::string("requires_grad_(): only float32 tensors can require grad, got ") +
                                dtype_name(dtype()));
  }
  meta(impl_.get()).requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const { return !grad_fn(); }
Tensor Tensor::grad() const { return impl_ && impl_->autograd ? impl_->autograd->grad : Tensor(); }
void Tensor::set_grad(const Tensor& g) { meta(impl_.get()).grad = g; }
std::shared_ptr<Node> Tensor::grad_fn() const {
  return impl_ && impl_->autograd ? impl_->autograd->grad_fn : nullptr;
}

Tensor Tensor::detach() const {
  const TensorImpl& t = req(impl_);
  auto out = std::make_shared<TensorImpl>();
  out->storage = t.storage;
  out->shape = t.shape;
  out->strides = t.strides;
  out->offset = t.offset;
  out->dtype = t.dtype;
  out->device = t.device;
  return Tensor(out);
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const { run_backward(*this, grad, retain_graph); }

// ---- factories ----
Tensor empty(const Shape& shape, TensorOptions opts) {
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("empty(): negative dimension in shape " + shape_str(shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  const int64_t n = numel_of(shape);
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(n) * dtype_size(opts.dtype), opts.device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = opts.dtype;
  impl->device = opts.device;
  Tensor t(impl);
  if (opts.requires_grad) t.requires_grad_(true);
  return t;
}

Tensor full(const Shape& shape, double value, TensorOptions opts) {
  const bool rg = opts.requires_grad;
  opts.requires_grad = false;
  Tensor t = empty(shape, opts);
  t.fill_(value);
  if (rg) t.requires_grad_(true);
  return t;
}
Tensor zeros(const Shape& shape, TensorOptions opts) { return full(shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return full(shape, 1.0, opts); }
Tensor scalar_tensor(double v, TensorOptions opts) { return full({}, v, opts); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), TensorOptions(t.dtype()).on(t.device())); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), TensorOptions(t.dtype()).on(t.device())); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), TensorOptions(t.dtype()).on(t.device())); }

Tensor arange(double start, double end, double step, TensorOptions opts) {
  if (step == 0 || (end - start) / step < 0) {
    throw std::invalid_argument("arange(): step " + std::to_string(step) + " does not lead from " +
                                std::to_string(start) + " to " + std::to_string(end));
  }
  const auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(start + static_cast<double>(i) * step);
  Tensor f = from_vector(v, {n}, TensorOptions().on(opts.device));
  Tensor out = opts.dtype == DType::f32 ? f : f.to(opts.dtype);
  if (opts.requires_grad) out.requires_grad_(true);
  return out;
}

Tensor rand(const Shape& shape, TensorOptions opts) {
  const bool rg = opts.requires_grad;
  opts.requires_grad = false;
  Tensor t = empty(shape, opts);
  dispatch::random_uniform(t, 0.f, 1.f);
  if (rg) t.requires_grad_(true);
  return t;
}

Tensor randn(const Shape& shape, TensorOptions opts) {
  const bool rg = opts.requires_grad;
  opts.requires_grad = false;
  Tensor t = empty(shape, opts);
  dispatch::random_normal(t, 0.f, 1.f);
  if (rg) t.requires_grad_(true);
  return t;
}

template <class T>
static Tensor from_host(const std::vector<T>& v, const Shape& shape, TensorOptions opts, DType type) {
  if (numel_of(shape) != static_cast<int64_t>(v.size())) {
    throw std::invalid_argument("from_vector(): " + std::to_string(v.size()) + " values do not fill shape " +
                                shape_str(shape));
  }
  const bool rg = opts.requires_grad;
  Tensor host = empty(shape, TensorOptions(type));
  if (!v.empty()) std::memcpy(host.raw_data(), v.data(), v.size() * sizeof(T));
  Tensor out = host;
  if (opts.dtype != type) out = out.to(opts.dtype);
  if (!opts.device.is_cpu()) out = out.to(opts.device);
  if (rg) out.requires_grad_(true);
  return out;
}

Tensor from_vector(const std::vector<float>& v, const Shape& s, TensorOptions o) { return from_host(v, s, o, DType::f32); }
Tensor from_vector(const std::vector<int64_t>& v, const Shape& s, TensorOptions o) { return from_host(v, s, o, DType::i64); }
Tensor from_vector(const std::vector<uint8_t>& v, const Shape& s, TensorOptions o) { return from_host(v, s, o, DType::u8); }

}  // namespace cyclone
