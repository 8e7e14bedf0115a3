// cp.async on the emulated device (kernels/cuda/ptx.h): each thread's pending copies,
// grouped by commit_group. A copy's global bytes are read at issue; its shared destination
// is poisoned with a signalling-NaN pattern (and, with access checks, marked so that any
// access reports the early read) until the cp.async.wait_group that retires its group.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernels/cuda/emulator/state.h"

namespace cyclone::emu {
namespace {

using detail::g_run;

struct PendingCopy {
  uint32_t* dst;
  uint32_t words[4];
  uint64_t group;  // the number of commits its thread had made when it was issued
};
struct ThreadCopies {
  std::vector<PendingCopy> pending;  // in issue order
  uint64_t commits = 0;
};

std::vector<ThreadCopies> g_threads;
uint64_t g_block = 0;  // the block g_threads belongs to (its first barrier interval)

constexpr uint32_t kPoison = 0x7fbadbadu;  // a signalling NaN

ThreadCopies& mine(const char* what) {
  if (!detail::in_kernel_here()) throw std::logic_error(std::string(what) + " called outside a kernel");
  if (g_block != g_run.block_first_interval) {
    g_block = g_run.block_first_interval;
    g_threads.assign(g_run.block->threads.size(), ThreadCopies{});
  }
  return g_threads[g_run.thread->linear];
}

}  // namespace

void async_copy_issue(void* dst, const uint32_t* words) {
  ThreadCopies& t = mine("cp.async");
  if (!detail::in_shared_memory(dst)) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", dst);
    detail::fault(cudaErrorIllegalAddress, std::string("cp.async into ") + address + ", which is not shared memory");
  }
  detail::on_async_copy(dst, 16, true);
  PendingCopy c{static_cast<uint32_t*>(dst), {words[0], words[1], words[2], words[3]}, t.commits};
  for (int i = 0; i < 4; ++i) c.dst[i] = kPoison;
  t.pending.push_back(c);
}

void async_copy_commit() { ++mine("cp.async.commit_group").commits; }

void async_copy_wait(int pending, void (*deliver)(uint32_t* dst, const uint32_t* words)) {
  ThreadCopies& t = mine("cp.async.wait_group");
  // Committed groups are 0 .. commits-1; all but the newest `pending` land now.
  const uint64_t keep_from = t.commits > uint64_t(pending) ? t.commits - uint64_t(pending) : 0;
  size_t kept = 0;
  for (size_t i = 0; i < t.pending.size(); ++i) {
    PendingCopy& c = t.pending[i];
    if (c.group < keep_from) {
      detail::on_async_copy(c.dst, 16, false);
      uint32_t words[4];  // on the thread's own stack, where its kernel code may read
      std::memcpy(words, c.words, sizeof words);
      deliver(c.dst, words);
    } else {
      t.pending[kept++] = c;
    }
  }
  t.pending.resize(kept);
}

}  // namespace cyclone::emu
