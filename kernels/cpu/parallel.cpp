// The CPU thread pool behind parallel_for (see parallel.h). A training step hands the pool
// hundreds of short jobs, so waking a sleeping thread (a futex round trip, tens of
// microseconds) would cost as much as some jobs: a thread that has just finished spins for a
// while (kSpin) on the job counter before it sleeps on the condition variable, and the
// caller spins likewise for the workers to finish.
#include "kernels/cpu/parallel.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace cyclone::kernels::cpu {
namespace {

thread_local bool t_in_worker = false;

constexpr auto kSpin = std::chrono::microseconds(100);

// Spins until done() or kSpin has passed; true when done() holds.
template <class F>
bool spin_until(F&& done) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (done()) return true;
    _mm_pause();
    if (i % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) return done();
  }
}

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return size_; }

  void resize(int n) {
    stop();
    size_ = std::max(1, n);
    quit_ = false;
    // New workers wait for the next job, not the last one (generation_ is not reset).
    const uint64_t seen = generation_.load();
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i, seen] { loop(i, seen); });
  }

  void run(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    std::unique_lock<std::mutex> job_lock(job_mu_);  // one parallel region at a time
    const int t = size_;
    auto chunk = [&](int i) {
      const int64_t b = n * i / t, e = n * (i + 1) / t;
      if (b < e) fn(b, e);
    };
    {
      std::lock_guard<std::mutex> lock(mu_);
      task_ = chunk;
      pending_.store(t - 1);
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_worker = true;
    try {
      chunk(0);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    t_in_worker = false;
    spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_.load() == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(int index, uint64_t seen) {
    t_in_worker = true;
    for (;;) {
      std::function<void(int)> task;
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return quit_ || generation_.load() != seen; });
        if (quit_) return;
        seen = generation_;
        task = task_;
      }
      try {
        task(index);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (pending_.fetch_sub(1) == 1) done_cv_.notify_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_, job_mu_;
  std::condition_variable cv_, done_cv_;
  std::function<void(int)> task_;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  bool quit_ = false;
  std::exception_ptr error_;
};

int default_threads() {
  if (const char* env = std::getenv("CYCLONE_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (t_in_worker || n < grain || pool().size() == 1) {
    fn(0, n);
    return;
  }
  pool().run(n, fn);
}

}  // namespace cyclone::kernels::cpu
