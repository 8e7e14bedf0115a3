// The pieces of bench_conv: the run's context (stream, L2 flush, report, and the
// cuDNN handle when the build found cuDNN), and one shape's inputs, outputs, napkin
// math and CPU reference. Built with CYCLONE_BENCH_CUDNN when cuDNN is linked.
#pragma once
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/harness_cuda.cuh"
#include "bench/model_shapes.h"
#include "kernels/contract.h"
#include "kernels/cuda_runtime.h"
#include "kernels/nn_contract.h"
#include "nn/functional.h"
#include "tensor/tensor.h"
#ifdef CYCLONE_BENCH_CUDNN
#include "bench/cudnn_conv.h"
#else
namespace cyclone::bench {
enum class ConvPass { Forward, BackwardData, BackwardFilter };
inline const char* pass_name(ConvPass p) {
  return p == ConvPass::Forward ? "fwd" : p == ConvPass::BackwardData ? "dgrad" : "wgrad";
}
}  // namespace cyclone::bench
#endif

namespace cyclone::bench {

// cuDNN's fp32 algorithms include Winograd and FFT transforms, which round more than a
// direct sum (up to about 1e-4 relative): comparisons with cuDNN's FMA output use this.
constexpr double kCudnnFp32Tolerance = 1e-3;

struct CudnnVariant {
  const char* name;
  bool find;  // cudnnFind's fastest, else the heuristic's first choice
  bool tf32;
};
constexpr int kCudnnVariants = 4;
constexpr CudnnVariant kCudnnVariantList[kCudnnVariants] = {
    {"cudnn-def-fma", false, false}, {"cudnn-def-tf32", false, true},
    {"cudnn-best-fma", true, false}, {"cudnn-best-tf32", true, true}};

#ifdef CYCLONE_BENCH_CUDNN
// cuDNN's version as "9.14.0".
inline std::string cudnn_version_text(size_t v) {
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
}
#endif

class ConvContext {
 public:
  explicit ConvContext(int64_t batch_)
      : batch(batch_), stream(kernels::cuda::stream()), seed(fresh_seed()),
        report("bench_conv", gpu_card() + peer_text(), "TFLOP/s", "cuDNN/ours") {
    timing.warmup = 3, timing.min_runs = 10, timing.max_runs = 100, timing.target_ms = 100;
    std::printf("seed %llu (CYCLONE_BENCH_SEED replays it); batch %lld; tolerance %.0e (ours vs CPU), %.0e (with "
                "cuDNN fp32), %.0e (TF32 rows)\n",
                static_cast<unsigned long long>(seed), static_cast<long long>(batch), kFp32Tolerance,
                kCudnnFp32Tolerance, kTf32Tolerance);
#ifdef CYCLONE_BENCH_CUDNN
    const size_t v = cudnnGetVersion();
    if (v / 10000 != CUDNN_MAJOR) {
      std::printf("note: libcudnn %s does not match the headers' major version %d: no cuDNN columns\n",
                  cudnn_version_text(v).c_str(), CUDNN_MAJOR);
      return;
    }
    if (v < CUDNN_VERSION) {
      std::printf("note: libcudnn %s is older than the headers (%s); the legacy conv API used here is in every 9.x\n",
                  cudnn_version_text(v).c_str(), cudnn_version_text(CUDNN_VERSION).c_str());
    }
    if (const cudnnStatus_t st = cudnnCreate(&handle); st != CUDNN_STATUS_SUCCESS) {
      std::printf("note: cudnnCreate failed (%s): no cuDNN columns\n", cudnnGetErrorString(st));
      handle = nullptr;
      return;
    }
    BENCH_CUDNN_CHECK(cudnnSetStream(handle, stream));
    workspace_ = std::make_unique<DeviceBuffer>(kWorkspaceBytes / sizeof(float));
    variants_ = kCudnnVariants;
#else
    std::printf("note: built without cuDNN (no cudnn.h or libcudnn at configure time; tools/scripts/stage_deps.sh stages "
                "the headers): cyclone rows only\n");
#endif
  }
  ~ConvContext() {
#ifdef CYCLONE_BENCH_CUDNN
    if (handle) cudnnDestroy(handle);
#endif
  }
  ConvContext(const ConvContext&) = delete;
  ConvContext& operator=(const ConvContext&) = delete;

  int cudnn_variants() const { return variants_; }
  void* workspace() const { return workspace_ ? workspace_->data() : nullptr; }

  static constexpr size_t kWorkspaceBytes = size_t{256} << 20;
  int64_t batch;
  cudaStream_t stream;
  uint64_t seed;
  Report report;
  L2Flusher flusher;
  TimingOptions timing;
#ifdef CYCLONE_BENCH_CUDNN
  cudnnHandle_t handle = nullptr;
#endif

