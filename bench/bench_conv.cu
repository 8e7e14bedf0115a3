// GPU conv benchmark at every distinct ResNet-20 layer shape (batch 128, 3x3,
// pad 1, no bias): forward, dgrad (input gradient) and wgrad (weight gradient) of
// cyclone's path -- nn::functional::conv2d for the forward; for the backward the
// CUDA backend's conv2d_backward_input / conv2d_backward_weight that it calls -- next
// to cuDNN in the same run: its heuristic's first choice ("def") and the fastest
// algorithm cudnnFind measures ("best"), with TF32 allowed or not. Every output is
// validated first on fresh random inputs: against cyclone's CPU conv (and its
// autograd backward), and ours against cuDNN with FMA math.
// Each of cyclone's conv versions (kernels/cuda/conv_versions.h) also gets its own
// row ("v1" ... "v4", the TF32 ones validated to the TF32 tolerance), so that the
// autotuner's choice ("cyclone") can be read against every version it had.
// The ratio column is cuDNN's median / ours (>= 100% means cyclone is faster);
// the summary gives their geometric means and the conv time of a ResNet-20 step.
//   build/bench/bench_conv [batch]
#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "bench/conv_bench_common.h"
#include "kernels/cuda/conv_versions.h"

namespace {

using namespace cyclone;
using bench::ConvLayer;
using bench::ConvPass;

constexpr ConvPass kPasses[] = {ConvPass::Forward, ConvPass::BackwardData, ConvPass::BackwardFilter};

// ---- cyclone's passes ----
Tensor ours_forward(const Tensor& x, const Tensor& w, const ConvLayer& l) {
  NoGradGuard no_grad;
  return nn::functional::conv2d(x, w, Tensor(), nn::functional::Conv2dOptions().stride(l.stride).padding(1));
}

// dout = dy as [K, N*Ho*Wo], dcols = W^T @ dout, dx = col2im(dcols).
void ours_dgrad(const bench::ConvIO& io) {
  kernels::cuda::conv2d_backward_input(io.dy.data<float>(), io.w.data<float>(), io.shape(), io.dx.data<float>(),
                                       io.workspace.data<float>());
}

// dW = dout @ cols^T, with cols = im2col(x) recomputed.
void ours_wgrad(const bench::ConvIO& io) {
  kernels::cuda::conv2d_backward_weight(io.x.data<float>(), io.dy.data<float>(), io.shape(), io.dw.data<float>(),
                                        io.workspace.data<float>());
}

// ---- one shape ----
struct ShapeTimes {
  std::array<std::array<double, 1 + bench::kCudnnVariants>, 3> ms{};  // [pass][0 = ours, 1.. = cuDNN variants]
};

class ShapeBench {
 public:
  ShapeBench(bench::ConvContext& ctx, const ConvLayer& l, uint64_t seed) : ctx_(ctx), l_(l), io_(l, ctx.batch, seed) {
    std::printf("%s: reference (CPU conv2d + backward)...\n", l.name.c_str());
    std::fflush(stdout);
    ref_ = io_.cpu_reference();
  }

  ShapeTimes run(bool& all_ok) {
    ShapeTimes t;
    validate_ours(all_ok);
    for (int pi = 0; pi < 3; ++pi) {
      const ConvPass pass = kPasses[pi];
      t.ms[pi][0] = time_ours(pass);
      for (int v = 1; v <= kernels::cuda::kConvVersions; ++v) {
        if (kernels::cuda::conv_version_applies(v, io_.shape())) time_version(pass, v, t.ms[pi][0], all_ok);
      }
      for (int v = 0; v < ctx_.cudnn_variants(); ++v) t.ms[pi][1 + v] = time_cudnn(pass, v, t.ms[pi][0], all_ok);
    }
    return t;
  }

