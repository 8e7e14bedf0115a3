// Memory-bound kernels against the device's copy bandwidth, measured in the same
// run: elementwise add and relu, batch-norm apply (+relu), stats and backward,
// max_pool2d forward and the fused softmax cross-entropy forward, at the
// activation sizes of ResNet-20 with batch 128 (and one 4x larger). GB/s counts
// the fewest bytes (each input read once, each output written once); "% copy" is
// that over cudaMemcpy device-to-device GB/s (bytes read + written) on a buffer
// of the same size, and the check column adds the share of the large-copy peak.
// The issue's target is >= 80% of copy bandwidth. Every kernel is first checked
// against its CPU reference (kernels::cpu) on fresh random inputs, outputs NaN-filled.
//   build/bench/bench_memory
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "bench/harness_cuda.cuh"
#include "kernels/contract.h"
#include "kernels/cuda_runtime.h"
#include "kernels/nn_contract.h"
#include "tensor/tensor.h"

namespace {

using namespace cyclone;
namespace kc = kernels::cuda;
namespace kh = kernels::cpu;

kernels::Layout flat(int64_t n) {
  kernels::Layout l;
  l.ndim = 1, l.sizes[0] = n, l.strides[0] = 1, l.contiguous = true;
  return l;
}

struct Ctx {
  cudaStream_t stream;
  bench::L2Flusher& flusher;
  bench::Report& report;
  uint64_t seed;
  double peak_copy_gbps = 0;  // large device-to-device copy
  bool all_ok = true;
};

// A float tensor on the GPU with its host copy (fresh uniform values in [lo, hi]).
struct Input {
  std::vector<float> host;
  Tensor dev;
  Input(int64_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) : host(static_cast<size_t>(n)) {
    bench::fill_uniform(host, seed, lo, hi);
    dev = from_vector(host, {n}).to(kCUDA);
  }
  const float* d() const { return dev.data<float>(); }
};

Tensor nan_filled(int64_t n) { return empty({n}, kCUDA).fill_(std::nan("")); }

double gbps(const bench::Row& r) { return r.work.bytes / (r.time.median_ms * 1e-3) / 1e9; }

// Copy of `bytes` device to device; counts bytes read + written.
bench::Row time_copy(Ctx& ctx, size_t bytes, const std::string& size) {
  bench::DeviceBuffer a(bytes / sizeof(float)), b(bytes / sizeof(float));
  CYCLONE_CUDA_CHECK(cudaMemsetAsync(a.data(), 0x3C, bytes, ctx.stream));
  bench::Row r{"copy D2D", size, {0, 2.0 * static_cast<double>(bytes)}, {}, 100.0, "reference"};
  r.time = bench::time_cuda(
      [&] { CYCLONE_CUDA_CHECK(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, ctx.stream)); },
      ctx.stream, ctx.flusher);
  return r;
}

// Validates (check is "ok ..." or "FAIL ..."), times fn, adds the row with % of the copy at this size.
void add_row(Ctx& ctx, const std::string& kernel, const std::string& size, bench::Work work, double copy_gbps,
             const std::string& check, const std::function<void()>& fn) {
  bench::Row r{kernel, size, work, {}, 0, check};
  r.time = bench::time_cuda(fn, ctx.stream, ctx.flusher);
  r.ratio_pct = 100.0 * gbps(r) / copy_gbps;
  char peak[48];
  std::snprintf(peak, sizeof peak, "; %.0f%% of peak copy", 100.0 * gbps(r) / ctx.peak_copy_gbps);
  r.check += peak;
  ctx.all_ok = ctx.all_ok && check.rfind("ok", 0) == 0;
  ctx.report.add(r);
}

std::string check_vs(const Tensor& out, const std::vector<float>& ref) {
  return bench::describe(bench::compare(out.to_vector<float>(), ref));
}

// Two checks joined; "ok" only when both are.
std::string both(const std::string& a, const std::string& b) {
  const bool ok = a.rfind("ok", 0) == 0 && b.rfind("ok", 0) == 0;
  return std::string(ok ? "ok" : "FAIL") + " (" + a + "; " + b + ")";
}

