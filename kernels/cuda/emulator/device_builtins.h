// The device side of CUDA C++ for the emulated build (-DCYCLONE_CUDA=EMULATE):
// the keywords, vector types, built-in variables, math intrinsics, atomics and
// the block/warp collectives, so that kernels/cuda/*.cu compile unmodified as
// C++ and run on the CPU. Collectives are implemented by the scheduler
// (scheduler.cpp); everything else is inline here.
#pragma once
#include <math.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- keywords ----
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Static __shared__ arrays are function-local statics in one section, so that
// "is this shared memory?" is a range check; one block runs at a time, so the
// section is the running block's shared memory.
#define __shared__ __attribute__((section("cyclone_shared"))) static

// ---- vector types ----
struct uint3 { unsigned x, y, z; };
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return {x, y, z}; }
};
// The 8- and 16-byte vector types check, whenever one is copied in or out of
// memory, that the address is aligned to their size: x86 tolerates a misaligned
// float4, a GPU faults (and a compiler may split the access into aligned pieces
// that no load hook would flag).
namespace cyclone::emu {
void misaligned_vector(const void* address, unsigned alignment);
inline void check_vector_alignment(const void* p, unsigned alignment) {
  auto address = reinterpret_cast<uintptr_t>(p);
  __asm__("" : "+r"(address));  // else the compiler assumes the alignment the type promises
  if (address % alignment) misaligned_vector(p, alignment);
}
}  // namespace cyclone::emu
#define CYCLONE_EMU_VEC2(T, name, a)                                                          \
  struct __align__(a) name {                                                                  \
    T x, y;                                                                                   \
    name() = default;                                                                         \
    constexpr name(T vx, T vy) : x(vx), y(vy) {}                                              \
    name(const name& o) : x(o.x), y(o.y) { cyclone::emu::check_vector_alignment(&o, a); }     \
    name& operator=(const name& o) {                                                          \
      cyclone::emu::check_vector_alignment(this, a);                                          \
      x = o.x;                                                                                \
      y = o.y;                                                                                \
      return *this;                                                                           \
    }                                                                                         \
  };
#define CYCLONE_EMU_VEC4(T, name, a)                                                                      \
  struct __align__(a) name {                                                                              \
    T x, y, z, w;                                                                                         \
    name() = default;                                                                                     \
    constexpr name(T vx, T vy, T vz, T vw) : x(vx), y(vy), z(vz), w(vw) {}                                \
    name(const name& o) : x(o.x), y(o.y), z(o.z), w(o.w) { cyclone::emu::check_vector_alignment(&o, a); } \
    name& operator=(const name& o) {                                                                      \
      cyclone::emu::check_vector_alignment(this, a);                                                      \
      x = o.x;                                                                                            \
      y = o.y;                                                                                            \
      z = o.z;                                                                                            \
      w = o.w;                                                                                            \
      return *this;                                                                                       \
    }                                                                                                     \
  };
CYCLONE_EMU_VEC2(float, float2, 8)
CYCLONE_EMU_VEC4(float, float4, 16)
CYCLONE_EMU_VEC2(int, int2, 8)
CYCLONE_EMU_VEC4(int, int4, 16)
CYCLONE_EMU_VEC2(unsigned, uint2, 8)
CYCLONE_EMU_VEC4(unsigned, uint4, 16)
CYCLONE_EMU_VEC2(double, double2, 16)
CYCLONE_EMU_VEC2(long long, longlong2, 16)
#undef CYCLONE_EMU_VEC2
#undef CYCLONE_EMU_VEC4
struct float3 { float x, y, z; };
struct int3 { int x, y, z; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

// ---- built-in variables: set by the scheduler for the thread that runs ----
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
constexpr int warpSize = 32;

// ---- integer and float helpers that CUDA overloads for device code ----
template <class A, class B>
inline std::common_type_t<A, B> min(A a, B b) {
  using T = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<T>) return fmin(T(a), T(b));
  else return T(b) < T(a) ? T(b) : T(a);
}
template <class A, class B>
inline std::common_type_t<A, B> max(A a, B b) {
  using T = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<T>) return fmax(T(a), T(b));
  else return T(a) < T(b) ? T(b) : T(a);
}

// ---- math intrinsics: the host's libm stands in for the device's ----
// (device expf/logf/... differ from glibc's by an ulp or two; see docs/tour/emulator.md)
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float f) { int v; std::memcpy(&v, &f, 4); return v; }
inline float __uint_as_float(unsigned v) { float f; std::memcpy(&f, &v, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned v; std::memcpy(&v, &f, 4); return v; }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz(static_cast<unsigned>(v)); }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline unsigned __brev(unsigned v) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}
template <class T>
inline T __ldg(const T* p) { return *p; }

