// DataLoader throughput alone (no model): images/s over whole epochs of a
// CIFAR-shaped synthetic set (50000 x 3x32x32, uint8) with the training
// augmentation (random crop with 4 pixels of padding, horizontal flip, CIFAR-10
// normalisation), batch 128, with 1, 2 and all hardware assembly threads; on the
// CPU, and on CUDA (pinned staging + asynchronous upload) when a GPU is present.
// The target is 5x the training throughput of ResNet-20 on an H100 (PyTorch:
// about 17,000 images/s), i.e. >= 85,000 images/s; "% target" is against that.
// Each configuration first checks that its first batch equals augment_batch's.
//   build/bench/bench_loader [epochs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bench/throughput.h"
#include "data/synthetic.h"
#include "kernels/cuda_runtime.h"
#include "tensor/device.h"
#include "train/data_loader.h"

namespace {

using namespace cyclone;

constexpr int64_t kImages = 50000, kBatch = 128;
constexpr double kTargetImagesPerSecond = 85000;  // 5 x PyTorch's ResNet-20 training on an H100

train::LoaderOptions loader_options(int threads, Device device) {
  train::LoaderOptions o;
  o.batch_size = kBatch;
  o.shuffle = true;
  o.seed = 7;
  o.threads = threads;
  o.device = device;
  o.augment.crop_padding = 4;
  o.augment.flip = true;
  o.augment.normalize = "cifar10";
  return o;
}

// The loader's first batch of epoch 0 equals augment_batch on the same samples.
std::string check_first_batch(train::DataLoader& loader) {
  loader.start_epoch(0);
  const std::optional<train::Batch> b = loader.next();
  if (!b) return "FAIL no batch";
  const std::vector<int64_t> order = loader.epoch_order(0);
  const data::ImageSet& set = loader.dataset();
  std::vector<float> want(static_cast<size_t>(kBatch * set.image_size()));
  std::vector<int64_t> labels(static_cast<size_t>(kBatch));
  data::augment_batch(set, std::span<const int64_t>(order.data(), static_cast<size_t>(kBatch)),
                      loader.options().augment, loader.options().seed, 0, want.data(), labels.data(), 1);
  const bool same = b->x.to_vector<float>() == want && b->y.to_vector<int64_t>() == labels;
  return same ? "ok first batch = augment_batch" : "FAIL first batch differs from augment_batch";
}

// Median over `epochs` whole epochs of the time to draw every batch (the device synchronised at the end).
bench::Stats time_epochs(train::DataLoader& loader, int epochs) {
  using clock = std::chrono::steady_clock;
  std::vector<double> ms;
  for (int e = 1; e <= epochs; ++e) {
    const auto t0 = clock::now();
    loader.start_epoch(e);
    int64_t images = 0;
    while (const std::optional<train::Batch> b = loader.next()) images += b->x.size(0);
    if (loader.options().device.is_cuda()) cuda_synchronize();
    ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    if (images != kImages) throw std::runtime_error("bench_loader: an epoch gave " + std::to_string(images) + " images");
  }
  return bench::summarize(std::move(ms));
}

int run(int epochs) {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string cpu = bench::cpuinfo_field("model name");
  if (cpu.empty()) cpu = "unknown CPU";
  std::vector<Device> devices = {kCPU};
  std::string card = cpu + ", " + std::to_string(hw) + " hardware threads";
  if (cuda_available()) {
    devices.push_back(kCUDA);
    card += ", " + kernels::cuda::device_name(kernels::cuda::current_device());
  } else {
    std::printf("note: %s; CPU rows only\n", cuda_built() ? "no CUDA device found" : "built without CUDA");
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto set = std::make_shared<const data::ImageSet>(data::make_synthetic(kImages, 3, 32, 32, 10, 1));
  std::printf("synthetic set: %lld images of 3x32x32 built in %.1f s; %d epochs per configuration\n",
              static_cast<long long>(kImages),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), epochs);
  std::vector<int> thread_counts = {1, 2};
  if (hw > 2) thread_counts.push_back(hw);

  bench::ThroughputReport report("bench_loader", card, "% target");
  report.print_header();
  bool all_ok = true;
  for (const Device d : devices) {
    for (const int t : thread_counts) {
      train::DataLoader loader(set, loader_options(t, d));
      const std::string check = check_first_batch(loader);
      all_ok = all_ok && check.rfind("ok", 0) == 0;
      bench::ThroughputRow row{"cyclone", "cifar train loader", std::to_string(t) + " thr, " + d.str(),
                               static_cast<double>(kImages), 0, time_epochs(loader, epochs), -1, check};
      row.peer_pct = 100.0 * row.images_per_s() / kTargetImagesPerSecond;
      report.add(row);
    }
  }
  report.print_markdown();
  std::printf("(one epoch = %lld images, batch %lld, crop 4 + flip + cifar10 normalisation; target %.0f images/s)\n",
              static_cast<long long>(kImages), static_cast<long long>(kBatch), kTargetImagesPerSecond);
  if (!all_ok) std::printf("bench_loader: CHECK FAILED for at least one configuration\n");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<int64_t> args = cyclone::bench::parse_sizes(argc, argv, {5});
    return run(static_cast<int>(args.front()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_loader: %s\n", e.what());
    return 1;
  }
}
