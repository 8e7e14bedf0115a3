// The one way cyclone launches a kernel, in both CUDA builds:
//   launch<kernel>({grid, block, shared_bytes, stream}, args...);
// is kernel<<<grid, block, shared_bytes, stream>>>(args...) under nvcc, and an
// emulated launch (kernels/cuda/emulator/engine.h) in the EMULATE build.
// Follow it with CYCLONE_CUDA_LAUNCH_CHECK(), as after any launch.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace cyclone::kernels::cuda {

struct LaunchShape {
  dim3 grid;
  dim3 block;
  size_t shared_bytes = 0;  // dynamic shared memory, read through CYCLONE_DYNAMIC_SHARED
  cudaStream_t stream = nullptr;
};

template <auto Kernel, class... Args>
void launch(const LaunchShape& s, Args&&... args) {
#if defined(CYCLONE_CUDA_EMULATED)
  ::cyclone::emu::launch_kernel<Kernel>(s.grid, s.block, s.shared_bytes, s.stream, std::forward<Args>(args)...);
#else
  Kernel<<<s.grid, s.block, s.shared_bytes, s.stream>>>(std::forward<Args>(args)...);
#endif
}

}  // namespace cyclone::kernels::cuda

// Inside a kernel: `T* name` pointing at the launch's dynamic shared memory.
#if defined(CYCLONE_CUDA_EMULATED)
#define CYCLONE_DYNAMIC_SHARED(T, name) T* name = static_cast<T*>(::cyclone::emu::dynamic_shared_memory())
#else
#define CYCLONE_DYNAMIC_SHARED(T, name) \
  extern __shared__ __align__(16) unsigned char name##_bytes_[]; \
  T* name = reinterpret_cast<T*>(name##_bytes_)
#endif
