// Checks on every load and store a kernel makes. The CUDA sources of a clang
// build are compiled with -fsanitize-coverage=trace-loads,trace-stores, which
// calls __sanitizer_cov_loadN/storeN(address) before each access (stack
// accesses excepted). Each access is classified:
//   - shared memory (the cyclone_shared section, or the launch's dynamic
//     shared memory): a shadow word per 4 bytes records the last writer and the
//     readers, with the barrier interval and the warp's __syncwarp count. Two
//     threads touching a word in one interval, one of them writing, with no
//     barrier between them, is a race (as compute-sanitizer's racecheck); a
//     read of a word this block never wrote reads garbage; a word awaiting a
//     cp.async (async_copy.cpp) may not be touched until its wait_group;
//   - the running thread's own stack, kernel parameters, static data: fine;
//   - device memory: it must lie in a live allocation's usable bytes;
//   - anything else is host memory, which a kernel cannot reach.
// Every access of 2, 4, 8 or 16 bytes must be aligned to its size, as on a GPU.
#include <link.h>

#include <algorithm>
#include <cstring>
#include <cxxabi.h>
#include <fstream>
#include <memory>

#include "kernels/cuda/emulator/profile.h"
#include "kernels/cuda/emulator/state.h"

extern "C" char __start_cyclone_shared[], __stop_cyclone_shared[];
// Keeps the section (and so its __start/__stop symbols) in every program.
__attribute__((section("cyclone_shared"), used)) static char g_section_anchor[16];