// ---- fences: one thread runs at a time, so only the compiler must not reorder ----
inline void __threadfence() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

// ---- collectives, implemented by the scheduler; each names its call site ----
#define CYCLONE_EMU_SITE const char* file = __builtin_FILE(), int line = __builtin_LINE()
void __syncthreads(CYCLONE_EMU_SITE);
int __syncthreads_count(int pred, CYCLONE_EMU_SITE);
int __syncthreads_and(int pred, CYCLONE_EMU_SITE);
int __syncthreads_or(int pred, CYCLONE_EMU_SITE);
void __syncwarp(unsigned mask = 0xffffffffu, CYCLONE_EMU_SITE);
unsigned __ballot_sync(unsigned mask, int pred, CYCLONE_EMU_SITE);
int __any_sync(unsigned mask, int pred, CYCLONE_EMU_SITE);
int __all_sync(unsigned mask, int pred, CYCLONE_EMU_SITE);
unsigned __activemask();

namespace cyclone::emu {
enum class Shuffle : uint8_t { Index, Xor, Up, Down };
// Exchanges 8 bytes per lane; the typed __shfl*_sync below wrap it.
uint64_t warp_shuffle(Shuffle kind, unsigned mask, uint64_t bits, int arg, int width, const char* file, int line);

template <class T>
inline T shuffle(Shuffle kind, unsigned mask, T v, int arg, int width, const char* file, int line) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "__shfl_sync of a type over 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = warp_shuffle(kind, mask, bits, arg, width, file, line);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
}  // namespace cyclone::emu

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = warpSize, CYCLONE_EMU_SITE) {
  return cyclone::emu::shuffle(cyclone::emu::Shuffle::Index, mask, v, src, width, file, line);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize, CYCLONE_EMU_SITE) {
  return cyclone::emu::shuffle(cyclone::emu::Shuffle::Xor, mask, v, lane_mask, width, file, line);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize, CYCLONE_EMU_SITE) {
  return cyclone::emu::shuffle(cyclone::emu::Shuffle::Up, mask, v, static_cast<int>(delta), width, file, line);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize, CYCLONE_EMU_SITE) {
  return cyclone::emu::shuffle(cyclone::emu::Shuffle::Down, mask, v, static_cast<int>(delta), width, file, line);
}

// ---- atomics: checked and applied by the runtime (no other thread runs meanwhile) ----
int atomicAdd(int* p, int v);
unsigned atomicAdd(unsigned* p, unsigned v);
unsigned long long atomicAdd(unsigned long long* p, unsigned long long v);
float atomicAdd(float* p, float v);
double atomicAdd(double* p, double v);
int atomicSub(int* p, int v);
unsigned atomicSub(unsigned* p, unsigned v);
int atomicExch(int* p, int v);
unsigned atomicExch(unsigned* p, unsigned v);
float atomicExch(float* p, float v);
int atomicMin(int* p, int v);
unsigned atomicMin(unsigned* p, unsigned v);
int atomicMax(int* p, int v);
unsigned atomicMax(unsigned* p, unsigned v);
int atomicCAS(int* p, int compare, int v);
unsigned atomicCAS(unsigned* p, unsigned compare, unsigned v);
unsigned long long atomicCAS(unsigned long long* p, unsigned long long compare, unsigned long long v);
int atomicAnd(int* p, int v);
int atomicOr(int* p, int v);
int atomicXor(int* p, int v);
unsigned atomicInc(unsigned* p, unsigned limit);

// ---- the emulated PTX of kernels/cuda/ptx.h (scheduler.cpp, async_copy.cpp) ----
namespace cyclone::emu {
// The warp collective behind mma.sync and ldmatrix (.aligned: every lane of `mask` at the
// same call site): each lane gives `words` 32-bit words and, once all have arrived, receives
// every lane's, lane l's at all[l * words]. `name` is the instruction, for errors. Returns
// the calling lane.
unsigned warp_exchange(const char* name, unsigned mask, const uint32_t* mine, unsigned words, uint32_t* all,
                       const char* file, int line);
// cp.async for the calling thread: a 16-byte copy of `words` into shared `dst` (which holds
// a signalling-NaN pattern until the copy lands); commit closes the open group; wait lands
// the copies of every committed group but the newest `pending`, each through `deliver`.
void async_copy_issue(void* dst, const uint32_t* words);
void async_copy_commit();
void async_copy_wait(int pending, void (*deliver)(uint32_t* dst, const uint32_t* words));
}  // namespace cyclone::emu

// Dynamic shared memory (the launch's shared-memory bytes): CYCLONE_DYNAMIC_SHARED in
// kernels/cuda/launch.h declares it the same way in both builds.
namespace cyclone::emu {
void* dynamic_shared_memory();
}
