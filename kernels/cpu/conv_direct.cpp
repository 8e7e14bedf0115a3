// Direct convolution on the CPU with AVX-512, one image at a time, NCHW in and out: no
// im2col matrix and no GEMM packing. A tile is 16 output channels x 16 consecutive output
// pixels (row-major over (oy, ox)); its 16 accumulators (one zmm per pixel, 16 channels
// each) stay in registers for the whole reduction:
//   for ic, i, j:  w = W[oc0 .. oc0+16][ic][i][j]        (one aligned load, packed weights)
//                  acc[p] += x_pad[ic][oy_p*s + i][ox_p*s + j] * w   (16 broadcasts, 16 FMAs)
// then a 16x16 register transpose turns pixel-major into channel-major, and each channel's
// 16 pixels are stored contiguously. The input is copied once per image into a zero-padded
// buffer, so the inner loop has no bounds checks. Per step 1 load + 16 broadcasts + 16 FMAs,
// as the GEMM micro-kernel, with the accumulators never reloaded.
#include <algorithm>
#include <array>
#include <utility>
#include <cstring>
#include <vector>

#include "kernels/cpu/avx512_transpose.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scratch.h"

namespace cyclone::kernels::cpu {
namespace {

constexpr int64_t kTile = kDirectTile;

// Whether the tiles are pairs of 8-pixel rows (16 lanes for a width-8 output); otherwise a
// tile is up to 16 pixels of one output row, the last of each row partial.
bool two_row_tiles(int64_t out_h, int64_t out_w) { return out_w == 8 && out_h % 2 == 0; }

// One tile: 16 output channels (packed weights wp: [c][kh][kw][16]) x 16 pixels starting at
// (oy, ox0). xp: padded input [c][hp][wp_w].
__attribute__((target("avx512f"))) void tile(const float* xp, int64_t c, int64_t hp, int64_t wpw, int64_t kh, int64_t kw,
                                             int64_t s, int64_t oy, int64_t ox0, int64_t out_w, const float* wp,
                                             float* y, int64_t out_hw) {
  __m512 acc[kTile];
#pragma GCC unroll 16
  for (int p = 0; p < kTile; ++p) acc[p] = _mm512_setzero_ps();
  const bool two_rows = out_w == 8;
  const float* row0 = xp + oy * s * wpw + ox0 * s;
  const float* row1 = two_rows ? xp + (oy + 1) * s * wpw : row0 + 8 * s;  // the second 8 pixels
  const int64_t plane = hp * wpw;
  for (int64_t ic = 0; ic < c; ++ic) {
    for (int64_t i = 0; i < kh; ++i) {
      const float* r0 = row0 + ic * plane + i * wpw;
      const float* r1 = row1 + ic * plane + i * wpw;
      for (int64_t j = 0; j < kw; ++j, wp += kTile) {
        const __m512 wv = _mm512_load_ps(wp);
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(r0[p * s + j]), wv, acc[p]);
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p) acc[8 + p] = _mm512_fmadd_ps(_mm512_set1_ps(r1[p * s + j]), wv, acc[8 + p]);
      }
    }
  }
  transpose16x16(acc);  // acc[o] = channel o's 16 pixels
  float* out = y + oy * out_w + ox0;
#pragma GCC unroll 16
  for (int o = 0; o < kTile; ++o) _mm512_storeu_ps(out + o * out_hw, acc[o]);
}

// A tile of N <= 16 pixels of output row oy from ox0, for widths the 16-pixel tiles do not
// cover: the same loop over N accumulators, the unused lanes zero, and masked stores.
template <int N>
__attribute__((target("avx512f"))) void row_tile(const float* xp, int64_t c, int64_t hp, int64_t wpw, int64_t kh,
                                                 int64_t kw, int64_t s, int64_t oy, int64_t ox0, int64_t out_w,
                                                 const float* wp, float* y, int64_t out_hw) {
  __m512 acc[kTile];
#pragma GCC unroll 16
  for (int p = 0; p < kTile; ++p) acc[p] = _mm512_setzero_ps();
  const float* row0 = xp + oy * s * wpw + ox0 * s;
  const int64_t plane = hp * wpw;
  for (int64_t ic = 0; ic < c; ++ic) {
    for (int64_t i = 0; i < kh; ++i) {
      const float* r = row0 + ic * plane + i * wpw;
      for (int64_t j = 0; j < kw; ++j, wp += kTile) {
        const __m512 wv = _mm512_load_ps(wp);
#pragma GCC unroll 16
        for (int p = 0; p < N; ++p) acc[p] = _mm512_fmadd_ps(_mm512_set1_ps(r[p * s + j]), wv, acc[p]);
      }
    }
  }
  transpose16x16(acc);
  float* out = y + oy * out_w + ox0;
  const __mmask16 lanes = static_cast<__mmask16>((1u << N) - 1);
#pragma GCC unroll 16
  for (int o = 0; o < kTile; ++o) _mm512_mask_storeu_ps(out + o * out_hw, lanes, acc[o]);
}

using RowTileFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int64_t, const float*, float*, int64_t);

template <int... N>
constexpr std::array<RowTileFn, sizeof...(N)> row_tiles(std::integer_sequence<int, N...>) {
  return {row_tile<N + 1>...};
}
// row_tile<n> for n = 1 .. 16, at index n - 1.
const std::array<RowTileFn, kTile> kRowTiles = row_tiles(std::make_integer_sequence<int, kTile>{});

}  // namespace

PaddedSize padded_size(const ConvGeometry& g) {
  const int64_t oh = g.out_h(), ow = g.out_w();
  return {std::max((oh - 1) * g.sh + g.kh, g.h + 2 * g.ph), std::max(g.w + 2 * g.pw, (ow - 1) * g.sw + g.kw)};
}

void pad_image(const float* x, const ConvGeometry& g, const PaddedSize& p, float* xp) {
  std::fill(xp, xp + g.c * p.h * p.w, 0.f);
  for (int64_t ch = 0; ch < g.c; ++ch) {
    for (int64_t r = 0; r < g.h; ++r)
      std::memcpy(xp + (ch * p.h + r + g.ph) * p.w + g.pw, x + (ch * g.h + r) * g.w, static_cast<size_t>(g.w) * sizeof(float));
  }
}

bool conv_direct_applies(const ConvGeometry& g, int64_t k, int64_t groups) {
  return cpu_has_avx512() && groups == 1 && k % kTile == 0 && g.dh == 1 && g.dw == 1 && g.sh == g.sw &&
         g.out_h() > 0 && g.out_w() > 0;
}

// y[b] = conv(x[b], w) for every image, w [k][c][kh][kw]; conv_direct_applies must hold.
void conv_direct_forward(const float* x, const float* w, const ConvGeometry& g, int64_t k, float* y) {
  const int64_t kk = g.kh * g.kw, oh = g.out_h(), ow = g.out_w(), out_hw = oh * ow;
  // Packed weights: block ob, then [c][kh][kw][16 output channels].
  Scratch packed_w;
  float* wp = packed_w.get(static_cast<size_t>(k * g.c * kk));
  for (int64_t ob = 0; ob < k / kTile; ++ob)
    for (int64_t ch = 0; ch < g.c; ++ch)
      for (int64_t t = 0; t < kk; ++t)
        for (int64_t o = 0; o < kTile; ++o)
          wp[((ob * g.c + ch) * kk + t) * kTile + o] = w[((ob * kTile + o) * g.c + ch) * kk + t];
  const PaddedSize ps = padded_size(g);
  const int64_t hpad = ps.h, wpw = ps.w;
  auto run = [&](int64_t b0, int64_t b1) {
    thread_local Scratch pad;
    float* xp = pad.get(static_cast<size_t>(g.c * hpad * wpw));
    for (int64_t b = b0; b < b1; ++b) {
      pad_image(x + b * g.c * g.h * g.w, g, ps, xp);
      float* yb = y + b * k * out_hw;
      for (int64_t ob = 0; ob < k / kTile; ++ob) {
        const float* wb = wp + ob * g.c * kk * kTile;
        float* yo = yb + ob * kTile * out_hw;
        if (two_row_tiles(oh, ow)) {
          for (int64_t oy = 0; oy < oh; oy += 2) tile(xp, g.c, hpad, wpw, g.kh, g.kw, g.sh, oy, 0, ow, wb, yo, out_hw);
          continue;
        }
        for (int64_t oy = 0; oy < oh; ++oy) {
          for (int64_t ox0 = 0; ox0 < ow; ox0 += kTile) {
            const int64_t n = std::min(kTile, ow - ox0);
            if (n == kTile)
              tile(xp, g.c, hpad, wpw, g.kh, g.kw, g.sh, oy, ox0, ow, wb, yo, out_hw);
            else
              kRowTiles[static_cast<size_t>(n - 1)](xp, g.c, hpad, wpw, g.kh, g.kw, g.sh, oy, ox0, ow, wb, yo, out_hw);
          }
        }
      }
    }
  };
  if (g.n >= num_threads())
    parallel_for(g.n, 1, run);
  else
    run(0, g.n);
}

}  // namespace cyclone::kernels::cpu
