// A GPU profile without a GPU (EMULATE builds with access checks): every SGEMM version and
// every version of each conv pass (kernels/cuda/conv_versions.h) at the ResNet-20 shapes run
// on the emulated device with its profile counters on, and so do the memory-bound kernels of
// a step (batch norm, elementwise, copies); a markdown table per kernel gives global traffic,
// sectors per request, shared-memory bank conflicts, and a roofline time for an H100; with
// --ptxas (tools/scripts/ptxas_profile.sh's TSV) also registers, spills, static shared memory
// and the occupancy on sm_90.
//   build-prof/bench/bench_profile [--ptxas FILE] [--batch N]   (default batch 8)
// Roofline: time = max(FLOPs / peak, bytes / 3.35 TB/s), at 66.9 TFLOP/s fp32 and 495 TFLOP/s
// TF32. The bytes are the requested sectors times 32: every sector from DRAM, as if no request
// hit L1 or L2. That is exact for streaming kernels (im2col, copies) and an upper bound for
// kernels with reuse (the GEMMs), whose DRAM traffic a cache cuts. An op's FLOPs are its
// GEMM kernel's; the other kernels move data only.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/model_shapes.h"
#include "bench/occupancy.h"
#include "kernels/cuda/autotune.h"
#include "kernels/cuda/conv_versions.h"
#include "kernels/cuda/emulator/engine.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/contract.h"
#include "kernels/nn_contract.h"

namespace {

namespace emu = cyclone::emu;
namespace kc = cyclone::kernels::cuda;
using cyclone::kernels::ConvShape;
using cyclone::kernels::GemmArgs;
using cyclone::kernels::BinaryOp;
using cyclone::kernels::DType;
using cyclone::kernels::Layout;

constexpr double kFp32Flops = 66.9e12, kTf32Flops = 495e12, kDramBytesPerSecond = 3.35e12;

struct PtxasRow {
  int registers = 0, spill_stores = 0, spill_loads = 0, static_shared = 0;
};

std::map<std::string, PtxasRow> read_ptxas(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("bench_profile: cannot read the ptxas table '" + path + "'");
  std::map<std::string, PtxasRow> rows;
  std::string line;
  std::getline(f, line);  // the header
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string c; std::getline(s, c, '\t');) cells.push_back(c);
    if (cells.size() < 5) throw std::runtime_error("bench_profile: '" + path + "' has a short row: " + line);
    rows[cells[0]] = {std::stoi(cells[1]), std::stoi(cells[2]), std::stoi(cells[3]), std::stoi(cells[4])};
  }
  return rows;
}

