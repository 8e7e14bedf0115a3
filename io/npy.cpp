// .npy reader and writer: header dict parsing, dtype mapping, Fortran-to-C reordering.
#include "io/npy.h"

#include <cctype>
#include <cstring>
#include <stdexcept>

#include "io/byte_cursor.h"
#include "io/file_io.h"

namespace cyclone::io {
namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct NpyHeader {
  DType dtype = DType::f32;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Recursive-descent parser for the Python dict literal in a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& context) : text_(text), context_(context) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek_is('}')) {
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        if (peek_is('[')) fail("structured (record) dtypes are not supported");
        h.dtype = parse_descr(parse_string());
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape") {
        h.shape = parse_shape();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!peek_is(',')) break;
      expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape)
      fail("header must contain 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string shown(text_.substr(0, 120));
    for (char& c : shown)
      if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
    throw std::runtime_error(context_ + ": bad npy header: " + what + " (at character " +
                             std::to_string(pos_) + " of \"" + shown + "\")");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool peek_is(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peek_is(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a string");
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  bool parse_bool() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") { pos_ += 4; return true; }
    if (text_.substr(pos_, 5) == "False") { pos_ += 5; return false; }
    fail("expected True or False");
  }
  int64_t parse_int() {
    skip_space();
    const size_t start = pos_;
    int64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      const int digit = text_[pos_] - '0';
      if (v > (INT64_MAX - digit) / 10) fail("dimension too large");
      v = v * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) fail("expected a non-negative integer dimension");
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long suffix
    return v;
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (!peek_is(')')) {
      if (shape.size() >= 64) fail("more than 64 dimensions");
      shape.push_back(parse_int());
      if (!peek_is(',')) break;
      expect(',');
    }
    expect(')');
    return shape;
  }
  DType parse_descr(const std::string& descr) {
    std::string code = descr;
    char order = '|';
    if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=')) {
      order = code[0];
      code = code.substr(1);
    }
    DType t;
    if (code == "f4") t = DType::f32;
    else if (code == "f8") t = DType::f64;
    else if (code == "i8") t = DType::i64;
    else if (code == "i4") t = DType::i32;
    else if (code == "u1") t = DType::u8;
    else if (code == "b1" || code == "?") t = DType::boolean;
    else
      throw std::runtime_error(context_ + ": unsupported dtype '" + descr +
                               "' (supported: <f4 <f8 <i8 <i4 |u1 |b1)");
    if (order == '>' && dtype_size(t) > 1)
      throw std::runtime_error(context_ + ": big-endian dtype '" + descr +
                               "' is not supported; save with arr.astype(arr.dtype.newbyteorder('<'))");
    return t;
  }

  std::string_view text_;
  const std::string& context_;
  size_t pos_ = 0;
};

// Reorders Fortran-order (first index fastest) bytes into C order (last index fastest).
std::vector<uint8_t> fortran_to_c_order(std::span<const uint8_t> src, const std::vector<int64_t>& shape,
                                        size_t item) {
  std::vector<uint8_t> dst(src.size());
  const size_t n = src.size() / item;
  const size_t ndim = shape.size();
  if (n == 0) return dst;
  std::vector<size_t> fstride(ndim), index(ndim, 0);
  size_t stride = 1;
  for (size_t k = 0; k < ndim; ++k) {
    fstride[k] = stride;
    stride *= static_cast<size_t>(shape[k]);
  }
  size_t src_elem = 0;
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(dst.data() + i * item, src.data() + src_elem * item, item);
    // Advance the C-order multi-index (last dimension fastest), tracking the source offset.
    for (size_t k = ndim; k-- > 0;) {
      if (++index[k] < static_cast<size_t>(shape[k])) {
        src_elem += fstride[k];
        break;
      }
      src_elem -= fstride[k] * (index[k] - 1);
      index[k] = 0;
    }
  }
  return dst;
}

}  // namespace

const char* npy_descr(DType dtype) {
  switch (dtype) {
    case DType::f32: return "<f4";
    case DType::f64: return "<f8";
    case DType::i64: return "<i8";
    case DType::i32: return "<i4";
    case DType::u8: return "|u1";
    case DType::boolean: return "|b1";
  }
  throw std::invalid_argument("npy_descr: invalid DType value");
}

NdArray parse_npy(std::span<const uint8_t> data, const std::string& context) {
  ByteCursor cur(data, context);
  if (data.size() < 6 || std::memcmp(data.data(), kMagic, 6) != 0)
    throw std::runtime_error(context + ": bad npy magic (not a .npy array)");
  cur.skip(6);
  const auto version = cur.bytes(2);
  const int major = version[0], minor = version[1];
  uint64_t header_len;
  if (major == 1 && minor == 0) header_len = cur.u16();
  else if ((major == 2 || major == 3) && minor == 0) header_len = cur.u32();
  else
    throw std::runtime_error(context + ": unsupported npy format version " + std::to_string(major) +
                             "." + std::to_string(minor));
  if (header_len > cur.remaining())
    throw std::runtime_error(context + ": truncated npy header: header says " +
                             std::to_string(header_len) + " bytes, only " +
                             std::to_string(cur.remaining()) + " present");
  const auto header_bytes = cur.bytes(header_len);
  const std::string_view text(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size());
  const NpyHeader h = HeaderParser(text, context).parse();

  const size_t numel = checked_numel(h.shape, h.dtype, context);
  const size_t item = dtype_size(h.dtype);
  const size_t expected = numel * item;
  const auto payload = data.subspan(cur.pos());
  if (payload.size() != expected)
    throw std::runtime_error(context + ": data is " + std::to_string(payload.size()) +
                             " bytes, header says shape " + shape_to_string(h.shape) + " " +
                             dtype_name(h.dtype) + " = " + std::to_string(expected) + " bytes");
  NdArray out;
  out.dtype = h.dtype;
  out.shape = h.shape;
  if (h.fortran_order && h.shape.size() > 1)
    out.bytes = fortran_to_c_order(payload, h.shape, item);
  else
    out.bytes.assign(payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> serialize_npy(const NdArray& array) {
  if (!array.consistent())
    throw std::invalid_argument("serialize_npy: array data is " + std::to_string(array.bytes.size()) +
                                " bytes, but shape " + shape_to_string(array.shape) + " " +
                                dtype_name(array.dtype) + " needs " + std::to_string(array.nbytes()));
  for (int64_t d : array.shape)
    if (d < 0) throw std::invalid_argument("serialize_npy: negative dimension in shape " + shape_to_string(array.shape));
  std::string header = std::string("{'descr': '") + npy_descr(array.dtype) +
                       "', 'fortran_order': False, 'shape': " + shape_to_string(array.shape) + ", }";
  // Pad with spaces and end with '\n' so that magic + version + length + header is a
  // multiple of 64 bytes, as numpy does.
  auto padded_total = [&](size_t prefix) { return (prefix + header.size() + 1 + 63) / 64 * 64; };
  const bool v1 = padded_total(10) - 10 <= 65535;
  const size_t prefix = v1 ? 10 : 12;
  const size_t total = padded_total(prefix);
  header.append(total - prefix - header.size() - 1, ' ');
  header.push_back('\n');

  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(v1 ? 1 : 2);
  out.push_back(0);
  put_le(out, header.size(), v1 ? 2 : 4);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return out;
}

NdArray load_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

void save_npy(const std::string& path, const NdArray& array) {
  const std::vector<uint8_t> bytes = serialize_npy(array);
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace cyclone::io
