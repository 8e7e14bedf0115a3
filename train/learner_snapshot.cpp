// Taking and restoring a LearnerSnapshot (see learner_snapshot.h).
#include "train/learner_snapshot.h"

#include "autograd/node.h"

namespace cyclone::train {

LearnerSnapshot::LearnerSnapshot(Learner& l)
    : learner_(l), optimizer_(l.optimizer().state_dict()), rng_(default_generator().state()), state_(l.state()) {
  for (auto& [k, v] : l.model().state_dict()) model_.emplace_back(k, v.clone());
}

void LearnerSnapshot::restore() const {
  {
    NoGradGuard no_grad;
    learner_.model().load_state_dict(model_);
  }
  learner_.optimizer().load_state_dict(optimizer_);
  learner_.optimizer().zero_grad();
  default_generator().set_state(rng_);
  learner_.set_state(state_);
}

}  // namespace cyclone::train