// Device memory of n floats, filled with a small pattern.
struct DeviceFloats {
  explicit DeviceFloats(int64_t n) {
    if (cudaMalloc(&p, size_t(std::max<int64_t>(n, 1)) * 4) != cudaSuccess) {
      throw std::runtime_error("bench_profile: cudaMalloc of " + std::to_string(n) + " floats failed");
    }
    std::vector<float> h(size_t(std::max<int64_t>(n, 1)));
    for (size_t i = 0; i < h.size(); ++i) h[i] = float(i % 7) * 0.25f - 0.75f;
    cudaMemcpy(p, h.data(), h.size() * 4, cudaMemcpyHostToDevice);
  }
  ~DeviceFloats() { cudaFree(p); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* p = nullptr;
};

double per(double a, double b) { return b > 0 ? a / b : 0; }

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct Table {
  const std::map<std::string, PtxasRow>* ptxas = nullptr;

  void header() const {
    std::printf("| op | kernel | launches | block | dyn smem | global MB | ld sect/req | st sect/req | "
                "smem confl/req | GFLOP | fp32 us | tf32 us |%s\n",
                ptxas ? " regs | spills (st/ld) | static smem | occupancy |" : "");
    std::printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|%s\n", ptxas ? "--:|--:|--:|---|" : "");
  }

  // Runs `op` with profiling on and prints one row per kernel it launched.
  void row(const std::string& op, double flops, const std::function<void()>& run) const {
    emu::reset_profiles();
    run();
    if (cudaDeviceSynchronize() != cudaSuccess) {
      throw std::runtime_error("bench_profile: " + op + " failed: " + emu::take_sticky_error());
    }
    bool flops_given = false;
    for (const emu::KernelProfile& p : emu::kernel_profiles()) {
      const emu::AccessCounts& c = p.estimated;
      const double f = !flops_given && p.name.find("gemm") != std::string::npos ? flops : 0;
      flops_given = flops_given || f > 0;
      const double dram = 32 * (c.global_load_sectors + c.global_store_sectors);
      const double t_mem = dram / kDramBytesPerSecond;
      const double shared_requests = c.shared_load_requests + c.shared_store_requests;
      std::printf("| %s | `%s` | %llu | %ux%ux%u | %zu | %s | %s | %s | %s | %s | %s | %s |", op.c_str(),
                  p.name.c_str(), (unsigned long long)p.launches, p.block.x, p.block.y, p.block.z,
                  p.dynamic_shared, fixed((c.global_load_bytes + c.global_store_bytes) / 1e6, 2).c_str(),
                  fixed(per(c.global_load_sectors, c.global_load_requests), 1).c_str(),
                  fixed(per(c.global_store_sectors, c.global_store_requests), 1).c_str(),
                  shared_requests > 0 ? fixed(per(c.shared_wavefronts - c.shared_ideal_wavefronts, shared_requests), 2).c_str() : "-",
                  f > 0 ? fixed(f / 1e9, 3).c_str() : "-",
                  fixed(std::max(f / kFp32Flops, t_mem) * 1e6, 2).c_str(),
                  fixed(std::max(f / kTf32Flops, t_mem) * 1e6, 2).c_str());
      if (ptxas) ptxas_cells(p);
      std::printf("\n");
      if (c.dropped_accesses > 0) {
        std::fprintf(stderr, "bench_profile: %s: %.0f accesses beyond the per-thread buffer were not counted\n",
                     p.name.c_str(), c.dropped_accesses);
      }
    }
  }

  void ptxas_cells(const emu::KernelProfile& p) const {
    const auto it = ptxas->find(p.name);
    if (it == ptxas->end()) {
      std::printf(" - | - | - | not in the ptxas table |");
      return;
    }
    const PtxasRow& r = it->second;
    const int64_t threads = int64_t(p.block.x) * p.block.y * p.block.z;
    const cyclone::bench::Occupancy o =
        cyclone::bench::sm90_occupancy(threads, r.registers, r.static_shared + int64_t(p.dynamic_shared));
    std::printf(" %d | %d/%d | %d | %s (%lld blocks, %s) |", r.registers, r.spill_stores, r.spill_loads, r.static_shared,
                (fixed(100 * o.fraction, 1) + "%").c_str(), (long long)o.blocks_per_sm, o.limit.c_str());
  }
};

void gemm_rows(const Table& t) {
  struct Shape {
    int64_t m, n, k;
  };
  for (const Shape s : {Shape{128, 128, 128}, Shape{256, 256, 256}, Shape{64, 1024, 144}}) {
    DeviceFloats a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    GemmArgs g;
    g.m = s.m, g.n = s.n, g.k = s.k;
    g.lda = s.k, g.ldb = s.n, g.ldc = s.n;
    g.a = a.p, g.b = b.p, g.c = c.p;
    for (int v = 1; v <= kc::kGemmVersions; ++v) {
      const std::string op = "gemm v" + std::to_string(v) + " " + std::to_string(s.m) + "x" + std::to_string(s.n) +
                             "x" + std::to_string(s.k);
      t.row(op, 2.0 * double(s.m * s.n * s.k), [&] { kc::gemm_version(v, g); });
    }
  }
}

void conv_rows(const Table& t, int64_t batch) {
  for (const cyclone::bench::ConvLayer& l : cyclone::bench::resnet20_convs()) {
    ConvShape s;
    s.g.n = batch, s.g.c = l.c, s.g.h = l.h, s.g.w = l.w;
    s.g.kh = s.g.kw = 3, s.g.sh = s.g.sw = l.stride, s.g.ph = s.g.pw = 1;
    s.k = l.k;
    DeviceFloats x(batch * l.c * l.h * l.w), w(l.k * l.c * 9), y(batch * l.k * l.out_h() * l.out_w()),
        dx(batch * l.c * l.h * l.w), dw(l.k * l.c * 9), ws(kc::conv2d_workspace_size(s));
    const double flops = 2.0 * l.macs_per_image() * double(batch);
    const std::string shape = l.name + " n" + std::to_string(batch);
    for (int v = 1; v <= kc::kConvVersions; ++v) {
      if (!kc::conv_version_applies(v, s)) continue;
      const std::string ver = " v" + std::to_string(v) + " ";
      t.row("conv fwd" + ver + shape, flops,
            [&] { kc::conv2d_version(v, kc::ConvPass::forward, x.p, w.p, s, y.p, ws.p); });
      if (l.needs_dgrad) {
        t.row("conv dgrad" + ver + shape, flops,
              [&] { kc::conv2d_version(v, kc::ConvPass::input_grad, y.p, w.p, s, dx.p, ws.p); });
      }
      t.row("conv wgrad" + ver + shape, flops,
            [&] { kc::conv2d_version(v, kc::ConvPass::weight_grad, x.p, y.p, s, dw.p, ws.p); });
    }
  }
}

}  // namespace