 private:
  // Ours on its first call with these inputs (no earlier result can be lying in a buffer).
  void validate_ours(bool& all_ok) {
    const Tensor y = ours_forward(io_.x, io_.w, l_);
    io_.dx.fill_(std::nan(""));
    io_.dw.fill_(std::nan(""));
    ours_dgrad(io_);
    ours_wgrad(io_);
    const std::vector<float> outs[3] = {y.to_vector<float>(), io_.dx.to_vector<float>(), io_.dw.to_vector<float>()};
    for (int pi = 0; pi < 3; ++pi) {
      const bench::ErrorStats cpu = bench::compare(outs[pi], ref_[pi]);
      std::string check = "vs CPU " + bench::describe(cpu);
      bool ok = cpu.ok(bench::kFp32Tolerance);
#ifdef CYCLONE_BENCH_CUDNN
      if (ctx_.cudnn_variants() > 0) {
        const std::vector<float> peer = io_.run_cudnn_fma(ctx_, kPasses[pi]);
        const bench::ErrorStats e = bench::compare(outs[pi], peer);
        check += "; vs cuDNN-FMA " + bench::describe(e, bench::kCudnnFp32Tolerance);
        ok = ok && e.ok(bench::kCudnnFp32Tolerance);
      }
#endif
      ours_check_[pi] = std::string(ok ? "ok" : "FAIL") + " (" + check + ")";
      all_ok = all_ok && ok;
    }
  }

  double time_ours(ConvPass pass) {
    std::function<void()> fn;
    if (pass == ConvPass::Forward) fn = [&] { ours_forward(io_.x, io_.w, l_); };
    if (pass == ConvPass::BackwardData) fn = [&] { ours_dgrad(io_); };
    if (pass == ConvPass::BackwardFilter) fn = [&] { ours_wgrad(io_); };
    bench::Row row{std::string(bench::pass_name(pass)) + " cyclone", l_.name, io_.work(pass), {}, -1,
                   ours_check_[static_cast<int>(pass)]};
    row.time = bench::time_cuda(fn, ctx_.stream, ctx_.flusher, ctx_.timing);
    ctx_.report.add(row);
    return row.time.median_ms;
  }

  // One version on its own: validated on a NaN-filled output, then timed; its ratio, like a
  // cuDNN row's, is its median / the tuned choice's.
  void time_version(ConvPass pass, int version, double ours_ms, bool& all_ok) {
    namespace kc = kernels::cuda;
    const int pi = static_cast<int>(pass);
    const kc::ConvPass kp = pass == ConvPass::Forward        ? kc::ConvPass::forward
                            : pass == ConvPass::BackwardData ? kc::ConvPass::input_grad
                                                             : kc::ConvPass::weight_grad;
    const Tensor& a = pass == ConvPass::Forward ? io_.x : pass == ConvPass::BackwardData ? io_.dy : io_.x;
    const Tensor& b = pass == ConvPass::BackwardFilter ? io_.dy : io_.w;
    const Tensor& out = pass == ConvPass::Forward ? io_.y_peer : pass == ConvPass::BackwardData ? io_.dx_peer : io_.dw_peer;
    auto fn = [&] {
      kc::conv2d_version(version, kp, a.data<float>(), b.data<float>(), io_.shape(), out.data<float>(),
                         io_.workspace.data<float>());
    };
    out.fill_(std::nan(""));
    fn();
    const bench::ErrorStats e = bench::compare(out.to_vector<float>(), ref_[pi]);
    const double tol = kc::conv_version_is_tf32(version) ? bench::kTf32Tolerance : bench::kFp32Tolerance;
    all_ok = all_ok && e.ok(tol);
    bench::Row row{std::string(bench::pass_name(pass)) + " cyclone v" + std::to_string(version), l_.name,
                   io_.work(pass), {}, 0, bench::describe(e, tol) + " vs CPU"};
    row.time = bench::time_cuda(fn, ctx_.stream, ctx_.flusher, ctx_.timing);
    row.ratio_pct = 100.0 * row.time.median_ms / ours_ms;
    ctx_.report.add(row);
  }

