// Parse-time checks of the command-line options: validators whose one-line errors name the
// option, the value and the allowed range, and the wording of CLI11's own parse errors.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace cyclone::cli {

// A whole number >= lo, e.g. --epochs (1), --limit-train (0).
CLI::Validator whole_at_least(long long lo);
// A finite number above lo (or at least lo with inclusive), e.g. --cycle-len, --wd.
CLI::Validator number_above(double lo, bool inclusive = false);
// A finite number in [lo, hi), e.g. --momentum, --label-smoothing.
CLI::Validator number_in(double lo, double hi);

// A number as option errors show it ("%g": 0.0005, 1e-07).
std::string format_number(double v);

// One line for a parse error: the option and what was wrong, in the project's words.
std::string parse_error_message(const CLI::ParseError& e);

}  // namespace cyclone::cli
