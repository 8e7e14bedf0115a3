// Option text read as typed values, and stored arrays read back, for the key tables (keys.h).
#include "schedules/keys.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "schedules/compose.h"

namespace cyclone::schedules::keys {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (s.empty() || s.back() == sep) out.push_back("");
  return out;
}

[[noreturn]] void bad(const std::string& where, const std::string& want) {
  throw std::invalid_argument(where + ": expected " + want);
}

template <class T>
const std::vector<T>& values(const StoredArray& a, const std::string& where, const char* type) {
  const auto* v = std::get_if<std::vector<T>>(&a.values);
  if (!v) bad(where, std::string(type) + " values");
  return *v;
}

template <class T>
T scalar(const StoredArray& a, const std::string& where, const char* type) {
  const std::vector<T>& v = values<T>(a, where, type);
  if (!a.scalar || v.size() != 1) bad(where, std::string("one ") + type + " value (a 0-d array)");
  return v[0];
}

template <class T>
const std::vector<T>& list(const StoredArray& a, const std::string& where, const char* type) {
  if (a.scalar) bad(where, std::string("a list of ") + type + " values");
  return values<T>(a, where, type);
}

int64_t code(const StoredArray& a, const std::string& w, int64_t count) {
  const int64_t c = i64_scalar(a, w);
  if (c < 0 || c >= count) bad(w, "a code in [0, " + std::to_string(count - 1) + "], got " + std::to_string(c));
  return c;
}

}  // namespace

void Text::fail(const std::string& why) const {
  throw std::invalid_argument(schedule + ": option " + key + ": " + why);
}

double Text::number(const std::string& v) const {
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE) fail("'" + v + "' is not a number");
  return x;
}

int64_t Text::integer() const {
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno == ERANGE) fail("'" + value + "' is not an integer");
  return static_cast<int64_t>(x);
}

bool Text::boolean() const {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  fail("'" + value + "' is not a boolean (true/false, 1/0, yes/no)");
}

std::vector<int64_t> Text::integer_list() const {
  std::vector<int64_t> out;
  for (const std::string& item : split(value, ',')) {
    double x = number(item);
    if (x != static_cast<double>(static_cast<int64_t>(x))) fail("'" + item + "' is not an integer");
    out.push_back(static_cast<int64_t>(x));
  }
  return out;
}

PerGroup Text::per_group() const {
  size_t dots = value.find("..");
  if (dots != std::string::npos) {
    if (num_groups == 0) fail("the slice '" + value + "' needs num_groups");
    double hi = number(value.substr(dots + 2));
    if (dots == 0) return PerGroup(lr_slice(hi, num_groups));
    return PerGroup(lr_slice(number(value.substr(0, dots)), hi, num_groups));
  }
  std::vector<std::string> items = split(value, ',');
  if (items.size() == 1) return PerGroup(number(items[0]));
  std::vector<double> values;
  for (const std::string& item : items) values.push_back(number(item));
  return PerGroup(std::move(values));
}

double f64_scalar(const StoredArray& a, const std::string& w) { return scalar<double>(a, w, "float64"); }
int64_t i64_scalar(const StoredArray& a, const std::string& w) { return scalar<int64_t>(a, w, "int64"); }
std::vector<double> f64_list(const StoredArray& a, const std::string& w) { return list<double>(a, w, "float64"); }
std::vector<int64_t> i64_list(const StoredArray& a, const std::string& w) { return list<int64_t>(a, w, "int64"); }

std::string text_of(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

size_t Codec<size_t>::parse(const Text& t) {
  const int64_t n = t.integer();
  if (n < 0) t.fail("must be >= 0, got " + std::to_string(n));
  return static_cast<size_t>(n);
}
size_t Codec<size_t>::load(const StoredArray& a, const std::string& w) {
  const int64_t n = i64_scalar(a, w);
  if (n < 0) bad(w, "a count >= 0, got " + std::to_string(n));
  return static_cast<size_t>(n);
}

bool Codec<bool>::load(const StoredArray& a, const std::string& w) { return code(a, w, 2) == 1; }

PerGroup Codec<PerGroup>::load(const StoredArray& a, const std::string& w) {
  if (a.scalar) return PerGroup(f64_scalar(a, w));
  return PerGroup(f64_list(a, w));
}
std::string Codec<PerGroup>::text(const PerGroup& v) {
  std::string s;
  for (size_t i = 0; i < v.given().size(); ++i) s += (i ? "," : "") + detail::fmt(v.given()[i]);
  return s;
}

StoredArray Codec<std::optional<int64_t>>::store(const std::optional<int64_t>& v) {
  return {v ? std::vector<int64_t>{*v} : std::vector<int64_t>{}, false};
}
std::optional<int64_t> Codec<std::optional<int64_t>>::load(const StoredArray& a, const std::string& w) {
  const std::vector<int64_t> v = i64_list(a, w);
  if (v.size() > 1) bad(w, "a list of at most one int64 value");
  if (v.empty()) return std::nullopt;
  return v[0];
}

Anneal Codec<Anneal>::load(const StoredArray& a, const std::string& w) { return static_cast<Anneal>(code(a, w, 2)); }

ClrMode Codec<ClrMode>::parse(const Text& t) {
  const ClrMode mode = parse_clr_mode(t.value);
  if (mode == ClrMode::custom) t.fail("custom needs a scale function; use the C++ API");
  return mode;
}
StoredArray Codec<ClrMode>::store(ClrMode v) {
  if (v == ClrMode::custom) throw std::invalid_argument("clr: mode custom (a C++ scale function) cannot be stored");
  return {std::vector<int64_t>{static_cast<int64_t>(v)}, true};
}
ClrMode Codec<ClrMode>::load(const StoredArray& a, const std::string& w) {
  return static_cast<ClrMode>(code(a, w, 3));  // custom (3) cannot be stored
}

}  // namespace cyclone::schedules::keys