// The memory-bound kernels of a ResNet-20 step at stage 1 (batch x 16 x 32 x 32): batch-norm
// statistics and backward sums, apply with ReLU, an elementwise add (the residual, float4), a
// broadcast add over channels (collapsed dims, int32 indices) and a permute copy.
void memory_rows(const Table& t, int64_t batch) {
  const int64_t c = 16, hw = 32 * 32, total = batch * c * hw;
  DeviceFloats x(total), dy(total), y(total), bias(c), mean(c), invstd(c), sum_dy(c), sum_dy_xhat(c);
  const std::string shape = " " + std::to_string(batch) + "x16x32x32";
  t.row("bn stats" + shape, 0, [&] { kc::batch_norm_stats(x.p, batch, c, hw, 1e-5, mean.p, invstd.p); });
  t.row("bn backward sums" + shape, 0,
        [&] { kc::batch_norm_backward_reduce(dy.p, x.p, batch, c, hw, mean.p, invstd.p, sum_dy.p, sum_dy_xhat.p); });
  t.row("bn apply+relu" + shape, 0,
        [&] { kc::batch_norm_apply(x.p, batch, c, hw, mean.p, invstd.p, nullptr, nullptr, nullptr, true, y.p); });
  Layout dense, channel;
  dense.ndim = channel.ndim = 4;
  const int64_t sizes[4] = {batch, c, 32, 32}, dense_strides[4] = {c * hw, hw, 32, 1}, channel_strides[4] = {0, 1, 0, 0};
  for (int d = 0; d < 4; ++d) {
    dense.sizes[d] = channel.sizes[d] = sizes[d];
    dense.strides[d] = dense_strides[d];
    channel.strides[d] = channel_strides[d];
  }
  channel.contiguous = false;
  t.row("add (contiguous)" + shape, 0,
        [&] { kc::binary(BinaryOp::Add, x.p, dense, dy.p, dense, y.p, total, 1.f); });
  t.row("add (per-channel broadcast)" + shape, 0,
        [&] { kc::binary(BinaryOp::Add, x.p, dense, bias.p, channel, y.p, total, 1.f); });
  Layout transposed = dense;  // [n, c, h, w] read as [c, n, h, w]
  transposed.sizes[0] = c, transposed.sizes[1] = batch;
  transposed.strides[0] = hw, transposed.strides[1] = c * hw;
  transposed.contiguous = false;
  t.row("permute copy" + shape, 0, [&] { kc::copy(DType::f32, x.p, transposed, DType::f32, y.p, dense, total); });
}

int main(int argc, char** argv) {
  try {
    std::map<std::string, PtxasRow> ptxas;
    Table table;
    int64_t batch = 8;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--ptxas" && i + 1 < argc) {
        ptxas = read_ptxas(argv[++i]);
        table.ptxas = &ptxas;
      } else if (a == "--batch" && i + 1 < argc) {
        batch = std::atoll(argv[++i]);
        if (batch < 1) throw std::invalid_argument("bench_profile: --batch must be at least 1");
      } else {
        throw std::invalid_argument("bench_profile: unknown argument '" + a + "' (--ptxas FILE, --batch N)");
      }
    }
    if (!emu::access_checks_enabled()) {
      std::fprintf(stderr, "bench_profile: this build has no access hooks: configure the EMULATE build with clang "
                           "(CYCLONE_EMU_ACCESS_CHECKS)\n");
      return 1;
    }
    emu::set_profiling(true);
    std::printf("Emulated-device profile (blocks sampled: the first %llu and every (blocks/%llu)-th of each launch, "
                "totals scaled to the grid).\n\n",
                (unsigned long long)emu::kProfileFirstBlocks, (unsigned long long)emu::kProfileStridedBlocks);
    // Each row profiles one version: no tuning trials of the others (conv v1's GEMM is then v3).
    kc::set_tune_policy(kc::TunePolicy::off);
    table.header();
    gemm_rows(table);
    conv_rows(table, batch);
    memory_rows(table, batch);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
