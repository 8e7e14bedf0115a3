// libFuzzer target for io/npz + io/npy: arbitrary bytes must either parse or throw
// std::runtime_error; anything parsed must be self-consistent and survive a save/load round trip.
// Build and run with tests/fuzz/run_fuzz.sh.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "io/npy.h"
#include "io/npz.h"

namespace {

void check_round_trip(const std::map<std::string, cyclone::io::NdArray>& arrays) {
  std::ostringstream out;
  cyclone::io::write_npz(out, arrays, cyclone::io::ZipWriteOptions{});
  const std::string bytes = out.str();
  const auto again = cyclone::io::parse_npz(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "round-trip.npz");
  if (again.size() != arrays.size()) std::abort();
  for (const auto& [key, a] : arrays) {
    const auto& b = again.at(key);
    if (b.dtype != a.dtype || b.shape != a.shape || b.bytes != a.bytes) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  try {
    const auto arrays = cyclone::io::parse_npz(input, "fuzz.npz");
    for (const auto& [key, a] : arrays)
      if (!a.consistent()) std::abort();
    check_round_trip(arrays);
  } catch (const std::runtime_error&) {
  }
  try {
    const cyclone::io::NdArray a = cyclone::io::parse_npy(input, "fuzz.npy");
    if (!a.consistent()) std::abort();
    const auto bytes = cyclone::io::serialize_npy(a);
    if (cyclone::io::parse_npy(bytes, "round-trip.npy").bytes != a.bytes) std::abort();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
