// Tests for io/: NdArray conversion, .npy, the zip container and .npz, against numpy-written
// fixtures (tests/fixtures/io, made by gen_io_fixtures.py) and corrupted copies of them.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include "io/file_io.h"
#include "io/npy.h"
#include "io/npz.h"
#include "io/zip.h"
#include "tests/fixtures/io/expected.h"

using namespace cyclone::io;
namespace fx = io_fixtures;

namespace {

std::vector<uint8_t> to_bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::vector<uint8_t> zip_of(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members,
                            ZipWriteOptions options = {}) {
  std::ostringstream out;
  ZipWriter zip(out, options);
  for (const auto& [name, data] : members) zip.add(name, data);
  zip.finish();
  return to_bytes(out.str());
}

// The runtime_error message from parse_npz, or "" if it did not throw.
std::string npz_error(const std::vector<uint8_t>& bytes, const std::string& name) {
  try {
    parse_npz(bytes, name);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

bool same(const std::map<std::string, NdArray>& a, const std::map<std::string, NdArray>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second.dtype != v.dtype || it->second.shape != v.shape || it->second.bytes != v.bytes)
      return false;
  }
  return true;
}

std::map<std::string, NdArray> sample_arrays() {
  std::map<std::string, NdArray> m;
  m["layer1.0.conv1.weight"] = NdArray::from<float>({2, 3}, {0.5f, -1.0f, 3.25f, 0.0f, -0.0f, 1e-20f});
  m["f64"] = NdArray::from<double>({3}, {M_PI, -1e300, 0.1});
  m["i64"] = NdArray::from<int64_t>({2}, {std::numeric_limits<int64_t>::min(), 42});
  m["i32"] = NdArray::from<int32_t>({1, 2}, {-5, 7});
  m["u8"] = NdArray::from<uint8_t>({3}, {0, 128, 255});
  m["mask"] = NdArray::from<bool>({2, 2}, {true, false, false, true});
  m["scalar"] = NdArray::from<double>({}, {2.5});
  m["empty"] = NdArray::from<float>({0, 4}, {});
  return m;
}

}  // namespace

TEST_CASE("npz fixtures written by numpy load with exact values") {
  for (const char* file : {"arrays.npz", "arrays_compressed.npz", "descriptor.npz"}) {
    CAPTURE(file);
    const auto arrays = load_npz(fx::path(file));
    const auto expected = fx::lines(file, "array");
    REQUIRE(expected.size() >= 2);
    CHECK(arrays.size() == expected.size());
    for (const auto& line : expected) {
      CAPTURE(line.fields[0]);
      REQUIRE(arrays.count(line.fields[0]) == 1);
      fx::check_array(arrays.at(line.fields[0]), line.fields, 1);
    }
  }
}

