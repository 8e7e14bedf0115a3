// OptimizerKind to and from its name.
#include "optim/optimizer_kind.h"

#include <stdexcept>

namespace cyclone::optim {

OptimizerKind parse_optimizer_kind(const std::string& name) {
  for (OptimizerKind k : {OptimizerKind::sgd, OptimizerKind::adam, OptimizerKind::adamw}) {
    if (to_string(k) == name) return k;
  }
  throw std::invalid_argument("unknown optimizer '" + name + "' (expected sgd, adam or adamw)");
}

std::string to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd: return "sgd";
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::adamw: return "adamw";
  }
  return "?";
}

}  // namespace cyclone::optim
