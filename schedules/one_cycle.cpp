// One-cycle phases and annealing, computed as torch OneCycleLR.get_lr does (see one_cycle.h).
#include "schedules/one_cycle.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

Anneal parse_anneal(const std::string& name) {
  if (name == "cos") return Anneal::cos;
  if (name == "linear") return Anneal::linear;
  throw std::invalid_argument("OneCycle: unknown anneal strategy '" + name +
                              "'; valid strategies: cos, linear");
}

std::string to_string(Anneal a) { return a == Anneal::cos ? "cos" : "linear"; }

OneCycleOptions fastai_one_cycle(PerGroup max_lr, int64_t total_steps) {
  OneCycleOptions o;
  o.max_lr = std::move(max_lr);
  o.total_steps = total_steps;
  o.pct_start = 0.25;
  o.anneal = Anneal::cos;
  o.div_factor = 25.0;
  o.final_div_factor = 1e5 / 25.0;  // fastai's div_final = 1e5 is relative to max_lr
  o.base_momentum = 0.85;
  o.max_momentum = 0.95;
  return o;
}

OneCycle::OneCycle(OneCycleOptions o)
    : Schedule("OneCycle", o.num_groups,
               o.cycle_momentum ? std::initializer_list<NamedPerGroup>{{"max_lr", &o.max_lr},
                                                                       {"base_momentum", &o.base_momentum},
                                                                       {"max_momentum", &o.max_momentum}}
                                : std::initializer_list<NamedPerGroup>{{"max_lr", &o.max_lr}}),
      max_lrs_(expand_positive(o.max_lr, "max_lr")),
      total_(o.total_steps),
      pct_start_(o.pct_start),
      div_(o.div_factor),
      final_div_(o.final_div_factor),
      anneal_(o.anneal),
      three_phase_(o.three_phase),
      cycle_momentum_(o.cycle_momentum) {
  const std::string& w = name();
  detail::require_at_least(total_, 1, w, "total_steps");
  if (!(pct_start_ > 0 && pct_start_ < 1)) {
    throw std::invalid_argument("OneCycle: pct_start must be in (0, 1), got " + fmt(pct_start_));
  }
  if (three_phase_ && pct_start_ > 0.5) {
    throw std::invalid_argument("OneCycle: pct_start must be <= 0.5 with three_phase (the "
                                "first two phases take 2 * pct_start of the steps), got " +
                                fmt(pct_start_));
  }
  detail::require_positive(div_, w, "div_factor");
  detail::require_positive(final_div_, w, "final_div_factor");
  if (cycle_momentum_) {
    base_moms_ = expand_in_closed(o.base_momentum, 0.0, 1.0, "base_momentum");
    max_moms_ = expand_in_closed(o.max_momentum, 0.0, 1.0, "max_momentum");
  }
  const double T = static_cast<double>(total_);
  const double e1 = static_cast<double>(pct_start_ * T) - 1;  // as PyTorch: float(pct*T) - 1
  if (three_phase_) {
    phases_ = {{e1, kInitial, kMax, kMaxMom, kBaseMom},
               {static_cast<double>(2 * pct_start_ * T) - 2, kMax, kInitial, kBaseMom, kMaxMom},
               {T - 1, kInitial, kMin, kMaxMom, kMaxMom}};
  } else {
    phases_ = {{e1, kInitial, kMax, kMaxMom, kBaseMom}, {T - 1, kMax, kMin, kBaseMom, kMaxMom}};
  }
}

std::string OneCycle::describe() const {
  std::string s = "onecycle(max_lr=" + fmt(max_lrs_) + ", total_steps=" +
                  std::to_string(total_) + ", pct_start=" + fmt(pct_start_) +
                  ", anneal=" + to_string(anneal_) + ", div_factor=" + fmt(div_) +
                  ", final_div_factor=" + fmt(final_div_) +
                  ", three_phase=" + (three_phase_ ? "true" : "false");
  if (cycle_momentum_) {
    s += ", base_momentum=" + fmt(base_moms_) + ", max_momentum=" + fmt(max_moms_);
  }
  return s + ")";
}

double OneCycle::level(Level l, size_t g) const {
  switch (l) {
    case kInitial: return max_lrs_[g] / div_;
    case kMax: return max_lrs_[g];
    case kMin: return max_lrs_[g] / div_ / final_div_;
    case kBaseMom: return base_moms_[g];
    case kMaxMom: return max_moms_[g];
  }
  return 0.0;
}

double OneCycle::anneal(double start, double end, double pct) const {
  if (anneal_ == Anneal::linear) return (end - start) * pct + start;
  double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

Value OneCycle::value_at(int64_t step, size_t group) const {
  const double s = static_cast<double>(std::min(step, total_ - 1));
  double start_step = 0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const Phase& ph = phases_[i];
    if (s <= ph.end_step || i + 1 == phases_.size()) {
      double len = ph.end_step - start_step;
      double pct = len == 0 ? 1.0 : (s - start_step) / len;
      Value v;
      v.lr = anneal(level(ph.lr_from, group), level(ph.lr_to, group), pct);
      if (cycle_momentum_) {
        v.momentum = anneal(level(ph.mom_from, group), level(ph.mom_to, group), pct);
      }
      return v;
    }
    start_step = ph.end_step;
  }
  return {};  // unreachable: the last phase always matches
}

}  // namespace cyclone::schedules