// Elementwise and batch-norm kernels on one activation shape [n, c, h, w].
void bench_activation(Ctx& ctx, int64_t n, int64_t c, int64_t h, int64_t w) {
  const int64_t total = n * c * h * w, s = h * w;
  const std::string size = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
                           std::to_string(w);
  const double fb = 4.0 * static_cast<double>(total), ft = static_cast<double>(total);
  const bench::Row copy = time_copy(ctx, static_cast<size_t>(fb), size);
  ctx.report.add(copy);
  const double copy_gbps = gbps(copy);
  const uint64_t seed = ctx.seed + static_cast<uint64_t>(total + c);
  const Input x(total, seed), y(total, seed + 1), dy(total, seed + 2);
  const Input weight(c, seed + 3, 0.5f, 1.5f), bias(c, seed + 4);
  std::vector<float> ref(static_cast<size_t>(total));
  Tensor out = nan_filled(total);
  const kernels::Layout l = flat(total);

  kh::binary(kernels::BinaryOp::Add, x.host.data(), l, y.host.data(), l, ref.data(), total, 1.f);
  kc::binary(kernels::BinaryOp::Add, x.d(), l, y.d(), l, out.data<float>(), total, 1.f);
  add_row(ctx, "add", size, {ft, 3 * fb}, copy_gbps, check_vs(out, ref),
          [&] { kc::binary(kernels::BinaryOp::Add, x.d(), l, y.d(), l, out.data<float>(), total, 1.f); });
  out.fill_(std::nan(""));
  kh::unary(kernels::UnaryOp::Relu, x.host.data(), l, ref.data(), total, 0.f, 0.f);
  kc::unary(kernels::UnaryOp::Relu, x.d(), l, out.data<float>(), total, 0.f, 0.f);
  add_row(ctx, "relu", size, {ft, 2 * fb}, copy_gbps, check_vs(out, ref),
          [&] { kc::unary(kernels::UnaryOp::Relu, x.d(), l, out.data<float>(), total, 0.f, 0.f); });

  // Batch-norm statistics, then apply and backward with them.
  const double cb = 4.0 * static_cast<double>(c);
  std::vector<float> mean(static_cast<size_t>(c)), invstd(static_cast<size_t>(c));
  kh::batch_norm_stats(x.host.data(), n, c, s, 1e-5, mean.data(), invstd.data());
  Tensor dmean = nan_filled(c), dinvstd = nan_filled(c);
  kc::batch_norm_stats(x.d(), n, c, s, 1e-5, dmean.data<float>(), dinvstd.data<float>());
  add_row(ctx, "bn_stats", size, {3 * ft, fb + 2 * cb}, copy_gbps,
          both(check_vs(dmean, mean), check_vs(dinvstd, invstd)),
          [&] { kc::batch_norm_stats(x.d(), n, c, s, 1e-5, dmean.data<float>(), dinvstd.data<float>()); });
  const Tensor m = from_vector(mean, {c}).to(kCUDA), is = from_vector(invstd, {c}).to(kCUDA);
  for (bool relu : {false, true}) {
    out.fill_(std::nan(""));
    kh::batch_norm_apply(x.host.data(), n, c, s, mean.data(), invstd.data(), weight.host.data(), bias.host.data(),
                         nullptr, relu, ref.data());
    auto apply = [&] {
      kc::batch_norm_apply(x.d(), n, c, s, m.data<float>(), is.data<float>(), weight.d(), bias.d(), nullptr, relu,
                           out.data<float>());
    };
    apply();
    add_row(ctx, relu ? "bn_apply+relu" : "bn_apply", size, {(relu ? 3 : 2) * ft, 2 * fb + 4 * cb}, copy_gbps,
            check_vs(out, ref), apply);
  }
  std::vector<float> sum_dy(static_cast<size_t>(c)), sum_dy_xhat(static_cast<size_t>(c));
  kh::batch_norm_backward_reduce(dy.host.data(), x.host.data(), n, c, s, mean.data(), invstd.data(), sum_dy.data(),
                                 sum_dy_xhat.data());
  Tensor dsum = nan_filled(c), dsum_xhat = nan_filled(c);
  auto reduce = [&] {
    kc::batch_norm_backward_reduce(dy.d(), x.d(), n, c, s, m.data<float>(), is.data<float>(), dsum.data<float>(),
                                   dsum_xhat.data<float>());
  };
  reduce();
  add_row(ctx, "bn_bwd_reduce", size, {4 * ft, 2 * fb + 4 * cb}, copy_gbps,
          both(check_vs(dsum, sum_dy), check_vs(dsum_xhat, sum_dy_xhat)), reduce);
  out.fill_(std::nan(""));
  kh::batch_norm_backward_input(dy.host.data(), x.host.data(), n, c, s, mean.data(), invstd.data(), weight.host.data(),
                                sum_dy.data(), sum_dy_xhat.data(), ref.data());
  const Tensor sd = from_vector(sum_dy, {c}).to(kCUDA), sdx = from_vector(sum_dy_xhat, {c}).to(kCUDA);
  auto input_grad = [&] {
    kc::batch_norm_backward_input(dy.d(), x.d(), n, c, s, m.data<float>(), is.data<float>(), weight.d(),
                                  sd.data<float>(), sdx.data<float>(), out.data<float>());
  };
  input_grad();
  add_row(ctx, "bn_bwd_input", size, {6 * ft, 3 * fb + 5 * cb}, copy_gbps, check_vs(out, ref), input_grad);
}

