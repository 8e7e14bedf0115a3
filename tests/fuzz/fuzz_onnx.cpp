// libFuzzer target for io/onnx + io/protobuf_wire: arbitrary bytes must either parse or throw
// std::runtime_error, and every decoded tensor must match its shape and dtype.
// Build and run with tests/fuzz/run_fuzz.sh.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "io/onnx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const cyclone::io::OnnxModel m = cyclone::io::parse_onnx(std::span<const uint8_t>(data, size), "fuzz.onnx");
    if (m.graph.initializers.size() != m.graph.initializer_order.size()) std::abort();
    for (const auto& [name, a] : m.graph.initializers)
      if (!a.consistent()) std::abort();
    for (const auto& node : m.graph.nodes)
      for (const auto& attr : node.attributes)
        if (attr.type == cyclone::io::OnnxAttrType::tensor && !attr.t.consistent()) std::abort();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
