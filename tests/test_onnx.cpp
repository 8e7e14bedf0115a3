// Tests for io/protobuf_wire and io/onnx: wire-format edge cases on hand-encoded bytes, and
// ONNX models exported by torch.onnx / onnx.helper (tests/fixtures/io) read back exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "io/onnx.h"
#include "io/protobuf_wire.h"
#include "tests/fixtures/io/expected.h"

using namespace cyclone::io;
namespace fx = io_fixtures;

namespace {

// A tiny protobuf encoder for building test messages.
struct Pb {
  std::vector<uint8_t> b;
  Pb& raw_varint(uint64_t v) {
    while (v >= 0x80) {
      b.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Pb& varint(uint32_t field, uint64_t v) { return raw_varint(field << 3 | 0).raw_varint(v); }
  Pb& fixed32(uint32_t field, float f) {
    raw_varint(field << 3 | 5);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  Pb& fixed64(uint32_t field, double d) {
    raw_varint(field << 3 | 1);
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
    return *this;
  }
  Pb& bytes(uint32_t field, const std::vector<uint8_t>& v) {
    raw_varint(field << 3 | 2).raw_varint(v.size());
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Pb& str(uint32_t field, const std::string& s) { return bytes(field, std::vector<uint8_t>(s.begin(), s.end())); }
  Pb& msg(uint32_t field, const Pb& m) { return bytes(field, m.b); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Compares a loaded model with every expected.txt line for `file`.
void check_model(const std::string& file) {
  const OnnxModel m = load_onnx(fx::path(file));
  size_t opsets = 0, inits = 0, nodes = 0;
  for (const fx::Line& l : fx::lines(file)) {
    CAPTURE(l.kind);
    const auto& f = l.fields;
    if (l.kind == "ir_version") {
      CHECK(m.ir_version == std::stoll(f[0]));
    } else if (l.kind == "producer") {
      CHECK(m.producer_name == f[0]);
    } else if (l.kind == "opset") {
      REQUIRE(opsets < m.opsets.size());
      CHECK(m.opsets[opsets].first == (f[0] == "-" ? "" : f[0]));
      CHECK(m.opsets[opsets++].second == std::stoll(f[1]));
    } else if (l.kind == "init") {
      CAPTURE(f[0]);
      REQUIRE(inits < m.graph.initializer_order.size());
      CHECK(m.graph.initializer_order[inits++] == f[0]);
      REQUIRE(m.graph.initializers.count(f[0]) == 1);
      fx::check_array(m.graph.initializers.at(f[0]), f, 1);
    } else if (l.kind == "node") {
      const size_t i = std::stoul(f[0]);
      REQUIRE(i < m.graph.nodes.size());
      const OnnxNode& n = m.graph.nodes[i];
      ++nodes;
      CHECK(n.op_type == f[1]);
      CHECK(n.name == (f[2] == "-" ? "" : f[2]));
      CHECK(n.domain == (f[3] == "-" ? "" : f[3]));
      CHECK(n.inputs == fx::split(f[4]));
      CHECK(n.outputs == fx::split(f[5]));
    } else if (l.kind == "attr") {
      const OnnxAttribute* a = m.graph.nodes.at(std::stoul(f[0])).attribute(f[1]);
      CAPTURE(f[1]);
      REQUIRE(a != nullptr);
      const std::string& type = f[2];
      if (type == "FLOAT") CHECK(a->as_float() == static_cast<float>(std::stod(f[3])));
      else if (type == "INT") CHECK(a->as_int() == std::stoll(f[3]));
      else if (type == "STRING") CHECK(a->as_string() == f[3]);
      else if (type == "STRINGS") CHECK(a->strings == fx::split(f[3]));
      else if (type == "TENSOR") {
        const NdArray& t = a->as_tensor();
        CHECK(std::string(dtype_name(t.dtype)) == f[3]);
        CHECK(fx::shape_text(t.shape) == f[4]);
        CHECK(std::to_string(crc32(0, t.bytes.data(), static_cast<uInt>(t.bytes.size()))) == f[5]);
      } else if (type == "INTS") {
        std::vector<int64_t> want;
        for (const auto& v : fx::split(f[3])) want.push_back(std::stoll(v));
        CHECK(a->as_ints() == want);
      } else if (type == "FLOATS") {
        std::vector<float> want;
        for (const auto& v : fx::split(f[3])) want.push_back(static_cast<float>(std::stod(v)));
        CHECK(a->as_floats() == want);
      } else {
        FAIL("unexpected attribute type " << type);
      }
    } else if (l.kind == "input" || l.kind == "output") {
      const auto& infos = l.kind == "input" ? m.graph.inputs : m.graph.outputs;
      auto it = std::find_if(infos.begin(), infos.end(), [&](const OnnxValueInfo& v) { return v.name == f[0]; });
      REQUIRE(it != infos.end());
      CHECK(it->elem_type == std::stoi(f[1]));
      std::vector<int64_t> dims;
      for (const auto& v : fx::split(f[2])) dims.push_back(std::stoll(v));
      CHECK(it->dims == dims);
    }
  }
  CHECK(opsets == m.opsets.size());
  CHECK(inits == m.graph.initializers.size());
  CHECK(nodes == m.graph.nodes.size());
  CHECK(inits > 0);
}

}  // namespace

TEST_CASE("protobuf wire reader: varints, fixed values, nested and unknown fields") {
  Pb inner;
  inner.str(1, "conv");
  Pb p;
  p.varint(1, 150).varint(2, static_cast<uint64_t>(-2)).fixed32(3, 1.25f).fixed64(4, -0.5).msg(5, inner);
  p.varint(900, 7).fixed64(901, 1.0).str(902, "skip me").fixed32(903, 2.0f);  // unknown fields
  p.varint(6, UINT64_MAX);
  WireReader r(p.b, "msg");
  std::vector<uint32_t> seen;
  while (r.next()) {
    seen.push_back(r.field());
    if (r.field() == 1) CHECK(r.varint() == 150);
    if (r.field() == 2) CHECK(r.int64() == -2);
    if (r.field() == 3) CHECK(r.float32() == 1.25f);
    if (r.field() == 4) CHECK(r.float64() == -0.5);
    if (r.field() == 5) {
      WireReader n(r.bytes(), "msg.inner");
      REQUIRE(n.next());
      CHECK(n.string() == "conv");
      CHECK_FALSE(n.next());
    }
    if (r.field() == 6) CHECK(r.varint() == UINT64_MAX);
  }
  CHECK(seen == std::vector<uint32_t>{1, 2, 3, 4, 5, 900, 901, 902, 903, 6});
}

TEST_CASE("protobuf wire reader rejects malformed input with a located message") {
  auto drain = [](std::vector<uint8_t> bytes) {
    return error_of([&] {
      WireReader r(bytes, "M");
      while (r.next()) r.skip();
    });
  };
  CHECK(contains(drain({0x08}), "M: field 1: truncated varint"));
  CHECK(contains(drain({0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}), "varint longer than 64 bits"));
  CHECK(contains(drain({0x12, 0x05, 'a', 'b'}), "M: field 2: length 5 runs past the end"));
  CHECK(contains(drain({0x0D, 0x00, 0x00}), "truncated 32-bit value"));
  CHECK(contains(drain({0x0B}), "group wire types are not supported"));
  CHECK(contains(drain({0x0E}), "invalid wire type 6"));
  CHECK(contains(drain({0x00}), "invalid field number 0"));
  CHECK(drain({}).empty());
  CHECK(contains(error_of([] {
                   std::vector<uint8_t> b = {0x0A, 0x00};
                   WireReader r(b, "M");
                   r.next();
                   r.varint();
                 }),
                 "has wire type length-delimited, expected varint"));
}

TEST_CASE("repeated scalars are read packed and unpacked") {
  Pb packed_ints;
  for (int64_t v : {3, -1, 300}) packed_ints.raw_varint(static_cast<uint64_t>(v));
  Pb packed_floats;
  for (float v : {0.5f, -4.0f}) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) packed_floats.b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  Pb p;
  p.bytes(1, packed_ints.b).varint(1, 9).fixed32(2, 1.5f).bytes(2, packed_floats.b).fixed64(3, 2.5);
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<double> doubles;
  WireReader r(p.b, "M");
  while (r.next()) {
    if (r.field() == 1) r.append_int64s(ints);
    if (r.field() == 2) r.append_floats(floats);
    if (r.field() == 3) r.append_doubles(doubles);
  }
  CHECK(ints == std::vector<int64_t>{3, -1, 300, 9});
  CHECK(floats == std::vector<float>{1.5f, 0.5f, -4.0f});
  CHECK(doubles == std::vector<double>{2.5});
}

TEST_CASE("TensorProto: typed fields, raw data and clear errors") {
  Pb t;  // dims unpacked, float_data unpacked (one fixed32 per value), as old writers emit
  t.varint(1, 2).varint(1, 2).varint(2, 1).str(8, "w");
  for (float v : {1.0f, -2.0f, 0.25f, 8.0f}) t.fixed32(4, v);
  std::string name;
  const NdArray a = parse_onnx_tensor(t.b, "T", &name);
  CHECK(name == "w");
  CHECK(a.shape == std::vector<int64_t>{2, 2});
  CHECK(a.values<float>() == std::vector<float>{1.0f, -2.0f, 0.25f, 8.0f});

  Pb raw;
  raw.varint(1, 10).varint(1, 144).varint(2, 1).str(8, "fc.weight").bytes(9, std::vector<uint8_t>(12));
  CHECK(error_of([&] { parse_onnx_tensor(raw.b, "m.onnx: graph.initializer[2]"); }) ==
        "m.onnx: graph.initializer[2] 'fc.weight': raw_data is 12 bytes, dims (10, 144) FLOAT = 5760 bytes");

  Pb few;
  few.varint(1, 3).varint(2, 7).varint(7, 1).varint(7, 2);
  CHECK(contains(error_of([&] { parse_onnx_tensor(few.b, "T"); }), "int64_data holds 2 values, dims (3,) need 3"));
  Pb half;
  half.varint(1, 1).varint(2, 10).bytes(9, {0, 0});
  CHECK(contains(error_of([&] { parse_onnx_tensor(half.b, "T"); }), "unsupported data_type FLOAT16"));
  Pb ext;
  ext.varint(1, 1).varint(2, 1).str(8, "w").varint(14, 1);
  CHECK(contains(error_of([&] { parse_onnx_tensor(ext.b, "T"); }), "T 'w': tensor data is stored outside the model"));
  Pb huge;
  huge.varint(1, uint64_t{1} << 40).varint(1, uint64_t{1} << 40).varint(2, 1).bytes(9, {1, 2, 3, 4});
  CHECK(contains(error_of([&] { parse_onnx_tensor(huge.b, "T"); }), "too large"));
  Pb neg;
  neg.varint(1, static_cast<uint64_t>(-3)).varint(2, 1);
  CHECK(contains(error_of([&] { parse_onnx_tensor(neg.b, "T"); }), "negative dimension"));
  Pb u8;
  u8.varint(1, 1).varint(2, 2).varint(5, 256);
  CHECK(contains(error_of([&] { parse_onnx_tensor(u8.b, "T"); }), "value 256 is out of range"));
}

TEST_CASE("torch-exported conv-bn-relu-linear model reads back exactly") {
  check_model("tiny_net.onnx");
  const OnnxModel m = load_onnx(fx::path("tiny_net.onnx"));
  CHECK(m.opset_version() == 13);
  const OnnxNode& bn = m.graph.nodes.at(1);
  CHECK(bn.op_type == "BatchNormalization");
  CHECK(bn.inputs.at(3) == "bn.running_mean");
  CHECK(m.graph.initializers.at("bn.running_var").values<float>() == std::vector<float>{1.5f, 0.5f, 2.0f, 1.0f});
  REQUIRE(m.graph.inputs.size() == 1);
  CHECK(m.graph.inputs[0].dim_params.at(0) == "batch");
  CHECK(m.graph.nodes.at(0).attribute("kernel_shape")->as_ints() == std::vector<int64_t>{3, 3});
  CHECK_THROWS_AS(m.graph.nodes.at(0).attribute("group")->as_float(), std::runtime_error);
}

TEST_CASE("onnx.helper model: typed data fields and every attribute kind") {
  check_model("typed_fields.onnx");
  const OnnxModel m = load_onnx(fx::path("typed_fields.onnx"));
  CHECK(m.opset_version("test.domain") == 1);
  CHECK(m.opset_version("ai.onnx") == 13);
  CHECK(m.graph.initializers.at("tf_int8").values<int32_t>() == std::vector<int32_t>{-128, -1, 0, 127});
  CHECK(m.graph.initializers.at("tf_empty").bytes.empty());
  CHECK(m.graph.nodes.at(0).attribute("table")->as_tensor().values<int64_t>() == std::vector<int64_t>{1, 2, 3, 4});
}

TEST_CASE("external data is rejected naming the file") {
  const std::string path = fx::path("external.onnx");
  const std::string err = error_of([&] { load_onnx(path); });
  const auto reject = fx::lines("external.onnx", "reject");
  REQUIRE(reject.size() == 1);
  CHECK(err.find(path + ": graph.initializer[0] 'w'") == 0);
  CHECK(contains(err, reject[0].fields[0]));
}

TEST_CASE("corrupted ONNX files throw runtime_error naming the file, never crash") {
  const std::vector<uint8_t> good = fx::read_bytes(fx::path("tiny_net.onnx"));
  fx::TempFile file("corrupt_model.onnx");
  for (size_t cut : {size_t{0}, size_t{1}, size_t{3}, size_t{50}, good.size() / 2, good.size() - 3, good.size() - 1}) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(cut));
    file.write(b);
    const std::string err = error_of([&] { load_onnx(file.name); });
    CHECK_MESSAGE(err.find(file.name + ": ") == 0, "cut at " << cut << ": " << err);
  }
  // Every truncation must fail: the model's last field (opset_import) is required.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    const std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(cut));
    const std::string err = error_of([&] { parse_onnx(b, "t.onnx"); });
    if (err.rfind("t.onnx: ", 0) != 0) FAIL("truncation at " << cut << " gave: '" << err << "'");
  }
  // Byte flips may change weights undetectably (protobuf has no checksum), but must never
  // crash or throw anything other than a runtime_error naming the file.
  size_t failures = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> b = good;
    b[i] ^= 0xA5;
    const std::string err = error_of([&] { parse_onnx(b, "f.onnx"); });
    if (!err.empty()) {
      ++failures;
      if (err.rfind("f.onnx: ", 0) != 0) FAIL("flip at " << i << " gave: '" << err << "'");
    }
  }
  CHECK(failures > 0);
}