// 2x2 stride-2 max pooling: reads x, writes y and int64 indices.
void bench_max_pool(Ctx& ctx, int64_t n, int64_t c, int64_t h, int64_t w) {
  kernels::PoolGeometry g;
  g.n = n, g.c = c, g.h = h, g.w = w, g.kh = g.kw = g.sh = g.sw = 2, g.oh = h / 2, g.ow = w / 2;
  const int64_t total = n * c * h * w, outs = n * c * g.oh * g.ow;
  const std::string size = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) + "x" +
                           std::to_string(w);
  const bench::Row copy = time_copy(ctx, static_cast<size_t>(4 * total), size);
  const Input x(total, ctx.seed + 77);
  std::vector<float> ref(static_cast<size_t>(outs));
  std::vector<int64_t> ref_idx(static_cast<size_t>(outs));
  kh::max_pool2d_forward(x.host.data(), g, ref.data(), ref_idx.data());
  Tensor y = nan_filled(outs), idx = empty({outs}, TensorOptions(DType::i64).on(kCUDA)).fill_(-1);
  kc::max_pool2d_forward(x.d(), g, y.data<float>(), idx.data<int64_t>());
  const bool idx_ok = idx.to_vector<int64_t>() == ref_idx;
  const std::string check = both(check_vs(y, ref), idx_ok ? "ok indices equal" : "FAIL indices differ");
  add_row(ctx, "max_pool 2x2", size, {3.0 * outs, 4.0 * total + 12.0 * outs}, gbps(copy), check,
          [&] { kc::max_pool2d_forward(x.d(), g, y.data<float>(), idx.data<int64_t>()); });
}

// Fused softmax cross-entropy forward: reads logits and labels, writes loss and lse per row.
void bench_cross_entropy(Ctx& ctx, int64_t rows, int64_t cols) {
  const std::string size = std::to_string(rows) + "x" + std::to_string(cols);
  const int64_t total = rows * cols;
  const bench::Row copy = time_copy(ctx, static_cast<size_t>(4 * total), size);
  const Input x(total, ctx.seed + 99, -4.f, 4.f);
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) labels[static_cast<size_t>(r)] = (r * 7 + 3) % cols;
  const Tensor dl = from_vector(labels, {rows}).to(kCUDA);
  std::vector<float> loss(static_cast<size_t>(rows)), lse(static_cast<size_t>(rows));
  kh::cross_entropy_forward(x.host.data(), labels.data(), rows, cols, 0.f, -100, loss.data(), lse.data());
  Tensor dloss = nan_filled(rows), dlse = nan_filled(rows);
  auto fn = [&] {
    kc::cross_entropy_forward(x.d(), dl.data<int64_t>(), rows, cols, 0.f, -100, dloss.data<float>(),
                              dlse.data<float>());
  };
  fn();
  add_row(ctx, "xent_fwd", size, {4.0 * total, 4.0 * total + 16.0 * rows}, gbps(copy),
          both(check_vs(dloss, loss), check_vs(dlse, lse)), fn);
}

int run() {
  if (kc::device_count() == 0) {
    std::printf("bench_memory: no CUDA device found; nothing to time (the build itself is fine).\n");
    return 0;
  }
  bench::L2Flusher flusher;
  bench::Report report("bench_memory", bench::gpu_card(), "GFLOP/s", "% copy");
  Ctx ctx{kc::stream(), flusher, report, bench::fresh_seed()};
  std::printf("seed %llu (CYCLONE_BENCH_SEED replays it); target: >= 80%% of copy bandwidth\n",
              static_cast<unsigned long long>(ctx.seed));
  report.print_header();
  const bench::Row peak = time_copy(ctx, size_t{1} << 30, "1 GiB");
  ctx.peak_copy_gbps = gbps(peak);
  report.add(peak);
  bench_activation(ctx, 128, 16, 32, 32);  // ResNet-20's three stages
  bench_activation(ctx, 128, 32, 16, 16);
  bench_activation(ctx, 128, 64, 8, 8);
  bench_activation(ctx, 128, 64, 32, 32);  // 4x larger: closer to the bandwidth limit
  bench_max_pool(ctx, 128, 16, 32, 32);
  bench_max_pool(ctx, 128, 64, 32, 32);
  bench_cross_entropy(ctx, 128, 10);   // ResNet-20's logits: pure launch latency
  bench_cross_entropy(ctx, 2048, 1000);
  report.print_markdown();
  if (!ctx.all_ok) std::printf("bench_memory: VALIDATION FAILED for at least one kernel (see the check column)\n");
  return ctx.all_ok ? 0 : 1;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_memory: %s\n", e.what());
    return 1;
  }
}
