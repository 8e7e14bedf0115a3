// The weight gradient of a convolution as a direct AVX-512 kernel, NCHW in:
//   dW[o][c][i][j] = sum over images b and output pixels (oy, ox) of
//                    dy[b][o][oy][ox] * x_pad[b][c][oy*s + i][ox*s + j]
// A register tile is 16 output channels (one zmm) x G input channels x the kh*kw taps
// (G*kh*kw <= 27 accumulators). Per output pixel: one load of dy's 16 channels (from dy
// transposed to pixel-major with 16x16 register transposes), G*kh*kw broadcasts of x_pad
// and as many FMAs. Images are summed in fixed chunks of kWeightChunk, then the chunks in
// order, so the result does not depend on the thread count.
#include <algorithm>
#include <vector>

#include "kernels/cpu/avx512_transpose.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scratch.h"

namespace cyclone::kernels::cpu {
namespace {

constexpr int64_t kTile = kDirectTile;
constexpr int64_t kMaxAcc = 27;

// dyt[t][16] = dy_block[o][t] for the 16 channels of one block, t < hw (a last partial group
// of pixels is loaded and stored with masks).
__attribute__((target("avx512f"))) void transpose_block(const float* dy_block, int64_t hw, float* dyt) {
  for (int64_t t = 0; t < hw; t += kTile) {
    const int64_t n = std::min(kTile, hw - t);
    const __mmask16 m = static_cast<__mmask16>(n == kTile ? 0xFFFF : (1u << n) - 1);
    __m512 r[kTile];
#pragma GCC unroll 16
    for (int o = 0; o < kTile; ++o) r[o] = _mm512_maskz_loadu_ps(m, dy_block + o * hw + t);
    transpose16x16(r);
    for (int64_t q = 0; q < n; ++q) _mm512_store_ps(dyt + (t + q) * kTile, r[q]);
  }
}

// acc_out[(g * kk + tap) * 16 + o] += the tile's sums over every output pixel of one image,
// for the G input channels from x_pad channel 0 of xp (G * kh * kw <= kMaxAcc). KH and KW are
// the kernel size when known at compile time (the accumulators then live in registers), or
// 0 to take kh and kw at run time.
template <int G, int KH, int KW>
__attribute__((target("avx512f"))) void weight_tile(const float* xp, int64_t plane, int64_t wpw, int64_t kh0,
                                                    int64_t kw0, int64_t s, int64_t oh, int64_t ow, const float* dyt,
                                                    float* acc_out) {
  const int64_t kh = KH ? KH : kh0, kw = KW ? KW : kw0, n = G * kh * kw;
  __m512 acc[kMaxAcc];
#pragma GCC unroll 27
  for (int64_t a = 0; a < n; ++a) acc[a] = _mm512_setzero_ps();
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* base = xp + oy * s * wpw;
    for (int64_t ox = 0; ox < ow; ++ox, dyt += kTile, base += s) {
      const __m512 dv = _mm512_load_ps(dyt);
#pragma GCC unroll 3
      for (int g = 0; g < G; ++g) {
#pragma GCC unroll 3
        for (int64_t i = 0; i < kh; ++i) {
          const float* row = base + g * plane + i * wpw;
#pragma GCC unroll 3
          for (int64_t j = 0; j < kw; ++j) {
            __m512& a = acc[(g * kh + i) * kw + j];
            a = _mm512_fmadd_ps(_mm512_set1_ps(row[j]), dv, a);
          }
        }
      }
    }
  }
#pragma GCC unroll 27
  for (int64_t a = 0; a < n; ++a) {
    float* out = acc_out + a * kTile;
    _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[a]));
  }
}

template <int G>
void weight_tiles(const float* xp, int64_t plane, int64_t wpw, const ConvGeometry& g, const float* dyt,
                  float* acc_out) {
  const int64_t oh = g.out_h(), ow = g.out_w();
  if (g.kh == 3 && g.kw == 3)
    weight_tile<G, 3, 3>(xp, plane, wpw, 3, 3, g.sh, oh, ow, dyt, acc_out);
  else if (g.kh == 1 && g.kw == 1)
    weight_tile<G, 1, 1>(xp, plane, wpw, 1, 1, g.sh, oh, ow, dyt, acc_out);
  else
    weight_tile<G, 0, 0>(xp, plane, wpw, g.kh, g.kw, g.sh, oh, ow, dyt, acc_out);
}

}  // namespace

bool conv_direct_weight_applies(const ConvGeometry& g, int64_t k, int64_t groups) {
  const int64_t hw = g.out_h() * g.out_w();
  return cpu_has_avx512() && groups == 1 && k % kTile == 0 && g.dh == 1 && g.dw == 1 && g.sh == g.sw && hw > 0 &&
         g.kh * g.kw <= kMaxAcc;
}

void conv_direct_backward_weight(const float* x, const float* dy, const ConvGeometry& g, int64_t k, float* dw) {
  const int64_t kk = g.kh * g.kw, hw = g.out_h() * g.out_w(), blocks = k / kTile;
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(3, kMaxAcc / kk));  // input channels per tile
  const int64_t wsize = k * g.c * kk, chunks = (g.n + kWeightChunk - 1) / kWeightChunk;
  const PaddedSize ps = padded_size(g);
  const int64_t plane = ps.h * ps.w;
  // partial[chunk] in blocked layout [block][c][tap][16 channels].
  std::vector<float> partial(static_cast<size_t>(chunks * wsize), 0.f);
  auto run = [&](int64_t c0, int64_t c1) {
    thread_local Scratch pad, dyt_buf;
    float* xp = pad.get(static_cast<size_t>(g.c * plane));
    float* dyt = dyt_buf.get(static_cast<size_t>(hw * kTile));
    for (int64_t ch = c0; ch < c1; ++ch) {
      float* part = partial.data() + ch * wsize;
      for (int64_t b = ch * kWeightChunk; b < std::min(g.n, (ch + 1) * kWeightChunk); ++b) {
        pad_image(x + b * g.c * g.h * g.w, g, ps, xp);
        for (int64_t ob = 0; ob < blocks; ++ob) {
          transpose_block(dy + (b * k + ob * kTile) * hw, hw, dyt);
          for (int64_t c = 0; c < g.c; c += group) {
            const int64_t n = std::min(group, g.c - c);
            float* out = part + (ob * g.c + c) * kk * kTile;
            const float* xc = xp + c * plane;
            if (n == 3)
              weight_tiles<3>(xc, plane, ps.w, g, dyt, out);
            else if (n == 2)
              weight_tiles<2>(xc, plane, ps.w, g, dyt, out);
            else
              weight_tiles<1>(xc, plane, ps.w, g, dyt, out);
          }
        }
      }
    }
  };
  if (chunks >= num_threads())
    parallel_for(chunks, 1, run);
  else
    run(0, chunks);
  // dw[o][c][tap] = sum over chunks, in order, of partial[chunk][o / 16][c][tap][o % 16].
  parallel_for(k, 1, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const int64_t ob = o / kTile, lane = o % kTile;
      for (int64_t c = 0; c < g.c; ++c) {
        for (int64_t t = 0; t < kk; ++t) {
          const int64_t at = ((ob * g.c + c) * kk + t) * kTile + lane;
          float acc = partial[static_cast<size_t>(at)];
          for (int64_t chunk = 1; chunk < chunks; ++chunk) acc += partial[static_cast<size_t>(chunk * wsize + at)];
          dw[(o * g.c + c) * kk + t] = acc;
        }
      }
    }
  });
}

}  // namespace cyclone::kernels::cpu
