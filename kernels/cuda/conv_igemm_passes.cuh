// The three convolution passes as implicit GEMMs for igemm_kernel
// (conv_igemm.cuh). Each Pass gives the per-group GEMM sizes m, n, k, reads
// A(m, k) and B(k, n) from the tensors (0 where a tap falls in the padding),
// and stores C(m, n). Per group g (Cg = C/groups input and Kg = K/groups
// output channels, taps T = kh*kw, tap t = (i, j)):
//   forward:      y[b][g*Kg + o][oy][ox] = sum_(c,t) w[g*Kg + o][c][t] * x[b][g*Cg + c][oy*sh - ph + i*dh][ox*sw - pw + j*dw]
//                 m = Kg, n = N*Ho*Wo (b, oy, ox), k = Cg*T (c, t)
//   input grad:   dx[b][g*Cg + c][iy][ix] = sum_(o,t) w[g*Kg + o][c][t] * dy[b][g*Kg + o][oy][ox],
//                 where oy*sh = iy + ph - i*dh and ox*sw = ix + pw - j*dw (taps that
//                 don't divide, or land outside dy, add nothing)
//                 m = Cg, n = N*H*W (b, iy, ix), k = Kg*T (o, t)
//   weight grad:  dw[g*Kg + o][c][t] = sum_(b,oy,ox) dy[b][g*Kg + o][oy][ox] * x[b][g*Cg + c][oy*sh - ph + i*dh][ox*sw - pw + j*dw]
//                 m = Kg, n = Cg*T (c, t), k = N*Ho*Wo (b, oy, ox): split-K, each
//                 slice writing its partial sums, which reduce_splits adds in order.
// All indices are int: the launcher only takes tensors of under 2^31 elements.
#pragma once

namespace cyclone::kernels::cuda::igemm {

// The geometry every pass reads, in int.
struct Geometry {
  int n, c, h, w, k, ho, wo, kh, kw, sh, sw, ph, pw, dh, dw, cg, kg, taps;
};

struct ForwardPass {
  static constexpr bool kAAlongK = true;   // w rows are contiguous in (c, t)
  static constexpr bool kBAlongK = false;  // x is contiguous along output pixels (stride 1)
  Geometry g;
  int m, n, k;
  const float* x;
  const float* w;
  float* y;

  struct AFixed { int offset; };
  struct BFixed { int base, iy0, ix0; };
  __device__ AFixed a_fixed(int group, int o) const { return {(group * g.kg + o) * k}; }
  __device__ float a(const AFixed& f, int kk) const { return w[f.offset + kk]; }
  __device__ BFixed b_fixed(int group, int p) const {
    const int hw = g.ho * g.wo, b = p / hw, pix = p - b * hw, oy = pix / g.wo, ox = pix - oy * g.wo;
    return {(b * g.c + group * g.cg) * g.h * g.w, oy * g.sh - g.ph, ox * g.sw - g.pw};
  }
  __device__ float b(const BFixed& f, int kk) const {
    const int c = kk / g.taps, t = kk - c * g.taps, i = t / g.kw, j = t - i * g.kw;
    const int iy = f.iy0 + i * g.dh, ix = f.ix0 + j * g.dw;
    return (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) ? x[f.base + (c * g.h + iy) * g.w + ix] : 0.f;
  }
  __device__ void store(int group, int, int o, int p, float v) const {
    const int hw = g.ho * g.wo, b = p / hw, pix = p - b * hw;
    y[(b * g.k + group * g.kg + o) * hw + pix] = v;
  }
};

struct InputGradPass {
  static constexpr bool kAAlongK = true;   // w[o][c][t] for consecutive t
  static constexpr bool kBAlongK = false;  // dy is contiguous along input pixels (stride 1)
  Geometry g;
  int m, n, k;
  const float* dy;
  const float* w;
  float* dx;

  struct AFixed { int offset; };
  struct BFixed { int base, ty0, tx0; };
  __device__ AFixed a_fixed(int group, int c) const { return {group * g.kg * g.cg * g.taps + c * g.taps}; }
  __device__ float a(const AFixed& f, int kk) const {
    const int o = kk / g.taps, t = kk - o * g.taps;
    return w[f.offset + o * g.cg * g.taps + t];
  }
  __device__ BFixed b_fixed(int group, int p) const {
    const int hw = g.h * g.w, b = p / hw, pix = p - b * hw, iy = pix / g.w, ix = pix - iy * g.w;
    return {(b * g.k + group * g.kg) * g.ho * g.wo, iy + g.ph, ix + g.pw};
  }
  __device__ float b(const BFixed& f, int kk) const {
    const int o = kk / g.taps, t = kk - o * g.taps, i = t / g.kw, j = t - i * g.kw;
    const int ty = f.ty0 - i * g.dh, tx = f.tx0 - j * g.dw;
    if (ty < 0 || tx < 0) return 0.f;
    const int oy = ty / g.sh, ox = tx / g.sw;
    if (oy * g.sh != ty || ox * g.sw != tx || oy >= g.ho || ox >= g.wo) return 0.f;
    return dy[f.base + (o * g.ho + oy) * g.wo + ox];
  }
  __device__ void store(int group, int, int c, int p, float v) const {
    const int hw = g.h * g.w, b = p / hw, pix = p - b * hw;
    dx[(b * g.c + group * g.cg + c) * hw + pix] = v;
  }
};

struct WeightGradPass {
  static constexpr bool kAAlongK = true;  // dy is contiguous along output pixels
  static constexpr bool kBAlongK = true;  // so is x (stride 1)
  Geometry g;
  int m, n, k;
  int splits;
  const float* x;
  const float* dy;
  float* out;  // dw when splits == 1, else the partials [groups][splits][Kg][n]

  struct AFixed { int offset; };
  struct BFixed { int base, dy0, dx0; };
  __device__ AFixed a_fixed(int group, int o) const { return {(group * g.kg + o) * g.ho * g.wo}; }
  __device__ float a(const AFixed& f, int p) const {
    const int hw = g.ho * g.wo, b = p / hw, pix = p - b * hw;
    return dy[f.offset + b * g.k * hw + pix];
  }
  __device__ BFixed b_fixed(int group, int q) const {
    const int c = q / g.taps, t = q - c * g.taps, i = t / g.kw, j = t - i * g.kw;
    return {(group * g.cg + c) * g.h * g.w, i * g.dh - g.ph, j * g.dw - g.pw};
  }
  __device__ float b(const BFixed& f, int p) const {
    const int hw = g.ho * g.wo, b = p / hw, pix = p - b * hw, oy = pix / g.wo, ox = pix - oy * g.wo;
    const int iy = oy * g.sh + f.dy0, ix = ox * g.sw + f.dx0;
    return (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) ? x[b * g.c * g.h * g.w + f.base + iy * g.w + ix] : 0.f;
  }
  __device__ void store(int group, int split, int o, int q, float v) const {
    out[((group * splits + split) * m + o) * n + q] = v;
  }
};

}  // namespace cyclone::kernels::cuda::igemm
