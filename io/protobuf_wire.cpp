// Protobuf wire-format decoding: tags, varints, fixed-width values, length-delimited runs,
// packed repeated scalars; every length is checked against the enclosing message.
#include "io/protobuf_wire.h"

#include <cstring>
#include <stdexcept>

namespace cyclone::io {
namespace {

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::varint: return "varint";
    case WireType::fixed64: return "64-bit";
    case WireType::length_delimited: return "length-delimited";
    case WireType::fixed32: return "32-bit";
  }
  return "unknown";
}

}  // namespace

WireReader::WireReader(std::span<const uint8_t> data, std::string context)
    : data_(data), context_(std::move(context)) {}

void WireReader::fail(const std::string& what) const {
  std::string where = context_;
  if (field_ != 0) where += ": field " + std::to_string(field_);
  throw std::runtime_error(where + ": " + what + " (at byte " + std::to_string(pos_) + " of " +
                           std::to_string(data_.size()) + ")");
}

uint64_t WireReader::read_raw_varint() {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) fail("truncated varint");
    const uint8_t b = data_[pos_++];
    if (i == 9 && b > 1) fail("varint longer than 64 bits");
    v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
}

uint64_t WireReader::read_fixed(int n) {
  if (data_.size() - pos_ < static_cast<size_t>(n)) fail("truncated " + std::to_string(8 * n) + "-bit value");
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
  pos_ += static_cast<size_t>(n);
  return v;
}

bool WireReader::next() {
  if (pending_) skip();
  if (pos_ >= data_.size()) return false;
  field_ = 0;
  const uint64_t tag = read_raw_varint();
  const uint64_t number = tag >> 3;
  const unsigned type = static_cast<unsigned>(tag & 7);
  if (number == 0 || number > 0x1FFFFFFF) fail("invalid field number " + std::to_string(number));
  field_ = static_cast<uint32_t>(number);
  if (type == 3 || type == 4) fail("group wire types are not supported");
  if (type != 0 && type != 1 && type != 2 && type != 5) fail("invalid wire type " + std::to_string(type));
  type_ = static_cast<WireType>(type);
  pending_ = true;
  return true;
}

void WireReader::expect(WireType t) {
  if (!pending_) fail("value already read");
  if (type_ != t)
    fail(std::string("has wire type ") + wire_type_name(type_) + ", expected " + wire_type_name(t));
  pending_ = false;
}

uint64_t WireReader::varint() {
  expect(WireType::varint);
  return read_raw_varint();
}

float WireReader::float32() {
  expect(WireType::fixed32);
  const uint32_t bits = static_cast<uint32_t>(read_fixed(4));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double WireReader::float64() {
  expect(WireType::fixed64);
  const uint64_t bits = read_fixed(8);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

std::span<const uint8_t> WireReader::bytes() {
  expect(WireType::length_delimited);
  const uint64_t len = read_raw_varint();
  if (len > data_.size() - pos_)
    fail("length " + std::to_string(len) + " runs past the end of the message (" +
         std::to_string(data_.size() - pos_) + " bytes left)");
  const auto out = data_.subspan(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return out;
}

std::string WireReader::string() {
  const auto b = bytes();
  return std::string(b.begin(), b.end());
}

void WireReader::skip() {
  switch (type_) {
    case WireType::varint: varint(); break;
    case WireType::fixed64: float64(); break;
    case WireType::length_delimited: bytes(); break;
    case WireType::fixed32: float32(); break;
  }
}

void WireReader::append_int64s(std::vector<int64_t>& out) {
  if (type_ != WireType::length_delimited) {
    out.push_back(int64());
    return;
  }
  WireReader packed(bytes(), context_ + ": packed field " + std::to_string(field_));
  while (packed.pos_ < packed.data_.size()) out.push_back(static_cast<int64_t>(packed.read_raw_varint()));
}

void WireReader::append_int32s(std::vector<int32_t>& out) {
  if (type_ != WireType::length_delimited) {
    out.push_back(int32());
    return;
  }
  WireReader packed(bytes(), context_ + ": packed field " + std::to_string(field_));
  while (packed.pos_ < packed.data_.size()) out.push_back(static_cast<int32_t>(packed.read_raw_varint()));
}

void WireReader::append_floats(std::vector<float>& out) {
  if (type_ != WireType::length_delimited) {
    out.push_back(float32());
    return;
  }
  const auto run = bytes();
  if (run.size() % 4 != 0) fail("packed float run of " + std::to_string(run.size()) + " bytes is not a multiple of 4");
  const size_t start = out.size();
  out.resize(start + run.size() / 4);
  if (!run.empty()) std::memcpy(out.data() + start, run.data(), run.size());
}

void WireReader::append_doubles(std::vector<double>& out) {
  if (type_ != WireType::length_delimited) {
    out.push_back(float64());
    return;
  }
  const auto run = bytes();
  if (run.size() % 8 != 0) fail("packed double run of " + std::to_string(run.size()) + " bytes is not a multiple of 8");
  const size_t start = out.size();
  out.resize(start + run.size() / 8);
  if (!run.empty()) std::memcpy(out.data() + start, run.data(), run.size());
}

}  // namespace cyclone::io
