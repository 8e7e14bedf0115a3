// Runs the ONNX project's backend node tests (one model.onnx and its input_N.pb /
// output_N.pb per folder, made by tools/python/gen_onnx_node_tests.py) through cyclone's
// importer on one device or more, and writes a pass/fail/skip table in markdown.
//
//   cyclone_onnx_node_tests DATA_DIR [--device cpu|cuda|cpu,cuda] [--table FILE] [--filter TEXT]
//
// A test whose ops cyclone doesn't import is "not supported" (counted, not run). Every other
// test must pass, with ONNX's own tolerance (rtol 1e-3, atol 1e-7, as the onnx backend test
// runner), or be skipped for a reason stated in kSkips below or found in its data (a data
// type that cyclone's tensors don't have). Exit status: 0 when none failed, 1 otherwise.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cyclone.h"
#include "io/file_io.h"
#include "io/onnx.h"
#include "nn/state_io.h"
#include "nn/onnx/ops.h"
#include "nn/onnx/program.h"

namespace fs = std::filesystem;
using namespace cyclone;
namespace onnx = cyclone::nn::onnx;

namespace {

// Tests of supported ops that are skipped on purpose, with the reason ('*': any characters).
const std::vector<std::pair<std::string, std::string>> kSkips = {
    {"test_training_dropout", "random output: a Dropout in training mode draws its own mask"},
    {"test_training_dropout_default", "random output: a Dropout in training mode draws its own mask"},
    {"test_training_dropout_default_mask", "random output: a Dropout in training mode draws its own mask"},
    {"test_training_dropout_mask", "random output: a Dropout in training mode draws its own mask"},
    {"test_resize_*cubic*", "Resize: cubic interpolation is not supported (nearest and linear are)"},
    {"test_resize_tf_crop_and_resize", "Resize: tf_crop_and_resize is not supported"},
    {"test_convtranspose_3d", "ConvTranspose: only 1-D and 2-D are supported"},
    {"test_maxpool_with_argmax_*", "MaxPool: the Indices output is not supported"},
};

// Whether `name` matches `pattern`, where '*' stands for any run of characters.
bool matches(const std::string& pattern, const std::string& name) {
  const size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern == name;
  if (name.compare(0, star, pattern, 0, star) != 0) return false;
  const std::string rest = pattern.substr(star + 1);
  for (size_t at = star; at <= name.size(); ++at) {
    if (matches(rest, name.substr(at))) return true;
  }
  return false;
}

std::string skip_reason(const std::string& name) {
  for (const auto& [pattern, why] : kSkips) {
    if (matches(pattern, name)) return why;
  }
  return "";
}

constexpr double kRtol = 1e-3, kAtol = 1e-7;

enum class Result { pass, fail, skip, unsupported };

struct Row {
  std::string name, ops;
  Result result = Result::pass;
  std::string note;
};

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

io::NdArray read_tensor(const fs::path& p) {
  const auto bytes = read_bytes(p);
  return io::parse_onnx_tensor(bytes, p.filename().string());
}

bool is_float(const io::NdArray& a) { return a.dtype == io::DType::f32 || a.dtype == io::DType::f64; }

// How the graph uses input `name`: as a parameter of some node.
bool used_as_parameter(const onnx::Program& p, const std::string& name) {
  for (const auto& n : p.nodes()) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == name && onnx::host_input(n.op_type, i)) return true;
    }
  }
  return false;
}

// Flattened values and shape of an output, for comparison.
struct Flat {
  Shape shape;
  std::vector<double> values;
};

Flat flatten(const onnx::Value& v) {
  Flat f;
  if (const auto* h = std::get_if<onnx::HostArray>(&v)) {
    f.shape = h->shape;
    for (size_t i = 0; i < h->numel(); ++i) f.values.push_back(h->real(i));
    return f;
  }
  const Tensor t = std::get<Tensor>(v).to(kCPU).contiguous();
  f.shape = t.shape();
  if (t.dtype() == DType::i64) {
    for (int64_t x : t.to_vector<int64_t>()) f.values.push_back(static_cast<double>(x));
  } else {
    for (float x : t.to(DType::f32).to_vector<float>()) f.values.push_back(x);
  }
  return f;
}

Flat flatten(const io::NdArray& a) {
  Flat f;
  f.shape = Shape(a.shape.begin(), a.shape.end());
  const io::NdArray d = io::convert(a, io::DType::f64, true);
  f.values = d.values<double>();
  return f;
}