TEST_CASE("Fortran-order arrays are transposed into C order") {
  const auto arrays = load_npz(fx::path("arrays.npz"));
  const NdArray& a = arrays.at("fortran3d");  // np.arange(24).reshape(2, 3, 4) stored column-major
  REQUIRE(a.shape == std::vector<int64_t>{2, 3, 4});
  for (size_t i = 0; i < 24; ++i) CHECK(a.at<double>(i) == static_cast<double>(i));

  // Hand-made 2x3 int32 Fortran header: data 1 4 2 5 3 6 is the matrix [[1 2 3] [4 5 6]].
  std::string header = "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::vector<uint8_t> npy = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(header.size()), 0};
  npy.insert(npy.end(), header.begin(), header.end());
  for (int32_t v : {1, 4, 2, 5, 3, 6})
    for (int b = 0; b < 4; ++b) npy.push_back(static_cast<uint8_t>(v >> (8 * b)));
  CHECK(parse_npy(npy, "f.npy").values<int32_t>() == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("npy format versions 2.0 and 3.0, and big-endian rejection") {
  for (const char* file : {"v2.npy", "v3.npy"}) {
    const auto expected = fx::lines(file, "array");
    REQUIRE(expected.size() == 1);
    fx::check_array(load_npy(fx::path(file)), expected[0].fields, 1);
  }
  const auto reject = fx::lines("big_endian.npy", "reject");
  REQUIRE(reject.size() == 1);
  try {
    load_npy(fx::path("big_endian.npy"));
    FAIL("big-endian array was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("big_endian.npy") != std::string::npos);
    CHECK(std::string(e.what()).find(reject[0].fields[0]) != std::string::npos);
  }
}

TEST_CASE("npy writer emits version 1.0 with a 64-byte aligned header") {
  const NdArray a = NdArray::from<float>({3, 4}, std::vector<float>(12, 1.5f));
  const std::vector<uint8_t> npy = serialize_npy(a);
  REQUIRE(npy.size() == 128 + 48);
  CHECK(npy[6] == 1);
  CHECK(npy[7] == 0);
  CHECK(npy[8] + 256 * npy[9] == 118);
  const std::string header(npy.begin() + 10, npy.begin() + 128);
  CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 0) == 0);
  CHECK(header.back() == '\n');
  CHECK(serialize_npy(NdArray::from<bool>({1}, {true})).size() % 64 == 1);
  const NdArray back = parse_npy(npy, "x.npy");
  CHECK(back.shape == a.shape);
  CHECK(back.bytes == a.bytes);
}

TEST_CASE("save_npz / load_npz round trip, stored and deflated, written atomically") {
  const auto arrays = sample_arrays();
  for (bool compress : {false, true}) {
    CAPTURE(compress);
    fx::TempFile file(compress ? "rt_deflated.npz" : "rt_stored.npz");
    save_npz(file.name, arrays, compress);
    CHECK_FALSE(std::filesystem::exists(atomic_temp_path(file.name)));
    const auto back = load_npz(file.name);
    CHECK(same(arrays, back));
    CHECK(back.at("scalar").shape.empty());
    CHECK(back.at("scalar").at<double>(0) == 2.5);
    CHECK(back.at("i64").at<int64_t>(0) == std::numeric_limits<int64_t>::min());
    const ZipReader zip(fx::read_bytes(file.name), file.name);
    REQUIRE(zip.find("mask.npy") != nullptr);
    CHECK(zip.find("mask.npy")->method == (compress ? 8 : 0));
  }
}

TEST_CASE("a failed save leaves the existing file untouched") {
  fx::TempFile file("keep.npz");
  save_npz(file.name, sample_arrays(), false);
  const auto before = fx::read_bytes(file.name);
  NdArray bad = NdArray::from<float>({2, 2}, {1, 2, 3, 4});
  bad.bytes.pop_back();
  CHECK_THROWS_AS(save_npz(file.name, {{"bad", bad}}, false), std::invalid_argument);
  CHECK(fx::read_bytes(file.name) == before);
  CHECK_FALSE(std::filesystem::exists(atomic_temp_path(file.name)));
}

TEST_CASE("zip64 records and extra fields (forced on small data) read back") {
  const auto arrays = sample_arrays();
  for (bool compress : {false, true}) {
    std::ostringstream out;
    write_npz(out, arrays, ZipWriteOptions{compress, 6, true});
    const std::vector<uint8_t> bytes = to_bytes(out.str());
    const size_t eocd = bytes.size() - 22;
    // zip64 end-of-central-directory record (56 bytes) and locator (20) precede the classic record.
    CHECK(bytes[eocd - 20] == 0x50);
    CHECK(bytes[eocd - 19] == 0x4b);
    CHECK(bytes[eocd - 18] == 0x06);
    CHECK(bytes[eocd - 17] == 0x07);
    CHECK(bytes[eocd - 76] == 0x50);
    CHECK(bytes[eocd - 74] == 0x06);
    CHECK(bytes[eocd - 73] == 0x06);
    const ZipReader zip(bytes, "z64.npz");
    REQUIRE(zip.entries().size() == arrays.size());
    CHECK(zip.entries()[0].uncompressed_size == serialize_npy(arrays.begin()->second).size());
    CHECK(same(arrays, parse_npz(bytes, "z64.npz")));
  }
}

TEST_CASE("errors name the file, the member and the problem") {
  std::vector<uint8_t> npy = serialize_npy(NdArray::from<float>({30}, std::vector<float>(30, 0.0f)));
  // Rewrite the shape to (16, 3, 3, 3) keeping the header length and the 120 data bytes.
  const std::string wanted = "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 3, 3, 3), }";
  std::copy(wanted.begin(), wanted.end(), npy.begin() + 10);
  const auto zip = zip_of({{"conv1.weight.npy", npy}});
  CHECK(npz_error(zip, "weights.npz") ==
        "weights.npz: member 'conv1.weight.npy': data is 120 bytes, header says shape (16, 3, 3, 3) float32 = 1728 bytes");

  CHECK(npz_error(zip_of({{"a.npy", to_bytes("hello, not numpy")}}), "m.npz") ==
        "m.npz: member 'a.npy': bad npy magic (not a .npy array)");

  auto with_descr = [](const std::string& descr) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }\n";
    std::vector<uint8_t> v = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(h.size()), 0};
    v.insert(v.end(), h.begin(), h.end());
    v.resize(v.size() + 2);
    return zip_of({{"x.npy", v}});
  };
  CHECK(npz_error(with_descr("<i2"), "d.npz").find("d.npz: member 'x.npy': unsupported dtype '<i2'") == 0);
  CHECK(npz_error(with_descr(">i2"), "d.npz").find("unsupported dtype '>i2'") != std::string::npos);
  CHECK(npz_error(with_descr("<U1"), "d.npz").find("unsupported dtype '<U1'") != std::string::npos);
  const auto ok = serialize_npy(NdArray::from<int32_t>({}, {1}));
  CHECK(npz_error(zip_of({{"x.npy", ok}, {"x", ok}}), "dup.npz") == "dup.npz: duplicate array name 'x'");

  // Two directory entries sharing one member's bytes (the "overlapping zip bomb" pattern).
  std::vector<uint8_t> one = zip_of({{"x.npy", ok}});
  const size_t cd_size = 46 + 5, cd_start = one.size() - 22 - cd_size;
  std::vector<uint8_t> bomb(one.begin(), one.begin() + static_cast<long>(cd_start + cd_size));
  bomb.insert(bomb.end(), one.begin() + static_cast<long>(cd_start), one.begin() + static_cast<long>(cd_start + cd_size));
  bomb.insert(bomb.end(), one.end() - 22, one.end());
  bomb[bomb.size() - 22 + 8] = bomb[bomb.size() - 22 + 10] = 2;  // entry counts
  bomb[bomb.size() - 22 + 12] = static_cast<uint8_t>(2 * cd_size);
  CHECK(npz_error(bomb, "bomb.npz") == "bomb.npz: member 'x.npy' overlaps member 'x.npy'");

  try {
    load_npz("/nonexistent/dir/weights.npz");
    FAIL("missing file was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/dir/weights.npz") == 0);
  }
}

