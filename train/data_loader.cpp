// The DataLoader's producer thread and its pinned, asynchronous uploads. On
// CUDA each batch goes through a slot: the producer fills the slot's pinned
// buffers and uploads them into the slot's device buffers on the upload
// stream, so that the copy overlaps the training step running on the compute
// stream; next() then makes the compute stream wait for that upload and copies
// the batch out into tensors of its own (a device-to-device copy, ~1 us for a
// CIFAR batch), after which the slot may be refilled. Events order it all:
// `uploaded` (upload stream) before the copy out, `consumed` (compute stream)
// before the next upload into the slot, and the host waits for `uploaded`
// before it overwrites the slot's pinned memory.
#include "train/data_loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "data/rng.h"
#include "tensor/host_access.h"
#include "tensor/pinned.h"

namespace cyclone::train {

// One batch's staging: pinned host buffers, device buffers, and the events between them.
struct DataLoader::Slot {
  Tensor x, y;    // pinned [batch_size, C, H, W] and [batch_size]
  Tensor dx, dy;  // the same on the device: where the upload lands
  StreamEvent uploaded, consumed;
  Slot(const Shape& x_shape, int64_t n, Device device)
      : x(empty_pinned(x_shape)), y(empty_pinned({n}, DType::i64)), dx(empty(x_shape, device)),
        dy(empty({n}, TensorOptions(DType::i64).on(device))) {}
};

DataLoader::DataLoader(std::shared_ptr<const data::ImageSet> set, LoaderOptions opts)
    : set_(std::move(set)), opts_(std::move(opts)) {
  if (!set_ || set_->n == 0) throw std::invalid_argument("DataLoader: the dataset is empty");
  if (opts_.batch_size < 1) throw std::invalid_argument("DataLoader: batch_size must be >= 1");
  if (opts_.prefetch < 1) opts_.prefetch = 1;
  data::normalize_preset(opts_.augment.normalize);  // validates the preset name early
  if (opts_.device.is_cuda()) {
    const Shape xs{opts_.batch_size, set_->channels, set_->height, set_->width};
    for (int i = 0; i < opts_.prefetch + 2; ++i) slots_.push_back(std::make_unique<Slot>(xs, opts_.batch_size, opts_.device));
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

DataLoader::Built DataLoader::build(const std::vector<int64_t>& order, int64_t b, int64_t epoch) {
  const int64_t begin = b * opts_.batch_size;
  const int64_t count = std::min<int64_t>(opts_.batch_size, set_->n - begin);
  const std::span<const int64_t> idx(order.data() + begin, static_cast<size_t>(count));
  const Shape xs{count, set_->channels, set_->height, set_->width};
  Built built;
  Batch& batch = built.batch;
  batch.index = b;
  built.count = count;
  if (!opts_.device.is_cuda()) {
    batch.x = empty(xs);
    batch.y = empty({count}, DType::i64);
    data::augment_batch(*set_, idx, opts_.augment, opts_.seed, static_cast<uint64_t>(epoch), host_span<float>(batch.x).data(),
                        host_span<int64_t>(batch.y).data(), opts_.threads);
    return built;
  }
  // CUDA: fill a slot's pinned buffers (once its last upload is done), then upload them
  // on the upload stream once the compute stream has copied the slot's last batch out.
  built.slot = static_cast<int>(next_slot_);
  Slot& slot = *slots_[next_slot_];
  next_slot_ = (next_slot_ + 1) % slots_.size();
  slot.uploaded.wait();
  const Tensor x = slot.x.narrow(0, 0, count), y = slot.y.narrow(0, 0, count);
  data::augment_batch(*set_, idx, opts_.augment, opts_.seed, static_cast<uint64_t>(epoch), host_span<float>(x).data(),
                      host_span<int64_t>(y).data(), opts_.threads);
  slot.consumed.make_wait(CudaStream::upload);
  upload_async(slot.dx.narrow(0, 0, count), x, CudaStream::upload);
  upload_async(slot.dy.narrow(0, 0, count), y, CudaStream::upload);
  slot.uploaded.record(CudaStream::upload);
  return built;
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
      Built built = build(order, b, epoch);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_.push_back(std::move(built));
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
  Built b = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  cv_.notify_all();
  ++next_index_;
  if (b.slot >= 0) {  // the producer refills this slot only after the next call: see the ring in produce
    Slot& slot = *slots_[static_cast<size_t>(b.slot)];
    slot.uploaded.make_wait(CudaStream::compute);
    b.batch.x = slot.dx.narrow(0, 0, b.count).clone();
    b.batch.y = slot.dy.narrow(0, 0, b.count).clone();
    slot.consumed.record(CudaStream::compute);
  }
  return std::move(b.batch);
}

}  // namespace cyclone::train
