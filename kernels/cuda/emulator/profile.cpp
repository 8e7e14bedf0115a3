// The emulated device's profile counters: warp requests, their sectors and shared-memory wavefronts, per kernel.
#include "kernels/cuda/emulator/profile.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/emulator/state.h"

namespace cyclone::emu {

AccessCounts& AccessCounts::operator+=(const AccessCounts& o) {
  global_load_requests += o.global_load_requests, global_load_bytes += o.global_load_bytes;
  global_load_sectors += o.global_load_sectors;
  global_store_requests += o.global_store_requests, global_store_bytes += o.global_store_bytes;
  global_store_sectors += o.global_store_sectors;
  shared_load_requests += o.shared_load_requests, shared_store_requests += o.shared_store_requests;
  shared_wavefronts += o.shared_wavefronts, shared_ideal_wavefronts += o.shared_ideal_wavefronts;
  dropped_accesses += o.dropped_accesses;
  return *this;
}

AccessCounts AccessCounts::scaled(double f) const {
  AccessCounts s;
  s.global_load_requests = global_load_requests * f, s.global_load_bytes = global_load_bytes * f;
  s.global_load_sectors = global_load_sectors * f;
  s.global_store_requests = global_store_requests * f, s.global_store_bytes = global_store_bytes * f;
  s.global_store_sectors = global_store_sectors * f;
  s.shared_load_requests = shared_load_requests * f, s.shared_store_requests = shared_store_requests * f;
  s.shared_wavefronts = shared_wavefronts * f, s.shared_ideal_wavefronts = shared_ideal_wavefronts * f;
  s.dropped_accesses = dropped_accesses * f;
  return s;
}

namespace detail {

bool g_profile_block = false;

namespace {

std::atomic<bool> g_on{[] {
  const char* e = std::getenv("CYCLONE_EMU_PROFILE");
  return e && std::strcmp(e, "1") == 0;
}()};

struct Record {
  uintptr_t site, where;
  uint8_t size;
  Space space;
  bool write;
};

std::mutex g_mu;                       // guards g_profiles
std::vector<KernelProfile> g_profiles;  // in order of first launch
const KernelLaunch* g_launch = nullptr;  // the launch being profiled, or null
AccessCounts g_counts;                   // its profiled blocks' requests so far
uint64_t g_blocks = 0, g_profiled = 0;
std::vector<std::vector<Record>> g_threads;  // the running block's accesses this interval, per thread

// A float2/float4 copy reaches the hooks member by member (a copy between two
// memory operands alternates loads and stores): a lane's next accesses of one
// kind (space and direction) and size that fill an aligned 8- or 16-byte span
// are one access, as nvcc's vectorised LDG/STS would be.
constexpr size_t kVectorWindow = 8;  // how far ahead a copy's next member is looked for

std::vector<Record> merge_vectors(const std::vector<Record>& in) {
  std::vector<Record> out;
  out.reserve(in.size());
  std::vector<bool> merged(in.size(), false);
  for (size_t i = 0; i < in.size(); ++i) {
    if (merged[i]) continue;
    const Record& r = in[i];
    out.push_back(r);
    for (unsigned span : {16u, 8u}) {
      const size_t n = r.size >= 4 ? span / r.size : 0;
      if (n < 2 || r.where % span) continue;
      size_t members[4], found = 0;
      for (size_t j = i + 1; j < in.size() && j <= i + kVectorWindow && found + 1 < n; ++j) {
        const Record& q = in[j];
        if (merged[j] || q.space != r.space || q.write != r.write) continue;
        if (q.size != r.size || q.where != r.where + (found + 1) * r.size) break;
        members[found++] = j;
      }
      if (found + 1 < n) continue;
      for (size_t k = 0; k < found; ++k) merged[members[k]] = true;
      out.back().size = uint8_t(span);
      break;
    }
  }
  return out;
}

struct Access {
  uintptr_t site;
  uint32_t nth;  // the lane's nth execution of `site` in this interval
  Space space;
  uint8_t lane;
  uint8_t size;
  bool write;
  uintptr_t where;
};

void count_global(const Access* a, const Access* end) {
  std::vector<uintptr_t> sectors;
  double bytes = 0;
  for (const Access* x = a; x != end; ++x) {
    bytes += x->size;
    for (uintptr_t s = x->where / 32; s <= (x->where + x->size - 1) / 32; ++s) sectors.push_back(s);
  }
  std::sort(sectors.begin(), sectors.end());
  const double n = double(std::unique(sectors.begin(), sectors.end()) - sectors.begin());
  if (a->write) {
    g_counts.global_store_requests += 1, g_counts.global_store_bytes += bytes, g_counts.global_store_sectors += n;
  } else {
    g_counts.global_load_requests += 1, g_counts.global_load_bytes += bytes, g_counts.global_load_sectors += n;
  }
}

// Each phase (a group of lanes) takes as many wavefronts as the most distinct words it needs from one bank.
void count_shared(const Access* a, const Access* end) {
  struct Slot {
    unsigned phase, bank;
    uintptr_t word;
    bool operator<(const Slot& o) const { return std::tie(phase, bank, word) < std::tie(o.phase, o.bank, o.word); }
    bool operator==(const Slot& o) const { return phase == o.phase && bank == o.bank && word == o.word; }
  };
  std::vector<Slot> slots;
  for (const Access* x = a; x != end; ++x) {
    const unsigned lanes_per_phase = 32 / std::max(1u, unsigned(x->size) / 4);
    for (uintptr_t w = x->where / 4; w <= (x->where + x->size - 1) / 4; ++w) {
      slots.push_back({x->lane / lanes_per_phase, unsigned(w % 32), w});
    }
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  double wavefronts = 0, phases = 0;
  for (size_t i = 0; i < slots.size();) {
    size_t j = i, most = 0;
    while (j < slots.size() && slots[j].phase == slots[i].phase) {
      size_t k = j;
      while (k < slots.size() && slots[k].phase == slots[j].phase && slots[k].bank == slots[j].bank) ++k;
      most = std::max(most, k - j);
      j = k;
    }
    wavefronts += double(most);
    phases += 1;
    i = j;
  }
  (a->write ? g_counts.shared_store_requests : g_counts.shared_load_requests) += 1;
  g_counts.shared_wavefronts += wavefronts;
  g_counts.shared_ideal_wavefronts += phases;
}

// Groups one warp's buffered accesses into requests and counts them.
void flush_warp(unsigned warp) {
  std::vector<Access> all;
  std::unordered_map<uintptr_t, uint32_t> executions;
  for (unsigned lane = 0; lane < 32 && warp * 32 + lane < g_threads.size(); ++lane) {
    std::vector<Record>& mine = g_threads[warp * 32 + lane];
    executions.clear();
    for (const Record& r : merge_vectors(mine)) {
      all.push_back({r.site, executions[r.site]++, r.space, uint8_t(lane), r.size, r.write, r.where});
    }
    mine.clear();
  }
  auto key = [](const Access& x) { return std::tie(x.site, x.nth, x.space, x.lane); };
  std::sort(all.begin(), all.end(), [&](const Access& x, const Access& y) { return key(x) < key(y); });
  for (size_t i = 0; i < all.size();) {
    size_t j = i + 1;
    while (j < all.size() && all[j].site == all[i].site && all[j].nth == all[i].nth && all[j].space == all[i].space) ++j;
    if (all[i].space == Space::Global) count_global(&all[i], &all[0] + j);
    else count_shared(&all[i], &all[0] + j);
    i = j;
  }
}

void flush_all() {
  for (unsigned w = 0; w * 32 < g_threads.size(); ++w) flush_warp(w);
}

}  // namespace

void profile_access(Space space, uintptr_t where, unsigned size, bool write, const void* site) {
  if (!site) return;  // atomics
  std::vector<Record>& mine = g_threads[g_run.thread->linear];
  if (mine.size() >= kProfileMaxAccesses) {
    g_counts.dropped_accesses += 1;
    return;
  }
  mine.push_back({reinterpret_cast<uintptr_t>(site), where, uint8_t(size), space, write});
}

void profile_launch_begin(const KernelLaunch& k) {
  g_launch = g_on.load(std::memory_order_relaxed) ? &k : nullptr;
  g_counts = AccessCounts{};
  g_blocks = g_profiled = 0;
}

void profile_block_begin() {
  if (!g_launch) return;
  const uint64_t id = blockIdx.x + uint64_t(gridDim.x) * (blockIdx.y + uint64_t(gridDim.y) * blockIdx.z);
  const uint64_t total = uint64_t(gridDim.x) * gridDim.y * gridDim.z;
  const uint64_t stride = std::max<uint64_t>(1, total / kProfileStridedBlocks);
  ++g_blocks;
  g_profile_block = access_checks_enabled() && (id < kProfileFirstBlocks || id % stride == 0);
  if (!g_profile_block) return;
  ++g_profiled;
  g_threads.resize(g_run.block->threads.size());
  for (std::vector<Record>& t : g_threads) t.clear();
}

void profile_warp_interval_end(unsigned warp) {
  if (g_profile_block) flush_warp(warp);
}

void profile_interval_end() {
  if (g_profile_block) flush_all();
}

void profile_block_end(bool completed) {
  if (g_profile_block && completed) flush_all();
  g_profile_block = false;
}

void profile_launch_end() {
  if (!g_launch) return;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = std::find_if(g_profiles.begin(), g_profiles.end(),
                         [](const KernelProfile& p) { return p.name == g_launch->name; });
  if (it == g_profiles.end()) {
    g_profiles.emplace_back();
    it = g_profiles.end() - 1;
    it->name = g_launch->name;
  }
  ++it->launches;
  it->grid = g_launch->grid;
  it->block = g_launch->block;
  it->dynamic_shared = g_launch->dynamic_shared;
  it->blocks += g_blocks;
  it->profiled_blocks += g_profiled;
  it->sampled += g_counts;
  it->estimated += g_counts.scaled(g_profiled ? double(g_blocks) / double(g_profiled) : 0.0);
  g_launch = nullptr;
}

}  // namespace detail

void set_profiling(bool on) { detail::g_on.store(on, std::memory_order_relaxed); }
bool profiling() { return detail::g_on.load(std::memory_order_relaxed); }

std::vector<KernelProfile> kernel_profiles() {
  std::lock_guard<std::mutex> lock(detail::g_mu);
  return detail::g_profiles;
}

void reset_profiles() {
  std::lock_guard<std::mutex> lock(detail::g_mu);
  detail::g_profiles.clear();
}

}  // namespace cyclone::emu