TEST_CASE("corrupted npz files throw runtime_error naming the file, never crash") {
  const std::vector<uint8_t> good = fx::read_bytes(fx::path("arrays.npz"));
  const auto reference = parse_npz(good, "arrays.npz");
  fx::TempFile file("corrupt_weights.npz");
  auto expect_error = [&](const std::vector<uint8_t>& bytes, const std::string& what) {
    file.write(bytes);
    try {
      load_npz(file.name);
      FAIL("corrupt file accepted: " << what);
    } catch (const std::runtime_error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(file.name) == 0, what << ": " << e.what());
    }
  };
  for (size_t cut : {size_t{0}, size_t{4}, size_t{30}, size_t{100}, good.size() / 2, good.size() - 23,
                     good.size() - 22, good.size() - 1})
    expect_error(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(cut)),
                 "truncated at " + std::to_string(cut));

  const ZipReader zip(good, "arrays.npz");
  const ZipEntry& first = zip.entries()[0];
  auto flipped = [&](size_t offset) {
    std::vector<uint8_t> b = good;
    b[offset] ^= 0x5A;
    return b;
  };
  auto u16_at = [&](size_t pos) { return size_t{good[pos]} | size_t{good[pos + 1]} << 8; };
  const size_t local = first.local_header_offset;
  const size_t data_start = local + 30 + u16_at(local + 26) + u16_at(local + 28);
  expect_error(flipped(local), "local header signature");
  expect_error(flipped(data_start + 3), "npy magic byte");  // inside the CRC-checked data
  expect_error(flipped(good.size() - 22), "end of central directory signature");
  // The end record holds the central directory offset; the first entry's CRC is at +16.
  const size_t cd = u16_at(good.size() - 6) | u16_at(good.size() - 4) << 16;
  expect_error(flipped(cd + 16), "central directory CRC");
  expect_error(flipped(cd), "central directory signature");

  // Every single-byte corruption either throws a runtime_error naming the file or loads the
  // very same arrays (bytes such as timestamps are not checked) -- never anything else.
  for (const char* name : {"arrays.npz", "descriptor.npz"}) {
    const std::vector<uint8_t> base = fx::read_bytes(fx::path(name));
    const auto ref = parse_npz(base, name);
    size_t failures = 0;
    for (size_t i = 0; i < base.size(); ++i) {
      std::vector<uint8_t> b = base;
      b[i] ^= 0xFF;
      try {
        const auto got = parse_npz(b, name);
        if (!same(got, ref)) FAIL("byte " << i << " of " << name << " changed the data silently");
      } catch (const std::runtime_error& e) {
        ++failures;
        if (std::string(e.what()).find(name) != 0) FAIL("error without file name: " << e.what());
      }
    }
    CHECK(failures > base.size() / 2);
  }
}

