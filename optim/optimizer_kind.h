// Which optimizer to build, as a type: OptimizerKind, parsed once from a user's text
// ("sgd", "adam", "adamw") and named back for messages and logs.
#pragma once
#include <string>

namespace cyclone::optim {

enum class OptimizerKind { sgd, adam, adamw };

// Throws std::invalid_argument naming the text and the valid names.
OptimizerKind parse_optimizer_kind(const std::string& name);
std::string to_string(OptimizerKind kind);

}  // namespace cyclone::optim
