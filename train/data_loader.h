// DataLoader: shuffled (seeded), augmented batches from an ImageSet, built by
// a background thread ahead of the training loop. For CUDA, batches are
// assembled in pinned host memory and uploaded asynchronously on cyclone's
// stream, so in steady state the GPU never waits on the CPU.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/image_set.h"
#include "tensor/tensor.h"

namespace cyclone::train {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  data::AugmentConfig augment;  // normalisation and (for training) augmentation
  int threads = 1;              // threads used to assemble one batch
  int prefetch = 3;             // batches built ahead
  Device device = kCPU;
};

struct Batch {
  Tensor x;  // [B, C, H, W] float32 on the loader's device
  Tensor y;  // [B] int64 on the loader's device
  int64_t index = 0;  // batch number within the epoch
};

class DataLoader {
 public:
  DataLoader(std::shared_ptr<const data::ImageSet> set, LoaderOptions opts);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t num_batches() const;
  int64_t num_samples() const { return set_->n; }
  const data::ImageSet& dataset() const { return *set_; }
  // The dataset as shared with this loader, for another loader over the same images.
  std::shared_ptr<const data::ImageSet> shared_dataset() const { return set_; }
  const LoaderOptions& options() const { return opts_; }

  // Starts (or restarts) an epoch at batch `start_batch` (for exact resume).
  void start_epoch(int64_t epoch, int64_t start_batch = 0);
  // The next batch of the current epoch, or nullopt at its end.
  std::optional<Batch> next();
  // The sample order of an epoch (a pure function of seed and epoch).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  struct Slot;
  // A batch as the producer leaves it: on CUDA, still in its slot's device buffers.
  struct Built {
    Batch batch;
    int slot = -1;  // CUDA: the slot holding it
    int64_t count = 0;
  };
  void stop();
  void produce(int64_t epoch, int64_t start_batch, uint64_t generation);
  Built build(const std::vector<int64_t>& order, int64_t b, int64_t epoch);

  std::shared_ptr<const data::ImageSet> set_;
  LoaderOptions opts_;
  std::thread worker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Built> ready_;
  bool done_ = true, quit_ = false;
  uint64_t generation_ = 0;
  std::exception_ptr error_;
  int64_t next_index_ = 0, end_index_ = 0;
  std::vector<std::unique_ptr<Slot>> slots_;  // pinned staging and device buffers (CUDA only)
  size_t next_slot_ = 0;
};

}  // namespace cyclone::train