namespace cyclone::emu {

bool access_checks_enabled() {
#if defined(CYCLONE_EMU_ACCESS_CHECKS)
  return true;
#else
  return false;
#endif
}

namespace detail {
namespace {

struct Word {
  uint64_t write_interval = 0, read_interval = 0;
  uint32_t writer = 0, reader = 0;             // thread (linear index); reader may be kMany
  uint32_t writer_syncs = 0, reader_syncs = 0;  // their warp's __syncwarp count at the time
  int32_t reader_warp = -1;                     // the readers' warp, or -1 if they span warps
  uint64_t async_block = 0;  // a cp.async into it is pending in the block that starts at this interval
};
constexpr uint32_t kMany = 0xffffffffu;

std::vector<Word> g_section_shadow, g_dynamic_shadow;
constexpr int kRecent = 4;
const Allocation* g_recent[kRecent] = {};  // the allocations the last accesses hit, most recent first
uint64_t& g_checked = counters().checked_accesses;
struct Range {
  uintptr_t lo, hi;
};
std::vector<Range> g_image;  // every loaded object's segments: static data a kernel may read
Range g_home{0, 0};          // the segments of the object holding the emulator

int collect_segment(dl_phdr_info* info, size_t, void*) {
  Range obj{UINTPTR_MAX, 0};
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    g_image.push_back({lo, lo + ph.p_memsz});
    obj.lo = std::min(obj.lo, lo);
    obj.hi = std::max(obj.hi, lo + uintptr_t(ph.p_memsz));
  }
  const auto self = reinterpret_cast<uintptr_t>(&threadIdx);
  if (self >= obj.lo && self < obj.hi) g_home = obj;
  return 0;
}

// Reads every loaded object's segments, once.
void load_image_ranges() {
  static const bool loaded = (dl_iterate_phdr(&collect_segment, nullptr), true);
  (void)loaded;
}

// Static data of any loaded object (the emulator's own globals, threadIdx and friends,
// are checked first, in check()).
bool in_image(uintptr_t a) {
  for (const Range& r : g_image) {
    if (a - r.lo < r.hi - r.lo) return true;
  }
  return false;
}

std::string hex(uintptr_t a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%zx", size_t(a));
  return buf;
}

const char* verb(bool write) { return write ? "writes" : "reads"; }

[[noreturn]] void race(uintptr_t a, bool write, const char* other_did, uint32_t other) {
  const std::string who = other == kMany ? "other threads" : "thread " + format_thread(other);
  fault(cudaErrorLaunchFailure, std::string("shared-memory race: this thread ") + verb(write) + " " +
                                    describe_shared(a) + ", which " + who + " " + other_did +
                                    " in the same barrier interval (no __syncthreads between them)");
}

__attribute__((no_sanitize("address", "undefined"))) void shared_access(std::vector<Word>& shadow, size_t offset, unsigned size, bool write, uintptr_t a) {
  const uint32_t me = g_run.thread->linear, warp = me / 32;
  const uint32_t syncs = g_run.block->warps[warp].syncs;
  const uint64_t now = g_run.interval;
  // An earlier access by `other` is ordered before this one when it is this thread's
  // own, or its warp's, with a __syncwarp since.
  auto ordered = [&](uint32_t other, uint32_t other_syncs) {
    return other == me || (other / 32 == warp && other_syncs != syncs);
  };
  for (size_t w = offset / 4; w <= (offset + size - 1) / 4 && w < shadow.size(); ++w) {
    Word& e = shadow[w];
    if (e.async_block == g_run.block_first_interval) {
      fault(cudaErrorLaunchFailure, std::string("this thread ") + verb(write) + " " + describe_shared(a) +
                                        ", shared memory that a cp.async has not yet delivered (no "
                                        "cp.async.wait_group has retired its group)");
    }
    const bool written_here = e.write_interval == now;
    if (write) {
      if (written_here && !ordered(e.writer, e.writer_syncs)) race(a, true, "wrote", e.writer);
      if (e.read_interval == now) {
        const bool conflict = e.reader == kMany ? !(e.reader_warp == int32_t(warp) && e.reader_syncs != syncs)
                                                : !ordered(e.reader, e.reader_syncs);
        if (conflict) race(a, true, "read", e.reader);
      }
      e.write_interval = now;
      e.writer = me;
      e.writer_syncs = syncs;
    } else {
      if (e.write_interval < g_run.block_first_interval) {
        fault(cudaErrorLaunchFailure, "this thread reads " + describe_shared(a) +
                                          ", which no thread of this block has written (shared memory "
                                          "starts as garbage)");
      }
      if (written_here && !ordered(e.writer, e.writer_syncs)) race(a, false, "wrote", e.writer);
      if (e.read_interval != now) {
        e.read_interval = now;
        e.reader = me;
        e.reader_warp = int32_t(warp);
      } else if (e.reader != me) {
        if (e.reader != kMany && e.reader / 32 != warp) e.reader_warp = -1;
        if (e.reader == kMany && e.reader_warp != int32_t(warp)) e.reader_warp = -1;
        e.reader = kMany;
      }
      e.reader_syncs = syncs;
    }
  }
}

[[noreturn]] void bad_global(uintptr_t a, unsigned size, bool write, const Allocation* al) {
  const std::string access = std::string(verb(write)) + " " + std::to_string(size) + " bytes at " + hex(a);
  if (!al) {
    fault(cudaErrorIllegalAddress, "this thread " + access +
                                       ", which is not device memory: a host pointer, or device memory already freed");
  }
  const size_t offset = a - al->base;
  fault(cudaErrorIllegalAddress, "out-of-bounds access: this thread " + access + ", byte " + std::to_string(offset) +
                                     " of a device allocation whose " + std::to_string(al->accessible) +
                                     " bytes are in use (" + std::to_string(al->size) + " allocated)");
}

bool in_use(const Allocation* al, uintptr_t a, unsigned size) {
  return al && a - al->base < al->accessible && a - al->base + size <= al->accessible;
}

// The checker runs on every access: it is kept out of the sanitizers' own instrumentation.
// `site` is the accessing instruction (null for atomics), for the profile counters.
__attribute__((no_sanitize("address", "undefined"))) void check(const void* p, unsigned size, bool write,
                                                                bool atomic, const void* site) {
  if (!in_kernel_here()) return;  // host code in a CUDA source file, on this or another thread
  const auto stack = uintptr_t(g_run.fiber->stack);
  // The scheduler's own host code between the kernel's threads: an inline function it shares
  // with a CUDA source (a std::vector member, say) may be that file's instrumented copy.
  if (reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) - stack >= g_run.fiber->size) return;
  ++g_checked;
  const auto a = reinterpret_cast<uintptr_t>(p);
  if (a - stack < g_run.fiber->size) return;  // the thread's own locals
  if (size > 1 && a % size) {
    fault(cudaErrorMisalignedAddress, std::string("misaligned access: this thread ") + verb(write) + " " +
                                          std::to_string(size) + " bytes at " + hex(a) + ", which is not " +
                                          std::to_string(size) + "-byte aligned");
  }
  const auto section = reinterpret_cast<uintptr_t>(__start_cyclone_shared);
  if (a - section < uintptr_t(__stop_cyclone_shared - __start_cyclone_shared)) {
    if (!atomic) shared_access(g_section_shadow, a - section, size, write, a);
    note_access(Space::StaticShared, a - section, size, write, site);
    return;
  }
  const auto dyn = reinterpret_cast<uintptr_t>(g_run.dynamic_shared);
  if (a - dyn < g_run.dynamic_shared_bytes) {
    if (a - dyn + size > g_run.dynamic_shared_bytes) bad_global(a, size, write, nullptr);
    if (!atomic) shared_access(g_dynamic_shadow, a - dyn, size, write, a);
    note_access(Space::DynamicShared, a - dyn, size, write, site);
    return;
  }
  for (int i = 0; i < kRecent; ++i) {
    if (in_use(g_recent[i], a, size)) return note_access(Space::Global, a, size, write, site);
  }
  if (a - g_home.lo < g_home.hi - g_home.lo) return;
  const Allocation* al = find_allocation(a);
  if (in_use(al, a, size)) {
    for (int i = kRecent - 1; i > 0; --i) g_recent[i] = g_recent[i - 1];
    g_recent[0] = al;
    return note_access(Space::Global, a, size, write, site);
  }
  if (al) bad_global(a, size, write, al);
  if (a - uintptr_t(g_run.args) < g_run.args_bytes || in_image(a)) return;
  bad_global(a, size, write, nullptr);
}

// The name of the __shared__ array holding `address`, from the program's symbol table.
std::string shared_symbol(uintptr_t address, uintptr_t& start) {
  std::ifstream f("/proc/self/exe", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof(ElfW(Ehdr))) return "";
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(bytes.data());
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff + eh->e_shnum * sizeof(ElfW(Shdr)) > bytes.size()) return "";
  const auto* sh = reinterpret_cast<const ElfW(Shdr)*>(bytes.data() + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const auto* syms = reinterpret_cast<const ElfW(Sym)*>(bytes.data() + sh[i].sh_offset);
    const char* names = bytes.data() + sh[sh[i].sh_link].sh_offset;
    const size_t count = sh[i].sh_size / sizeof(ElfW(Sym));
    uintptr_t bias = 0;
    for (size_t s = 0; s < count; ++s) {
      if (std::strcmp(names + syms[s].st_name, "__start_cyclone_shared") == 0) {
        bias = reinterpret_cast<uintptr_t>(__start_cyclone_shared) - syms[s].st_value;
      }
    }
    for (size_t s = 0; s < count; ++s) {
      const uintptr_t lo = syms[s].st_value + bias;
      if (ELF64_ST_TYPE(syms[s].st_info) != STT_OBJECT || address < lo || address >= lo + syms[s].st_size) continue;
      start = lo;
      int status = 0;
      std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(names + syms[s].st_name, nullptr, nullptr, &status),
                                               std::free);
      return status == 0 ? d.get() : names + syms[s].st_name;
    }
  }
  return "";
}

}  // namespace

