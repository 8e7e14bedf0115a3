// The DataLoader's producer thread and pinned, asynchronous uploads.
#include "train/data_loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "data/rng.h"
#include "tensor/host_access.h"
#include "tensor/pinned.h"

namespace cyclone::train {

// A pinned host buffer for one batch plus the event that marks its upload done.
struct DataLoader::Slot {
  Tensor x, y;  // pinned [batch_size, C, H, W] and [batch_size]
  StreamEvent upload_done;
  Slot(const Shape& x_shape, int64_t n) : x(empty_pinned(x_shape)), y(empty_pinned({n}, DType::i64)) {}
};

DataLoader::DataLoader(std::shared_ptr<const data::ImageSet> set, LoaderOptions opts)
    : set_(std::move(set)), opts_(std::move(opts)) {
  if (!set_ || set_->n == 0) throw std::invalid_argument("DataLoader: the dataset is empty");
  if (opts_.batch_size < 1) throw std::invalid_argument("DataLoader: batch_size must be >= 1");
  if (opts_.prefetch < 1) opts_.prefetch = 1;
  data::normalize_preset(opts_.augment.normalize);  // validates the preset name early
  if (opts_.device.is_cuda()) {
    const Shape xs{opts_.batch_size, set_->channels, set_->height, set_->width};
    for (int i = 0; i < opts_.prefetch + 2; ++i) slots_.push_back(std::make_unique<Slot>(xs, opts_.batch_size));
  }
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::num_batches() const {
  const int64_t n = set_->n, b = opts_.batch_size;
  return opts_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(set_->n));
  std::iota(order.begin(), order.end(), 0);
  if (!opts_.shuffle) return order;
  data::SampleRng rng(opts_.seed, static_cast<uint64_t>(epoch), 0, 0x5348554646ull /* "SHUFF" */);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  ready_.clear();
  quit_ = false;
}

void DataLoader::start_epoch(int64_t epoch, int64_t start_batch) {
  stop();
  next_index_ = std::clamp<int64_t>(start_batch, 0, num_batches());
  end_index_ = num_batches();
  done_ = false;
  error_ = nullptr;
  const uint64_t gen = ++generation_;
  worker_ = std::thread([this, epoch, gen, s = next_index_] { produce(epoch, s, gen); });
}

Batch DataLoader::build(const std::vector<int64_t>& order, int64_t b, int64_t epoch) {
  const int64_t begin = b * opts_.batch_size;
  const int64_t count = std::min<int64_t>(opts_.batch_size, set_->n - begin);
  const std::span<const int64_t> idx(order.data() + begin, static_cast<size_t>(count));
  const Shape xs{count, set_->channels, set_->height, set_->width};
  Batch batch;
  batch.index = b;
  if (!opts_.device.is_cuda()) {
    batch.x = empty(xs);
    batch.y = empty({count}, DType::i64);
    data::augment_batch(*set_, idx, opts_.augment, opts_.seed, static_cast<uint64_t>(epoch), host_span<float>(batch.x).data(),
                        host_span<int64_t>(batch.y).data(), opts_.threads);
    return batch;
  }
  // CUDA: fill a pinned slot (once its previous upload has finished), then upload asynchronously.
  Slot& slot = *slots_[next_slot_];
  next_slot_ = (next_slot_ + 1) % slots_.size();
  slot.upload_done.wait();
  const Tensor x = slot.x.narrow(0, 0, count), y = slot.y.narrow(0, 0, count);
  data::augment_batch(*set_, idx, opts_.augment, opts_.seed, static_cast<uint64_t>(epoch), host_span<float>(x).data(),
                      host_span<int64_t>(y).data(), opts_.threads);
  batch.x = empty(xs, opts_.device);
  batch.y = empty({count}, TensorOptions(DType::i64).on(opts_.device));
  upload_async(batch.x, x);
  upload_async(batch.y, y);
  slot.upload_done.record();
  return batch;
}

void DataLoader::produce(int64_t epoch, int64_t start_batch, uint64_t gen) {
  try {
    const std::vector<int64_t> order = epoch_order(epoch);
    for (int64_t b = start_batch; b < end_index_; ++b) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return quit_ || static_cast<int>(ready_.size()) < opts_.prefetch; });
        if (quit_ || gen != generation_) return;
      }
      Batch batch = build(order, b, epoch);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_.push_back(std::move(batch));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
  }
  cv_.notify_all();
}

std::optional<Batch> DataLoader::next() {
  if (done_ || next_index_ >= end_index_) {
    done_ = true;
    return std::nullopt;
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !ready_.empty() || error_ != nullptr; });
  if (ready_.empty() && error_) std::rethrow_exception(error_);
  Batch b = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  cv_.notify_all();
  ++next_index_;
  return b;
}

}  // namespace cyclone::train
