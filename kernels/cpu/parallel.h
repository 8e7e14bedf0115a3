// parallel_for for the CPU kernels: a small persistent thread pool that splits
// [0, n) into one contiguous chunk per thread. The split depends only on n and
// the thread count, so results are deterministic. Nested calls run inline.
// The thread count defaults to the hardware's and can be set with
// CYCLONE_NUM_THREADS or set_num_threads().
#pragma once
#include <cstdint>
#include <functional>

namespace cyclone::kernels::cpu {

int num_threads();
void set_num_threads(int n);
// Calls fn(begin, end) on disjoint chunks covering [0, n); runs inline when
// n < grain or only one thread is configured.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cyclone::kernels::cpu
