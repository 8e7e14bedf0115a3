// Where a tensor's memory lives: the host (CPU) or one CUDA device.
#pragma once
#include <cstddef>
#include <string>

namespace cyclone {

struct Device {
  enum class Type { CPU, CUDA };
  Type type = Type::CPU;
  int index = 0;

  constexpr Device() = default;
  constexpr Device(Type t, int i = 0) : type(t), index(i) {}
  // Parses "cpu", "cuda" or "cuda:N"; throws on anything else.
  static Device parse(const std::string& spec);

  bool is_cpu() const { return type == Type::CPU; }
  bool is_cuda() const { return type == Type::CUDA; }
  std::string str() const;
  friend bool operator==(const Device& a, const Device& b) {
    return a.type == b.type && (a.type == Type::CPU || a.index == b.index);
  }
};

inline constexpr Device kCPU{Device::Type::CPU, 0};
inline constexpr Device kCUDA{Device::Type::CUDA, 0};

// Runtime information about the CUDA backend.
bool cuda_built();            // compiled with the CUDA backend
bool cuda_emulated();         // that backend is the emulated device on the CPU (CYCLONE_CUDA=EMULATE)
int cuda_device_count();      // 0 when not built or no GPU/driver is present
bool cuda_available();        // cuda_built() && cuda_device_count() > 0
std::string cuda_device_name(int index);  // e.g. "NVIDIA H100 80GB HBM3"
size_t cuda_memory_total(int index);      // bytes of memory on that device
// Waits for all queued work on the current device's stream (explicit sync point).
void cuda_synchronize();

}  // namespace cyclone
