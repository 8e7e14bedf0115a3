// The CPU backend's thread count: how many threads the CPU kernels split their
// work over. Defaults to the hardware's, or CYCLONE_NUM_THREADS when set.
// Results do not depend on it (every kernel splits its work deterministically).
#pragma once

namespace cyclone {

int num_threads();
void set_num_threads(int n);  // n >= 1

}  // namespace cyclone
