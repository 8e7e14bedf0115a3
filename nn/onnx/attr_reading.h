// The small helpers every attribute reader of the ONNX importer uses (attrs.cpp,
// attrs_resize.cpp): typed lookups with defaults, the one wording of an unsupported value,
// and running a node's readers one by one so that each problem is reported.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/onnx.h"
#include "nn/onnx/attrs.h"

namespace cyclone::nn::onnx {

inline std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

[[noreturn]] inline void bad(const std::string& name, const std::string& value, const std::string& supported) {
  throw std::invalid_argument("attribute '" + name + "' = " + value + " is not supported (" + supported + ")");
}

inline int64_t int_attr(const io::OnnxNode& n, const std::string& name, int64_t fallback) {
  const io::OnnxAttribute* a = n.attribute(name);
  return a ? a->as_int() : fallback;
}

inline std::string string_attr(const io::OnnxNode& n, const std::string& name, const std::string& fallback) {
  const io::OnnxAttribute* a = n.attribute(name);
  return a ? a->as_string() : fallback;
}

// auto_pad's value, checked.
inline AutoPad auto_pad_of(const std::string& s) {
  if (s == "NOTSET") return AutoPad::notset;
  if (s == "VALID") return AutoPad::valid;
  if (s == "SAME_UPPER") return AutoPad::same_upper;
  if (s == "SAME_LOWER") return AutoPad::same_lower;
  bad("auto_pad", "'" + s + "'", "NOTSET, VALID, SAME_UPPER or SAME_LOWER");
}

// One reader per attribute, each storing into the op's attribute struct: the ops run them
// all, and the import check runs them one by one to report every problem of a node.
using Readers = std::vector<std::function<void()>>;

inline std::vector<std::string> problems_of(const Readers& readers) {
  std::vector<std::string> out;
  for (const auto& read : readers) {
    try {
      read();
    } catch (const std::exception& e) {
      out.push_back(e.what());
    }
  }
  return out;
}

}  // namespace cyclone::nn::onnx