TEST_CASE("convert: lossless always, lossy only when asked") {
  const NdArray f = NdArray::from<float>({4}, {1.5f, -2.75f, 3e9f, NAN});
  const NdArray d = convert(f, DType::f64);
  CHECK(d.at<double>(0) == 1.5);
  CHECK(d.at<double>(2) == 3e9);
  CHECK(std::isnan(d.at<double>(3)));
  CHECK(convert(NdArray::from<int32_t>({2}, {-7, 1 << 30}), DType::i64).values<int64_t>() ==
        std::vector<int64_t>{-7, 1 << 30});
  CHECK(convert(NdArray::from<uint8_t>({2}, {0, 255}), DType::i64).values<int64_t>() == std::vector<int64_t>{0, 255});
  CHECK(convert(NdArray::from<bool>({2}, {true, false}), DType::u8).values<uint8_t>() == std::vector<uint8_t>{1, 0});
  CHECK(convert(NdArray::from<bool>({1}, {true}), DType::f32).at<float>(0) == 1.0f);
  CHECK(convert(NdArray::from<int32_t>({1}, {-3}), DType::f64).at<double>(0) == -3.0);

  try {
    convert(NdArray::from<double>({1}, {0.1}), DType::f32);
    FAIL("lossy conversion allowed");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("float64") != std::string::npos);
    CHECK(std::string(e.what()).find("float32") != std::string::npos);
  }
  CHECK_THROWS_AS(convert(NdArray::from<int64_t>({1}, {1}), DType::i32), std::invalid_argument);
  CHECK_THROWS_AS(convert(f, DType::i64), std::invalid_argument);
  CHECK_THROWS_AS(convert(NdArray::from<int32_t>({1}, {1}), DType::f32), std::invalid_argument);
  CHECK_THROWS_AS(convert(NdArray::from<uint8_t>({1}, {1}), DType::boolean), std::invalid_argument);

  CHECK(convert(NdArray::from<double>({1}, {0.1}), DType::f32, true).at<float>(0) == 0.1f);
  CHECK(convert(NdArray::from<double>({1}, {1e300}), DType::f32, true).at<float>(0) == INFINITY);
  CHECK(convert(f, DType::i64, true).values<int64_t>() == std::vector<int64_t>{1, -2, 3000000000, 0});
  CHECK(convert(f, DType::i32, true).values<int32_t>() == std::vector<int32_t>{1, -2, INT32_MAX, 0});
  CHECK(convert(NdArray::from<int64_t>({3}, {-(int64_t{1} << 40), 5, int64_t{1} << 40}), DType::i32, true)
            .values<int32_t>() == std::vector<int32_t>{INT32_MIN, 5, INT32_MAX});
  CHECK(convert(NdArray::from<int32_t>({3}, {-1, 7, 300}), DType::u8, true).values<uint8_t>() ==
        std::vector<uint8_t>{0, 7, 255});
  CHECK(convert(NdArray::from<float>({3}, {0.0f, -0.5f, 2.0f}), DType::boolean, true).values<bool>() ==
        std::vector<bool>{false, true, true});
}