void begin_block_checks() {
  for (const Allocation*& r : g_recent) r = nullptr;
  load_image_ranges();
  if (!access_checks_enabled()) return;
  const size_t words = size_t(__stop_cyclone_shared - __start_cyclone_shared) / 4 + 1;
  if (g_section_shadow.size() != words) g_section_shadow.assign(words, Word{});
  const size_t dyn_words = g_run.dynamic_shared_bytes / 4 + 1;
  if (g_dynamic_shadow.size() < dyn_words) g_dynamic_shadow.resize(dyn_words);
}

void on_atomic(const void* p, unsigned bytes) { check(p, bytes, true, true, nullptr); }

bool in_shared_memory(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  const auto section = reinterpret_cast<uintptr_t>(__start_cyclone_shared);
  return a - section < uintptr_t(__stop_cyclone_shared - __start_cyclone_shared) ||
         a - reinterpret_cast<uintptr_t>(g_run.dynamic_shared) < g_run.dynamic_shared_bytes;
}

void on_async_copy(const void* p, unsigned bytes, bool issued) {
  if (!access_checks_enabled()) return;
  const auto a = reinterpret_cast<uintptr_t>(p), section = reinterpret_cast<uintptr_t>(__start_cyclone_shared);
  const bool in_section = a - section < uintptr_t(__stop_cyclone_shared - __start_cyclone_shared);
  std::vector<Word>& shadow = in_section ? g_section_shadow : g_dynamic_shadow;
  const size_t offset = in_section ? a - section : a - reinterpret_cast<uintptr_t>(g_run.dynamic_shared);
  if (issued) shared_access(shadow, offset, bytes, true, a);  // the copy may land at once: a write now
  for (size_t w = offset / 4; w <= (offset + bytes - 1) / 4 && w < shadow.size(); ++w) {
    shadow[w].async_block = issued ? g_run.block_first_interval : 0;
  }
}