// "" when `got` matches `want` within ONNX's tolerance (NaN matches NaN), else what differs.
std::string compare(const Flat& got, const Flat& want) {
  if (got.shape != want.shape) return "shape " + shape_str(got.shape) + ", expected " + shape_str(want.shape);
  double worst = 0;
  size_t at = 0, bad = 0;
  for (size_t i = 0; i < want.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    if (std::isnan(g) && std::isnan(w)) continue;
    if (std::isinf(w) && g == w) continue;
    const double err = std::abs(g - w), allowed = kAtol + kRtol * std::abs(w);
    if (!(err <= allowed)) {
      ++bad;
      if (!(err <= worst)) worst = err, at = i;
    }
  }
  if (bad == 0) return "";
  std::ostringstream s;
  s << bad << " of " << want.values.size() << " values differ; worst at " << at << ": " << got.values[at]
    << ", expected " << want.values[at];
  return s.str();
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '|', '/');
  if (s.size() > 300) s = s.substr(0, 297) + "...";
  return s;
}

Row run_one(const fs::path& dir, Device device) {
  Row row;
  row.name = dir.filename().string();
  const io::OnnxModel model = io::load_onnx((dir / "model.onnx").string());
  std::set<std::string> ops, missing;
  const auto supported = nn::onnx_supported_ops();
  for (const auto& n : model.graph.nodes) {
    const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
    const std::string op = default_domain ? n.op_type : n.domain + "::" + n.op_type;
    ops.insert(op);
    if (!default_domain || !std::binary_search(supported.begin(), supported.end(), n.op_type)) missing.insert(op);
  }
  for (const auto& op : ops) row.ops += (row.ops.empty() ? "" : " ") + op;
  if (!missing.empty()) {
    row.result = Result::unsupported;
    for (const auto& op : missing) row.note += (row.note.empty() ? "" : " ") + op;
    return row;
  }
  if (const std::string why = skip_reason(row.name); !why.empty()) {
    row.result = Result::skip;
    row.note = why;
    return row;
  }
  const fs::path data = dir / "test_data_set_0";
  std::vector<io::NdArray> inputs, outputs;
  try {
    for (size_t i = 0; fs::exists(data / ("input_" + std::to_string(i) + ".pb")); ++i)
      inputs.push_back(read_tensor(data / ("input_" + std::to_string(i) + ".pb")));
    for (size_t i = 0; fs::exists(data / ("output_" + std::to_string(i) + ".pb")); ++i)
      outputs.push_back(read_tensor(data / ("output_" + std::to_string(i) + ".pb")));
  } catch (const std::exception& e) {
    row.result = Result::skip;
    row.note = std::string("data cyclone's tensors can't hold (a type other than float32/64, int8/32/64, uint8 and "
                           "bool, or not a tensor): ") + one_line(e.what());
    return row;
  }
  try {
    const onnx::Program program(model, row.name, onnx::GraphIo::any);
    if (program.inputs().size() != inputs.size()) {
      throw std::runtime_error("the graph takes " + std::to_string(program.inputs().size()) + " inputs, the data has " +
                               std::to_string(inputs.size()));
    }
    std::vector<onnx::Value> values;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const std::string& name = program.inputs()[i].name;
      if (is_float(inputs[i]) && !used_as_parameter(program, name))
        values.emplace_back(nn::tensor_from_ndarray(inputs[i], name, true).to(device));
      else
        values.emplace_back(onnx::HostArray::from_ndarray(inputs[i]));
    }
    NoGradGuard no_grad;
    const std::vector<onnx::Value> got = program.evaluate(program.full_plan(), values, false, device);
    if (got.size() != outputs.size()) throw std::runtime_error("wrong number of outputs");
    for (size_t k = 0; k < got.size(); ++k) {
      const std::string diff = compare(flatten(got[k]), flatten(outputs[k]));
      if (!diff.empty()) {
        row.result = Result::fail;
        row.note = "output " + std::to_string(k) + ": " + diff;
        return row;
      }
    }
  } catch (const std::exception& e) {
    row.result = Result::fail;
    row.note = one_line(e.what());
  }
  return row;
}

const char* label(Result r) {
  switch (r) {
    case Result::pass: return "pass";
    case Result::fail: return "FAIL";
    case Result::skip: return "skip";
    case Result::unsupported: return "not supported";
  }
  return "?";
}