 private:
  static std::string peer_text() {
#ifdef CYCLONE_BENCH_CUDNN
    return ", cuDNN " + cudnn_version_text(cudnnGetVersion());
#else
    return ", no cuDNN";
#endif
  }
  int variants_ = 0;
  std::unique_ptr<DeviceBuffer> workspace_;
};

#ifdef CYCLONE_BENCH_CUDNN
struct CudnnRun {
  CudnnChoice choice;
  std::vector<float> out;
};
#endif

// One shape's tensors on the GPU (inputs x, w, dy; our outputs dx, dw; cuDNN's
// outputs), the CUDA conv's workspace, and the host copies of the inputs.
class ConvIO {
 public:
  ConvIO(const ConvLayer& l, int64_t batch, uint64_t seed) : l_(l), n_(batch) {
    hx_.resize(static_cast<size_t>(batch * l.c * l.h * l.w));
    hw_.resize(static_cast<size_t>(l.k * l.c * 9));
    hdy_.resize(static_cast<size_t>(batch * l.k * l.out_h() * l.out_w()));
    fill_uniform(hx_, seed);
    fill_uniform(hw_, seed + 1);
    fill_uniform(hdy_, seed + 2);
    x = from_vector(hx_, x_shape()).to(kCUDA);
    w = from_vector(hw_, w_shape()).to(kCUDA);
    dy = from_vector(hdy_, y_shape()).to(kCUDA);
    dx = empty(x_shape(), kCUDA);
    dw = empty(w_shape(), kCUDA);
    y_peer = empty(y_shape(), kCUDA), dx_peer = empty(x_shape(), kCUDA), dw_peer = empty(w_shape(), kCUDA);
    workspace = empty({kernels::cuda::conv2d_workspace_size(shape())}, kCUDA);
  }

  Shape x_shape() const { return {n_, l_.c, l_.h, l_.w}; }
  Shape w_shape() const { return {l_.k, l_.c, 3, 3}; }
  Shape y_shape() const { return {n_, l_.k, l_.out_h(), l_.out_w()}; }
  kernels::ConvGeometry geometry() const {
    kernels::ConvGeometry g;
    g.n = n_, g.c = l_.c, g.h = l_.h, g.w = l_.w;
    g.kh = g.kw = 3, g.sh = g.sw = l_.stride, g.ph = g.pw = 1;
    return g;
  }
  kernels::ConvShape shape() const { return {geometry(), l_.k, 1}; }

  // FLOPs: 2 per multiply-add, the same for every pass; bytes: the pass's two inputs and one output.
  Work work(ConvPass pass) const {
    const double xs = 4.0 * numel_of(x_shape()), ws = 4.0 * numel_of(w_shape()), ys = 4.0 * numel_of(y_shape());
    return {2.0 * l_.macs_per_image() * static_cast<double>(n_), xs + ws + ys};
  }

  // y, dx, dw from cyclone's CPU conv2d and its autograd backward (with dy as the output gradient).
  std::array<std::vector<float>, 3> cpu_reference() const {
    Tensor xc = from_vector(hx_, x_shape()), wc = from_vector(hw_, w_shape());
    xc.requires_grad_();
    wc.requires_grad_();
    const Tensor y = nn::functional::conv2d(xc, wc, Tensor(), nn::functional::Conv2dOptions().stride(l_.stride).padding(1));
    y.backward(from_vector(hdy_, y_shape()));
    return {y.to_vector<float>(), xc.grad().to_vector<float>(), wc.grad().to_vector<float>()};
  }

#ifdef CYCLONE_BENCH_CUDNN
  ConvBuffers buffers() const {
    return {x.data<float>(), w.data<float>(), y_peer.data<float>(), dy.data<float>(), dx_peer.data<float>(),
            dw_peer.data<float>()};
  }
  CudnnConv& cudnn_conv(const ConvContext& ctx) {
    if (!conv_) conv_ = std::make_unique<CudnnConv>(ctx.handle, l_, n_);
    return *conv_;
  }
  // Chooses the variant's algorithm, runs it once on a NaN-filled output and returns that output.
  CudnnRun run_cudnn(ConvContext& ctx, ConvPass pass, const CudnnVariant& v) {
    CudnnConv& conv = cudnn_conv(ctx);
    CudnnRun r;
    r.choice = conv.choose(pass, v.find, v.tf32, buffers(), ctx.workspace(), ConvContext::kWorkspaceBytes);
    const Tensor& out = pass == ConvPass::Forward ? y_peer : pass == ConvPass::BackwardData ? dx_peer : dw_peer;
    out.fill_(std::nan(""));
    conv.run(pass, r.choice, buffers(), ctx.workspace());
    r.out = out.to_vector<float>();
    return r;
  }
  std::vector<float> run_cudnn_fma(ConvContext& ctx, ConvPass pass) {
    return run_cudnn(ctx, pass, kCudnnVariantList[0]).out;
  }
#endif

  Tensor x, w, dy, dx, dw, workspace, y_peer, dx_peer, dw_peer;

 private:
  const ConvLayer& l_;
  int64_t n_;
  std::vector<float> hx_, hw_, hdy_;
#ifdef CYCLONE_BENCH_CUDNN
  std::unique_ptr<CudnnConv> conv_;
#endif
};

}  // namespace cyclone::bench
