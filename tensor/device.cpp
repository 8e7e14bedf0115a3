// Device parsing/printing and CUDA runtime queries.
#include "tensor/device.h"

#include <stdexcept>

#include "kernels/cuda_runtime.h"

namespace cyclone {

Device Device::parse(const std::string& spec) {
  if (spec == "cpu") return kCPU;
  if (spec == "cuda") return kCUDA;
  if (spec.rfind("cuda:", 0) == 0) {
    const std::string n = spec.substr(5);
    if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) {
      return Device(Type::CUDA, std::stoi(n));
    }
  }
  throw std::invalid_argument("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

bool cuda_built() { return kernels::cuda::built(); }
bool cuda_emulated() { return kernels::cuda::emulated(); }
int cuda_device_count() { return kernels::cuda::device_count(); }
bool cuda_available() { return cuda_built() && cuda_device_count() > 0; }
std::string cuda_device_name(int index) { return kernels::cuda::device_name(index); }
size_t cuda_memory_total(int index) { return kernels::cuda::mem_total(index); }
void cuda_synchronize() {
  if (cuda_available()) kernels::cuda::synchronize();
}

}  // namespace cyclone