  double time_cudnn(ConvPass pass, int variant, double ours_ms, bool& all_ok) {
#ifdef CYCLONE_BENCH_CUDNN
    const int pi = static_cast<int>(pass);
    const bench::CudnnVariant& v = bench::kCudnnVariantList[variant];
    bench::CudnnRun r = io_.run_cudnn(ctx_, pass, v);
    const bench::ErrorStats e = bench::compare(r.out, ref_[pi]);
    const double tol = v.tf32 ? bench::kTf32Tolerance : bench::kCudnnFp32Tolerance;
    all_ok = all_ok && e.ok(tol);
    bench::Row row{std::string(bench::pass_name(pass)) + " " + v.name, l_.name, io_.work(pass), {}, 0,
                   bench::describe(e, tol) + " vs CPU; " + r.choice.describe(pass)};
    row.time = bench::time_cuda([&] { io_.cudnn_conv(ctx_).run(pass, r.choice, io_.buffers(), ctx_.workspace()); },
                                ctx_.stream, ctx_.flusher, ctx_.timing);
    row.ratio_pct = 100.0 * row.time.median_ms / ours_ms;
    ctx_.report.add(row);
    return row.time.median_ms;
#else
    (void)pass, (void)variant, (void)ours_ms, (void)all_ok;
    return 0;
#endif
  }

  bench::ConvContext& ctx_;
  const ConvLayer& l_;
  bench::ConvIO io_;
  std::array<std::vector<float>, 3> ref_;
  std::string ours_check_[3];
};

// ---- summary: geometric means of cuDNN / ours, and the convs of one ResNet-20 training step ----
void print_summary(const std::vector<ConvLayer>& layers, const std::vector<ShapeTimes>& times, int variants) {
  if (variants == 0) return;
  std::printf("\nsummary: cuDNN median / cyclone median, geometric mean over the %zu shapes "
              "(>= 1.00: cyclone is faster); conv ms of one ResNet-20 training step (each shape x its count, "
              "dgrad skipped for the stem)\n\n",
              layers.size());
  std::printf("| cuDNN variant | fwd | dgrad | wgrad | all passes | step conv ms: cuDNN | step conv ms: cyclone |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int v = 0; v < variants; ++v) {
    double log_sum[4] = {0, 0, 0, 0}, step_peer = 0, step_ours = 0;
    int count[4] = {0, 0, 0, 0};
    for (size_t s = 0; s < layers.size(); ++s) {
      for (int pi = 0; pi < 3; ++pi) {
        const double ours = times[s].ms[pi][0], peer = times[s].ms[pi][1 + v];
        const double lr = std::log(peer / ours);
        log_sum[pi] += lr, log_sum[3] += lr;
        ++count[pi], ++count[3];
        if (pi == 1 && !layers[s].needs_dgrad) continue;
        step_peer += peer * layers[s].count;
        step_ours += ours * layers[s].count;
      }
    }
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f |\n", bench::kCudnnVariantList[v].name,
                std::exp(log_sum[0] / count[0]), std::exp(log_sum[1] / count[1]), std::exp(log_sum[2] / count[2]),
                std::exp(log_sum[3] / count[3]), step_peer, step_ours);
  }
  std::fflush(stdout);
}

int run(int64_t batch) {
  if (kernels::cuda::device_count() == 0) {
    std::printf("bench_conv: no CUDA device found; nothing to time (the build itself is fine).\n");
    return 0;
  }
  bench::ConvContext ctx(batch);
  ctx.report.print_header();
  bool all_ok = true;
  const std::vector<ConvLayer> layers = bench::resnet20_convs();
  std::vector<ShapeTimes> times;
  for (size_t i = 0; i < layers.size(); ++i) {
    ShapeBench sb(ctx, layers[i], ctx.seed + 16 * i);  // fresh inputs for every shape
    times.push_back(sb.run(all_ok));
  }
  ctx.report.print_markdown();
  print_summary(layers, times, ctx.cudnn_variants());
  if (!all_ok) std::printf("bench_conv: VALIDATION FAILED for at least one row (see the check column)\n");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<int64_t> args = bench::parse_sizes(argc, argv, {128});
    return run(args.front());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_conv: %s\n", e.what());
    return 1;
  }
}
