// A small, bounds-checked reader for the protobuf wire format (varint, 64-bit,
// length-delimited and 32-bit fields), enough to decode ONNX files without libprotobuf.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cyclone::io {

enum class WireType : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// Iterates over the fields of one message:
//
//   WireReader r(bytes, "ModelProto");
//   while (r.next()) {
//     if (r.field() == 1) ir_version = r.int64();
//     else if (r.field() == 7) parse_graph(WireReader(r.bytes(), "graph"));
//   }                              // fields left unread are skipped by next()
//
// Every malformed input (truncation, over-long varint, length past the end, wrong wire type
// for a field, group wire types) throws std::runtime_error("<context>: ...").
class WireReader {
 public:
  WireReader(std::span<const uint8_t> data, std::string context);

  // Moves to the next field, skipping the current one if its value was not read.
  // Returns false at the end of the message.
  bool next();
  uint32_t field() const { return field_; }
  WireType type() const { return type_; }
  const std::string& context() const { return context_; }

  // Readers for the current field's value; each checks the wire type.
  uint64_t varint();
  int64_t int64() { return static_cast<int64_t>(varint()); }
  int32_t int32() { return static_cast<int32_t>(varint()); }  // int32 is sign-extended on the wire
  float float32();    // fixed32
  double float64();   // fixed64
  std::span<const uint8_t> bytes();  // length-delimited: strings, bytes, nested messages
  std::string string();
  void skip();

  // Repeated scalar fields, accepted both packed (one length-delimited run) and unpacked
  // (one value per field occurrence); values are appended to `out`.
  void append_int64s(std::vector<int64_t>& out);
  void append_int32s(std::vector<int32_t>& out);
  void append_floats(std::vector<float>& out);
  void append_doubles(std::vector<double>& out);

  [[noreturn]] void fail(const std::string& what) const;

 private:
  uint64_t read_raw_varint();
  uint64_t read_fixed(int n);
  void expect(WireType t);

  std::span<const uint8_t> data_;
  std::string context_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  WireType type_ = WireType::varint;
  bool pending_ = false;  // the current field's value has not been consumed yet
};

}  // namespace cyclone::io
