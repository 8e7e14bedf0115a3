// CPU reference for strided copy with dtype conversion, fill, and the Philox
// random fills.
#include <cstring>

#include "kernels/contract.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/strided.h"
#include "kernels/philox.h"

namespace cyclone::kernels::cpu {
namespace {
template <class S, class D>
void copy_typed(const S* src, Layout ls, D* dst, Layout ld, int64_t n) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    if (ls.contiguous && ld.contiguous) {
      for (int64_t i = b; i < e; ++i) dst[i] = static_cast<D>(src[i]);
    } else {
      Cursor cs(ls, b), cd(ld, b);
      for (int64_t i = b; i < e; ++i, cs.next(), cd.next()) dst[cd.offset()] = static_cast<D>(src[cs.offset()]);
    }
  });
}

template <class S>
void copy_from(const S* src, Layout ls, DType dt, void* dst, Layout ld, int64_t n) {
  switch (dt) {
    case DType::f32: return copy_typed(src, ls, static_cast<float*>(dst), ld, n);
    case DType::i64: return copy_typed(src, ls, static_cast<int64_t*>(dst), ld, n);
    case DType::u8: return copy_typed(src, ls, static_cast<uint8_t*>(dst), ld, n);
  }
}
}  // namespace

void copy(DType st, const void* src, Layout ls, DType dt, void* dst, Layout ld, int64_t n) {
  if (st == dt && ls.contiguous && ld.contiguous) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(st));
    return;
  }
  switch (st) {
    case DType::f32: return copy_from(static_cast<const float*>(src), ls, dt, dst, ld, n);
    case DType::i64: return copy_from(static_cast<const int64_t*>(src), ls, dt, dst, ld, n);
    case DType::u8: return copy_from(static_cast<const uint8_t*>(src), ls, dt, dst, ld, n);
  }
}

void fill(DType t, void* dst, int64_t n, double v) {
  switch (t) {
    case DType::f32: {
      float* p = static_cast<float*>(dst);
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(v);
      break;
    }
    case DType::i64: {
      int64_t* p = static_cast<int64_t*>(dst);
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int64_t>(v);
      break;
    }
    case DType::u8: std::memset(dst, static_cast<int>(static_cast<uint8_t>(v)), static_cast<size_t>(n)); break;
  }
}

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = philox_uniform_in(seed, offset, i, lo, hi);
  });
}

void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = philox_normal_with(seed, offset, i, mean, std);
  });
}

}  // namespace cyclone::kernels::cpu
