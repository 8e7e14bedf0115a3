// CPU convolution one image at a time (see conv.h). Per image and group g:
//   y_g     = W_g @ cols_g                     [K/g, Ho*Wo]
//   dcols_g = W_g^T @ dy_g,  dx = col2im(dcols)
//   dW_g   += dy_g @ cols_g^T                  (summed over images)
// A 1x1, stride-1, unpadded conv uses the image itself as cols. Where it applies, the direct
// convolution (conv_direct.cpp, ConvPath in conv.h) replaces the forward and the stride-1
// input gradient:
//   dx[c][y][x] = sum_{k,i,j} dy[k][y + p - i][x + q - j] W[k][c][i][j]
//               = sum_{k,i',j'} dy_pad[k][y + i'][x + j'] W[k][c][kh-1-i'][kw-1-j'],
// dy padded by kh-1-p rows and kw-1-q columns: a forward convolution of dy with the kernel
// flipped in both axes and its channel axes swapped.
#include "kernels/cpu/conv.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <functional>
#include <vector>

#include "kernels/contract.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scratch.h"

namespace cyclone::kernels::cpu {
namespace {

struct Dims {
  int64_t kg, ckk_g, ckk, hw_in, hw_out;
  bool pointwise;
  ConvGeometry one;  // the geometry of a single image
};

Dims dims_of(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  Dims d;
  d.kg = s.k / s.groups;
  d.ckk = g.c * g.kh * g.kw;
  d.ckk_g = d.ckk / s.groups;
  d.hw_in = g.h * g.w;
  d.hw_out = g.out_h() * g.out_w();
  d.pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  d.one = g;
  d.one.n = 1;
  return d;
}

// C[i] = op(A[i]) @ op(B[i]) + beta C[i] for each group i; op(A) is m x k, op(B) k x n,
// and the groups' blocks lie back to back.
void group_gemm(int64_t groups, int64_t m, int64_t n, int64_t k, const float* a, bool ta, const float* b, bool tb,
                float* c, float beta) {
  GemmArgs args;
  args.batch = groups;
  args.m = m; args.n = n; args.k = k;
  args.a = a; args.lda = ta ? m : k; args.stride_a = m * k; args.trans_a = ta;
  args.b = b; args.ldb = tb ? k : n; args.stride_b = k * n; args.trans_b = tb;
  args.c = c; args.ldc = n; args.stride_c = m * n;
  args.beta = beta;
  gemm(args);
}

// Runs fn(first, last, workspace) over [0, n) work items. With at least as many items
// as threads, threads take contiguous ranges and everything inside runs single-threaded;
// otherwise one range runs here and the kernels inside use the threads.
void for_each_range(int64_t n, int64_t workspace, const std::function<void(int64_t, int64_t, float*)>& fn) {
  auto run = [&](int64_t i0, int64_t i1) {
    thread_local Scratch ws;
    fn(i0, i1, ws.get(static_cast<size_t>(std::max<int64_t>(workspace, 1))));
  };
  if (n >= num_threads()) {
    parallel_for(n, 1, run);
  } else {
    run(0, n);
  }
}

ConvPath initial_conv_path() {
  const char* v = std::getenv("CYCLONE_CONV_PATH");
  return v && std::string(v) == "im2col" ? ConvPath::im2col : ConvPath::direct;
}
ConvPath g_conv_path = initial_conv_path();

// The input gradient's geometry as a forward convolution of dy (stride 1 only), or n = 0.
ConvGeometry dgrad_geometry(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  ConvGeometry back;
  back.n = 0;
  if (g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.ph > g.kh - 1 || g.pw > g.kw - 1) return back;
  back.n = g.n, back.c = s.k, back.h = g.out_h(), back.w = g.out_w();
  back.kh = g.kh, back.kw = g.kw, back.ph = g.kh - 1 - g.ph, back.pw = g.kw - 1 - g.pw;
  return back;
}

// W [k][c][kh][kw] -> W' [c][k][kh][kw] flipped in both spatial axes.
std::vector<float> flipped_transposed(const float* w, const ConvShape& s) {
  const ConvGeometry& g = s.g;
  std::vector<float> wr(static_cast<size_t>(s.k * g.c * g.kh * g.kw));
  for (int64_t k = 0; k < s.k; ++k)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          wr[static_cast<size_t>(((c * s.k + k) * g.kh + (g.kh - 1 - i)) * g.kw + (g.kw - 1 - j))] =
              w[((k * g.c + c) * g.kh + i) * g.kw + j];
  return wr;
}

}  // namespace

void set_conv_path(ConvPath path) { g_conv_path = path; }
ConvPath conv_path() { return g_conv_path; }

int64_t conv2d_workspace_size(const ConvShape&) { return 0; }

void conv2d_forward(const float* x, const float* w, const ConvShape& s, float* y, float* /*workspace*/) {
  const Dims d = dims_of(s);
  if (g_conv_path == ConvPath::direct && conv_direct_applies(s.g, s.k, s.groups)) {
    conv_direct_forward(x, w, s.g, s.k, y);
    return;
  }
  for_each_range(s.g.n, d.pointwise ? 0 : d.ckk * d.hw_out, [&](int64_t b0, int64_t b1, float* cols) {
    for (int64_t b = b0; b < b1; ++b) {
      const float* xb = x + b * s.g.c * d.hw_in;
      if (!d.pointwise) im2col(xb, d.one, cols);
      group_gemm(s.groups, d.kg, d.hw_out, d.ckk_g, w, false, d.pointwise ? xb : cols, false, y + b * s.k * d.hw_out,
                 0.f);
    }
  });
}

void conv2d_backward_input(const float* dy, const float* w, const ConvShape& s, float* dx, float* /*workspace*/) {
  const Dims d = dims_of(s);
  if (const ConvGeometry back = dgrad_geometry(s);
      g_conv_path == ConvPath::direct && back.n > 0 && conv_direct_applies(back, s.g.c, s.groups)) {
    const std::vector<float> wr = flipped_transposed(w, s);
    conv_direct_forward(dy, wr.data(), back, s.g.c, dx);
    return;
  }
  for_each_range(s.g.n, d.pointwise ? 0 : d.ckk * d.hw_out, [&](int64_t b0, int64_t b1, float* dcols) {
    for (int64_t b = b0; b < b1; ++b) {
      float* dxb = dx + b * s.g.c * d.hw_in;
      group_gemm(s.groups, d.ckk_g, d.hw_out, d.kg, w, true, dy + b * s.k * d.hw_out, false,
                 d.pointwise ? dxb : dcols, 0.f);
      if (!d.pointwise) col2im(dcols, d.one, dxb);
    }
  });
}

void conv2d_backward_weight(const float* x, const float* dy, const ConvShape& s, float* dw, float* /*workspace*/) {
  const Dims d = dims_of(s);
  if (g_conv_path == ConvPath::direct && conv_direct_weight_applies(s.g, s.k, s.groups)) {
    conv_direct_backward_weight(x, dy, s.g, s.k, dw);
    return;
  }
  const int64_t wsize = s.k * d.ckk_g, chunks = (s.g.n + kWeightChunk - 1) / kWeightChunk;
  std::vector<float> partial(static_cast<size_t>(chunks * wsize));
  for_each_range(chunks, d.pointwise ? 0 : d.ckk * d.hw_out, [&](int64_t c0, int64_t c1, float* cols) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      const int64_t b_end = std::min(s.g.n, (ch + 1) * kWeightChunk);
      for (int64_t b = ch * kWeightChunk; b < b_end; ++b) {
        const float* xb = x + b * s.g.c * d.hw_in;
        if (!d.pointwise) im2col(xb, d.one, cols);
        group_gemm(s.groups, d.kg, d.ckk_g, d.hw_out, dy + b * s.k * d.hw_out, false, d.pointwise ? xb : cols, true,
                   partial.data() + ch * wsize, b == ch * kWeightChunk ? 0.f : 1.f);
      }
    }
  });
  parallel_for(wsize, 1 << 12, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float acc = partial[static_cast<size_t>(i)];
      for (int64_t ch = 1; ch < chunks; ++ch) acc += partial[static_cast<size_t>(ch * wsize + i)];
      dw[i] = acc;
    }
  });
}

}  // namespace cyclone::kernels::cpu
