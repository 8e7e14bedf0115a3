// Option validators and parse-error wording for the `cyclone` tool (see option_checks.h).
#include "option_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace cyclone::cli {
namespace {

std::optional<double> read_number(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

CLI::Validator whole_at_least(long long lo) {
  const std::string want = "a whole number >= " + std::to_string(lo);
  return CLI::Validator(
      [lo, want](std::string& text) -> std::string {
        char* end = nullptr;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || v < lo) return "expected " + want + ", got '" + text + "'";
        return "";
      },
      "INT >= " + std::to_string(lo));
}

CLI::Validator number_above(double lo, bool inclusive) {
  const std::string want = std::string("a number ") + (inclusive ? ">= " : "> ") + format_number(lo);
  return CLI::Validator(
      [lo, inclusive, want](std::string& text) -> std::string {
        const std::optional<double> v = read_number(text);
        if (!v || (inclusive ? *v < lo : *v <= lo)) return "expected " + want + ", got '" + text + "'";
        return "";
      },
      std::string("NUMBER ") + (inclusive ? ">= " : "> ") + format_number(lo));
}

CLI::Validator number_in(double lo, double hi) {
  const std::string want = "a number in [" + format_number(lo) + ", " + format_number(hi) + ")";
  return CLI::Validator(
      [lo, hi, want](std::string& text) -> std::string {
        const std::optional<double> v = read_number(text);
        if (!v || *v < lo || *v >= hi) return "expected " + want + ", got '" + text + "'";
        return "";
      },
      "NUMBER in [" + format_number(lo) + ", " + format_number(hi) + ")");
}

std::string parse_error_message(const CLI::ParseError& e) {
  std::string text = e.what();
  // CLI11: "--epochs: At Most 1 required but received 2".
  const std::string at_most = ": At Most 1 required but received ";
  if (const auto at = text.find(at_most); at != std::string::npos) {
    return text.substr(0, at) + " given " + text.substr(at + at_most.size()) + " times; give it once";
  }
  // CLI11: "The following argument was not expected: --bogus".
  const std::string unexpected = "The following argument was not expected: ";
  if (text.rfind(unexpected, 0) == 0) return "unknown option or argument '" + text.substr(unexpected.size()) + "' (see --help)";
  const std::string unexpected_many = "The following arguments were not expected: ";
  if (text.rfind(unexpected_many, 0) == 0) return "unknown options or arguments: " + text.substr(unexpected_many.size()) + " (see --help)";
  return text;
}

}  // namespace cyclone::cli
