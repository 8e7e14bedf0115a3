// Atomics on the emulated device. Only one GPU thread runs at a time and none
// is switched out inside an atomic, so each is a plain read-modify-write; the
// address is checked like any access, and atomics never race with each other.
#include "kernels/cuda/emulator/state.h"

namespace {
template <class T, class F>
T atomic_update(T* p, F&& f) {
  cyclone::emu::detail::on_atomic(p, sizeof(T));
  const T old = *p;
  *p = f(old);
  return old;
}
}  // namespace

int atomicAdd(int* p, int v) { return atomic_update(p, [v](int o) { return o + v; }); }
unsigned atomicAdd(unsigned* p, unsigned v) { return atomic_update(p, [v](unsigned o) { return o + v; }); }
unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return atomic_update(p, [v](unsigned long long o) { return o + v; });
}
float atomicAdd(float* p, float v) { return atomic_update(p, [v](float o) { return o + v; }); }
double atomicAdd(double* p, double v) { return atomic_update(p, [v](double o) { return o + v; }); }
int atomicSub(int* p, int v) { return atomic_update(p, [v](int o) { return o - v; }); }
unsigned atomicSub(unsigned* p, unsigned v) { return atomic_update(p, [v](unsigned o) { return o - v; }); }
int atomicExch(int* p, int v) { return atomic_update(p, [v](int) { return v; }); }
unsigned atomicExch(unsigned* p, unsigned v) { return atomic_update(p, [v](unsigned) { return v; }); }
float atomicExch(float* p, float v) { return atomic_update(p, [v](float) { return v; }); }
int atomicMin(int* p, int v) { return atomic_update(p, [v](int o) { return v < o ? v : o; }); }
unsigned atomicMin(unsigned* p, unsigned v) { return atomic_update(p, [v](unsigned o) { return v < o ? v : o; }); }
int atomicMax(int* p, int v) { return atomic_update(p, [v](int o) { return v > o ? v : o; }); }
unsigned atomicMax(unsigned* p, unsigned v) { return atomic_update(p, [v](unsigned o) { return v > o ? v : o; }); }
int atomicCAS(int* p, int c, int v) { return atomic_update(p, [c, v](int o) { return o == c ? v : o; }); }
unsigned atomicCAS(unsigned* p, unsigned c, unsigned v) {
  return atomic_update(p, [c, v](unsigned o) { return o == c ? v : o; });
}
unsigned long long atomicCAS(unsigned long long* p, unsigned long long c, unsigned long long v) {
  return atomic_update(p, [c, v](unsigned long long o) { return o == c ? v : o; });
}
int atomicAnd(int* p, int v) { return atomic_update(p, [v](int o) { return o & v; }); }
int atomicOr(int* p, int v) { return atomic_update(p, [v](int o) { return o | v; }); }
int atomicXor(int* p, int v) { return atomic_update(p, [v](int o) { return o ^ v; }); }
// ((old >= limit) ? 0 : old + 1), as CUDA defines it.
unsigned atomicInc(unsigned* p, unsigned limit) {
  return atomic_update(p, [limit](unsigned o) { return o >= limit ? 0u : o + 1; });
}
