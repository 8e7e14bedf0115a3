// The emulation header: in a -DCYCLONE_CUDA=EMULATE build this folder is on
// the include path of the CUDA sources, so their `#include <cuda_runtime.h>`
// finds this file, and kernels/cuda/*.cu compile as C++ with the host compiler.
// Device side: kernels/cuda/emulator/device_builtins.h; host side:
// kernels/cuda/emulator/runtime_api.h; how it runs: docs/tour/emulator.md.
#pragma once
#define CYCLONE_CUDA_EMULATED 1
#include "kernels/cuda/emulator/device_builtins.h"
#include "kernels/cuda/emulator/engine.h"
#include "kernels/cuda/emulator/runtime_api.h"