// Runs one test folder, turning an unexpected exception into a failure.
Row run_guarded(const fs::path& dir, Device device) {
  try {
    return run_one(dir, device);
  } catch (const std::exception& e) {
    Row r;
    r.name = dir.filename().string();
    r.result = Result::fail;
    r.note = one_line(e.what());
    return r;
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) out.push_back(part);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cyclone_onnx_node_tests DATA_DIR [--device cpu|cuda|cpu,cuda] [--table FILE] [--filter TEXT]\n";
    return 2;
  }
  fs::path root = argv[1];
  std::string device_list = "cpu", table_path, filter;
  for (int i = 2; i < argc; i += 2) {
    const std::string opt = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "cyclone_onnx_node_tests: option '" << opt << "' needs a value\n";
      return 2;
    }
    if (opt == "--device")
      device_list = argv[i + 1];
    else if (opt == "--table")
      table_path = argv[i + 1];
    else if (opt == "--filter")
      filter = argv[i + 1];
    else {
      std::cerr << "cyclone_onnx_node_tests: unknown option '" << opt << "'\n";
      return 2;
    }
  }
  const std::vector<std::string> device_names = split_commas(device_list);
  std::vector<Device> devices;
  for (const std::string& name : device_names) {
    if (name != "cpu" && name != "cuda") {
      std::cerr << "cyclone_onnx_node_tests: --device: expected cpu, cuda or both separated by a comma, got '"
                << device_list << "'\n";
      return 2;
    }
    if (name == "cuda" && !cuda_available()) {
      std::cerr << "cyclone_onnx_node_tests: no CUDA device (built with CUDA: " << (cuda_built() ? "yes" : "no")
                << ")\n";
      return 77;
    }
    devices.push_back(name == "cuda" ? kCUDA : kCPU);
  }
  if (fs::exists(root / "node")) root /= "node";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name.rfind("test_", 0) == 0 && name.find(filter) != std::string::npos)
      dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) {
    std::cerr << "cyclone_onnx_node_tests: no test_* folders in " << root << "\n";
    return 2;
  }
  // rows[t][d]: test t on device d.
  std::vector<std::vector<Row>> rows;
  std::vector<std::map<Result, int>> counts(devices.size());
  for (const auto& d : dirs) {
    std::vector<Row> per_device;
    for (size_t k = 0; k < devices.size(); ++k) {
      per_device.push_back(run_guarded(d, devices[k]));
      const Row& r = per_device.back();
      ++counts[k][r.result];
      if (r.result == Result::fail) std::cout << "FAIL " << r.name << " (" << device_names[k] << "): " << r.note << "\n";
    }
    rows.push_back(per_device);
  }
  std::ostringstream md;
  md << "# ONNX node tests\n\n"
     << "The ONNX backend node tests of onnx 1.12 (generated by tools/python/gen_onnx_node_tests.py) through "
     << "cyclone's importer, on " << device_list << "; written by tests/onnx_node/node_tests.cpp. A test passes when "
     << "every output matches with rtol " << kRtol << " and atol " << kAtol << ", ONNX's own tolerance.\n\n"
     << "| result |";
  for (const auto& n : device_names) md << " " << n << " |";
  md << "\n| --- |";
  for (size_t k = 0; k < devices.size(); ++k) md << " ---: |";
  md << "\n";
  for (Result r : {Result::pass, Result::fail, Result::skip, Result::unsupported}) {
    md << "| " << label(r) << " |";
    for (size_t k = 0; k < devices.size(); ++k) md << " " << counts[k][r] << " |";
    md << "\n";
  }
  md << "\n## Tests of supported ops\n\n| test | ops |";
  for (const auto& n : device_names) md << " " << n << " |";
  md << " note |\n| --- | --- |";
  for (size_t k = 0; k < devices.size(); ++k) md << " --- |";
  md << " --- |\n";
  for (const auto& per_device : rows) {
    if (per_device[0].result == Result::unsupported) continue;
    std::string note;
    for (const Row& r : per_device) {
      if (note.empty()) note = r.note;
    }
    md << "| " << per_device[0].name << " | " << per_device[0].ops << " |";
    for (const Row& r : per_device) md << " " << label(r.result) << " |";
    md << " " << note << " |\n";
  }
  std::map<std::string, int> missing_ops;
  for (const auto& per_device : rows) {
    if (per_device[0].result != Result::unsupported) continue;
    std::istringstream ops(per_device[0].note);
    for (std::string op; ops >> op;) ++missing_ops[op];
  }
  md << "\n## Ops that cyclone doesn't import (tests using them)\n\n";
  std::string sep;
  for (const auto& [op, n] : missing_ops) md << sep << op << " (" << n << ")", sep = ", ";
  md << "\n";
  if (!table_path.empty()) io::write_file_atomic(table_path, [&](std::ostream& o) { o << md.str(); });
  int failed = 0;
  for (size_t k = 0; k < devices.size(); ++k) {
    std::cout << "onnx node tests on " << device_names[k] << ": " << counts[k][Result::pass] << " pass, "
              << counts[k][Result::fail] << " fail, " << counts[k][Result::skip] << " skip (stated reasons), "
              << counts[k][Result::unsupported] << " use ops cyclone doesn't import\n";
    failed += counts[k][Result::fail];
  }
  return failed == 0 ? 0 : 1;
}
