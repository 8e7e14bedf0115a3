// The CPU thread count, forwarded to the CPU backend's thread pool.
#include "tensor/threads.h"

#include "kernels/cpu/parallel.h"

namespace cyclone {

int num_threads() { return kernels::cpu::num_threads(); }
void set_num_threads(int n) { kernels::cpu::set_num_threads(n); }

}  // namespace cyclone
