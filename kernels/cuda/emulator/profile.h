// The profile counters' hooks (engine.h's set_profiling), called by the access checks and the scheduler.
#pragma once
#include <cstdint>

#include "kernels/cuda/emulator/engine.h"

namespace cyclone::emu::detail {

enum class Space : uint8_t { Global, StaticShared, DynamicShared };

// True while a profiled block runs.
extern bool g_profile_block;
// A load or store of the running thread: `where` is the device address (Global) or the
// byte offset in that shared memory; `site` is the instruction's address (null: not recorded).
void profile_access(Space space, uintptr_t where, unsigned size, bool write, const void* site);
// The access checks' one branch when profiling is off.
inline void note_access(Space space, uintptr_t where, unsigned size, bool write, const void* site) {
  if (__builtin_expect(g_profile_block, 0)) profile_access(space, where, size, write, site);
}

void profile_launch_begin(const KernelLaunch& k);
void profile_block_begin();            // blockIdx and gridDim are set
void profile_warp_interval_end(unsigned warp);  // a warp collective completed
void profile_interval_end();           // a __syncthreads was released
void profile_block_end(bool completed);
void profile_launch_end();

}  // namespace cyclone::emu::detail
