// Reference arrays from the committed fixture files (.npz written by the generators under
// tests/fixtures/): each file is read once per test process.
#pragma once
#include <map>
#include <stdexcept>
#include <string>

#include "nn/state_io.h"
#include "tensor/tensor.h"

namespace cyclone::test {

// Every array of the .npz at `path`, by name. The cache is never destroyed: its tensors
// would otherwise be freed at exit after the allocator they came from.
inline const std::map<std::string, Tensor>& npz_fixture_file(const std::string& path) {
  static auto* files = new std::map<std::string, std::map<std::string, Tensor>>;
  auto it = files->find(path);
  if (it == files->end()) {
    std::map<std::string, Tensor> arrays;
    for (auto& [k, v] : nn::load_npz_tensors(path)) arrays[k] = v;
    it = files->emplace(path, std::move(arrays)).first;
  }
  return it->second;
}

// Array `key` of the .npz at `path`; throws naming both when the key is missing.
inline Tensor npz_fixture(const std::string& path, const std::string& key) {
  const auto& arrays = npz_fixture_file(path);
  const auto a = arrays.find(key);
  if (a == arrays.end()) throw std::runtime_error(path + ": no reference array '" + key + "'");
  return a->second;
}

}  // namespace cyclone::test