std::string describe_shared(uintptr_t a) {
  const auto dyn = reinterpret_cast<uintptr_t>(g_run.dynamic_shared);
  if (a - dyn < g_run.dynamic_shared_bytes) return "dynamic shared memory byte " + std::to_string(a - dyn);
  uintptr_t start = 0;
  const std::string name = shared_symbol(a, start);
  if (name.empty()) return "shared memory at " + hex(a);
  return "byte " + std::to_string(a - start) + " of __shared__ " + name + " (" + hex(a) + ")";
}

}  // namespace detail

void misaligned_vector(const void* address, unsigned alignment) {
  if (!detail::in_kernel_here()) return;  // host code may keep vectors anywhere
  detail::fault(cudaErrorMisalignedAddress, "misaligned access: this thread copies a " + std::to_string(alignment) +
                                                "-byte vector at " + detail::hex(reinterpret_cast<uintptr_t>(address)) +
                                                ", which is not " + std::to_string(alignment) + "-byte aligned");
}

}  // namespace cyclone::emu

// The hooks clang's -fsanitize-coverage=trace-loads,trace-stores calls.
#define CYCLONE_EMU_HOOK(n, T)                                                                        \
  extern "C" void __sanitizer_cov_load##n(T* p) {                                                    \
    cyclone::emu::detail::check(p, n, false, false, __builtin_return_address(0));                    \
  }                                                                                                   \
  extern "C" void __sanitizer_cov_store##n(T* p) {                                                   \
    cyclone::emu::detail::check(p, n, true, false, __builtin_return_address(0));                     \
  }
CYCLONE_EMU_HOOK(1, uint8_t)
CYCLONE_EMU_HOOK(2, uint16_t)
CYCLONE_EMU_HOOK(4, uint32_t)
CYCLONE_EMU_HOOK(8, uint64_t)
CYCLONE_EMU_HOOK(16, void)  // clang passes an __int128*; the type does not matter here
#undef CYCLONE_EMU_HOOK
// The counters' table the instrumentation registers at start-up (inline-8bit-counters is
// there only because clang instruments loads and stores under a coverage mode). A
// sanitizer runtime defines it too, weakly; a build without one needs this.
extern "C" __attribute__((weak)) void __sanitizer_cov_8bit_counters_init(char*, char*) {}
