// cuDNN as the peer of bench_conv (bench code only; never linked into cyclone):
// descriptors for one 3x3 pad-1 conv, and the algorithm for each pass chosen two
// ways: "default" is the first choice of cuDNN's heuristic (cudnnGet*Algorithm_v7),
// "best" the fastest that cudnnFind*AlgorithmEx measures; each with TF32 allowed
// (tensor-op math, as PyTorch's default for cuDNN convs) or not (FMA math).
#pragma once
#include <cudnn.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "bench/model_shapes.h"

#define BENCH_CUDNN_CHECK(expr)                                                                               \
  do {                                                                                                        \
    const cudnnStatus_t st_ = (expr);                                                                         \
    if (st_ != CUDNN_STATUS_SUCCESS) {                                                                        \
      throw std::runtime_error(std::string("cuDNN error at ") + __FILE__ + ":" + std::to_string(__LINE__) + ": " + \
                               #expr + ": " + cudnnGetErrorString(st_));                                      \
    }                                                                                                         \
  } while (0)

namespace cyclone::bench {

enum class ConvPass { Forward, BackwardData, BackwardFilter };
inline const char* pass_name(ConvPass p) {
  return p == ConvPass::Forward ? "fwd" : p == ConvPass::BackwardData ? "dgrad" : "wgrad";
}

// Device buffers of one conv: y = conv(x, w); dx = conv^T(dy, w); dw = corr(x, dy).
struct ConvBuffers {
  float *x = nullptr, *w = nullptr, *y = nullptr, *dy = nullptr, *dx = nullptr, *dw = nullptr;
};

struct CudnnChoice {
  int algo = -1;
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t workspace = 0;
  std::string describe(ConvPass pass) const {
    static const char* fwd[] = {"implicit_gemm", "implicit_precomp_gemm", "gemm", "direct", "fft", "fft_tiling",
                                "winograd", "winograd_nonfused"};
    static const char* data[] = {"algo_0", "algo_1", "fft", "fft_tiling", "winograd", "winograd_nonfused"};
    static const char* filter[] = {"algo_0", "algo_1", "fft", "algo_3", "winograd", "winograd_nonfused", "fft_tiling"};
    const char* const* names = pass == ConvPass::Forward ? fwd : pass == ConvPass::BackwardData ? data : filter;
    const int count = pass == ConvPass::Forward ? 8 : pass == ConvPass::BackwardData ? 6 : 7;
    const std::string a = algo >= 0 && algo < count ? names[algo] : "algo " + std::to_string(algo);
    const char* m = math == CUDNN_TENSOR_OP_MATH ? "tensor-op"
                    : math == CUDNN_FMA_MATH     ? "fma"
                    : math == CUDNN_DEFAULT_MATH ? "default-math"
                                                 : "other-math";
    return a + "/" + m;
  }
};

class CudnnConv {
 public:
  CudnnConv(cudnnHandle_t h, const ConvLayer& l, int64_t batch) : h_(h) {
    BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_));
    BENCH_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_));
    BENCH_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_));
    BENCH_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv_));
    const int n = static_cast<int>(batch), c = static_cast<int>(l.c), k = static_cast<int>(l.k);
    BENCH_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, static_cast<int>(l.h),
                                                 static_cast<int>(l.w)));
    BENCH_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, k,
                                                 static_cast<int>(l.out_h()), static_cast<int>(l.out_w())));
    BENCH_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, 3, 3));
    const int s = static_cast<int>(l.stride);
    BENCH_CUDNN_CHECK(
        cudnnSetConvolution2dDescriptor(conv_, 1, 1, s, s, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  }
  ~CudnnConv() {
    cudnnDestroyConvolutionDescriptor(conv_);
    cudnnDestroyFilterDescriptor(w_);
    cudnnDestroyTensorDescriptor(y_);
    cudnnDestroyTensorDescriptor(x_);
  }
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // The algorithm for `pass`: the heuristic's first choice, or (find) the fastest measured
  // one, using at most ws_bytes of workspace. Find writes the pass's output buffer.
  CudnnChoice choose(ConvPass pass, bool find, bool tf32, const ConvBuffers& b, void* ws, size_t ws_bytes) {
    BENCH_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    constexpr int kMax = 8;
    int got = 0;
    CudnnChoice c;
    if (pass == ConvPass::Forward) {
      cudnnConvolutionFwdAlgoPerf_t perf[kMax];
      if (find) {
        BENCH_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h_, x_, b.x, w_, b.w, conv_, y_, b.y, kMax, &got, perf,
                                                                 ws, ws_bytes));
      } else {
        BENCH_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h_, x_, w_, conv_, y_, kMax, &got, perf));
      }
      c = pick(perf, got, tf32, ws_bytes);
    } else if (pass == ConvPass::BackwardData) {
      cudnnConvolutionBwdDataAlgoPerf_t perf[kMax];
      if (find) {
        BENCH_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h_, w_, b.w, y_, b.dy, conv_, x_, b.dx, kMax, &got,
                                                                      perf, ws, ws_bytes));
      } else {
        BENCH_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h_, w_, y_, conv_, x_, kMax, &got, perf));
      }
      c = pick(perf, got, tf32, ws_bytes);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[kMax];
      if (find) {
        BENCH_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h_, x_, b.x, y_, b.dy, conv_, w_, b.dw, kMax,
                                                                        &got, perf, ws, ws_bytes));
      } else {
        BENCH_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h_, x_, y_, conv_, w_, kMax, &got, perf));
      }
      c = pick(perf, got, tf32, ws_bytes);
    }
    if (c.algo >= 0) c.workspace = workspace_bytes(pass, c);  // with the math type it will run with
    if (c.algo < 0 || c.workspace > ws_bytes) {
      throw std::runtime_error(std::string("cuDNN offered no usable ") + pass_name(pass) + " algorithm (" +
                               (tf32 ? "tf32" : "fma") + ", workspace limit " + std::to_string(ws_bytes >> 20) + " MiB)");
    }
    return c;
  }

  size_t workspace_bytes(ConvPass pass, const CudnnChoice& c) const {
    size_t bytes = 0;
    BENCH_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, c.math));
    if (pass == ConvPass::Forward) {
      BENCH_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
          h_, x_, w_, conv_, y_, static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), &bytes));
    } else if (pass == ConvPass::BackwardData) {
      BENCH_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
          h_, w_, y_, conv_, x_, static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), &bytes));
    } else {
      BENCH_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
          h_, x_, y_, conv_, w_, static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), &bytes));
    }
    return bytes;
  }

  // Runs one pass with a chosen algorithm on the handle's stream.
  void run(ConvPass pass, const CudnnChoice& c, const ConvBuffers& b, void* ws) const {
    const float one = 1.f, zero = 0.f;
    BENCH_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, c.math));
    if (pass == ConvPass::Forward) {
      BENCH_CUDNN_CHECK(cudnnConvolutionForward(h_, &one, x_, b.x, w_, b.w, conv_,
                                                static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws, c.workspace,
                                                &zero, y_, b.y));
    } else if (pass == ConvPass::BackwardData) {
      BENCH_CUDNN_CHECK(cudnnConvolutionBackwardData(h_, &one, w_, b.w, y_, b.dy, conv_,
                                                     static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws,
                                                     c.workspace, &zero, x_, b.dx));
    } else {
      BENCH_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h_, &one, x_, b.x, y_, b.dy, conv_,
                                                       static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), ws,
                                                       c.workspace, &zero, w_, b.dw));
    }
  }

 private:
  // The first successful result that fits the workspace; without TF32, tensor-op
  // results are skipped and the pass runs with FMA math.
  template <class Perf>
  static CudnnChoice pick(const Perf* perf, int n, bool tf32, size_t ws_bytes) {
    for (int i = 0; i < n; ++i) {
      if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > ws_bytes) continue;
      if (!tf32 && perf[i].mathType == CUDNN_TENSOR_OP_MATH) continue;
      return {static_cast<int>(perf[i].algo), tf32 ? perf[i].mathType : CUDNN_FMA_MATH, perf[i].memory};
    }
    return {};
  }

  cudnnHandle_t h_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
};

}  // namespace cyclone::bench
