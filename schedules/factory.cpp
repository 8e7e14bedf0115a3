// Schedules from text (see factory.h for the names, keys and value syntax): the registry, one
// entry per name holding its table of keys (keys.h: each bound to a typed field of the spec) and
// its defaults for a fit, and the text parser that applies options through those tables.
#include "schedules/factory.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "schedules/keys.h"

namespace cyclone::schedules {

namespace {

using keys::action;
using keys::entry;
using keys::Entry;
using keys::field;
using keys::Text;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

// The steps the fit's main schedule spans: all of the fit's but the warm-up's.
int64_t total_steps(const FitShape& f) { return f.epochs * f.steps_per_epoch - f.warmup_steps; }

Entry onecycle_entry() {
  using O = OneCycleOptions;
  return entry<O>(
      "onecycle",
      "max_lr",
      {action<O>("preset",  // first, so that every other key given overrides the preset's defaults
                 [](O& o, const Text& t) {
          if (t.value == "fastai") {
            O f = fastai_one_cycle(o.max_lr, o.total_steps);
            f.num_groups = o.num_groups;
            o = f;
          } else if (t.value != "torch") {
            t.fail("unknown preset '" + t.value + "'; valid presets: torch, fastai");
          }
        }),
       field<O>("max_lr", &O::max_lr, true),
       field<O>("total_steps", &O::total_steps, true),
       field<O>("pct_start", &O::pct_start),
       field<O>("anneal", &O::anneal),
       field<O>("div_factor", &O::div_factor),
       field<O>("final_div_factor", &O::final_div_factor),
       field<O>("three_phase", &O::three_phase),
       field<O>("cycle_momentum", &O::cycle_momentum),
       field<O>("base_momentum", &O::base_momentum),
       field<O>("max_momentum", &O::max_momentum)},
      [](const FitShape& f) { return O{.max_lr = f.lr, .total_steps = total_steps(f)}; });
}

Entry clr_entry() {
  using O = CyclicOptions;
  return entry<O>(
      "clr", "max_lr",
      {field<O>("base_lr", &O::base_lr, true),
       field<O>("max_lr", &O::max_lr, true),
       field<O>("step_size_up", &O::step_size_up),
       field<O>("step_size_down", &O::step_size_down),
       field<O>("mode", &O::mode),
       field<O>("gamma", &O::gamma),
       field<O>("cycle_momentum", &O::cycle_momentum),
       field<O>("base_momentum", &O::base_momentum),
       field<O>("max_momentum", &O::max_momentum)},
      [](const FitShape& f) {
        const double half_cycle = std::round(double(f.steps_per_epoch) * f.cycle_len / 2);
        O o;
        o.base_lr = f.lr / 4;
        o.max_lr = f.lr;
        o.step_size_up = static_cast<int64_t>(std::max(1.0, half_cycle));
        return o;
      });
}

Entry sgdr_entry() {
  using S = SgdrSpec;
  return entry<S>(
      "sgdr", "lr",
      {field<S>("lr", &S::lr, true),
       field<S>("cycle_len", &S::cycle_len, true),
       field<S>("cycle_mult", &S::cycle_mult),
       field<S>("eta_min", &S::eta_min),
       field<S>("num_cycles", &S::num_cycles),
       field<S>("steps_per_epoch", &S::steps_per_epoch)},
      [](const FitShape& f) {
        return S{.lr = f.lr, .cycle_len = f.cycle_len, .steps_per_epoch = f.steps_per_epoch,
                 .cycle_mult = f.cycle_mult};
      });
}

}  // namespace

namespace keys {

const std::vector<Entry>& registry() {
  // In the order of ScheduleKind's alternatives (checked below).
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> e;
    e.push_back(entry<ConstantSpec>("const", "lr", {field<ConstantSpec>("lr", &ConstantSpec::lr, true)},
                                    [](const FitShape& f) { return ConstantSpec{.lr = f.lr}; }));
    e.push_back(entry<StepSpec>(
        "step", "lr",
        {field<StepSpec>("lr", &StepSpec::lr, true),
         field<StepSpec>("step_size", &StepSpec::step_size, true),
         field<StepSpec>("gamma", &StepSpec::gamma)},
        [](const FitShape& f) {
          const double third = std::floor(double(total_steps(f)) / 3);
          return StepSpec{.lr = f.lr, .step_size = static_cast<int64_t>(std::max(1.0, third))};
        }));
    e.push_back(entry<MultiStepSpec>(
        "multistep", "lr",
        {field<MultiStepSpec>("lr", &MultiStepSpec::lr, true),
         field<MultiStepSpec>("milestones", &MultiStepSpec::milestones, true),
         field<MultiStepSpec>("gamma", &MultiStepSpec::gamma)},
        [](const FitShape& f) {
          const double total = double(total_steps(f));
          return MultiStepSpec{.lr = f.lr,
                               .milestones = {int64_t(total / 2), int64_t(total * 3 / 4)}};
        }));
    e.push_back(entry<ExponentialSpec>(
        "exp", "lr",
        {field<ExponentialSpec>("lr", &ExponentialSpec::lr, true),
         field<ExponentialSpec>("gamma", &ExponentialSpec::gamma, true)},
        [](const FitShape& f) {
          const double total = double(total_steps(f));
          return ExponentialSpec{.lr = f.lr, .gamma = std::pow(0.01, 1.0 / std::max(1.0, total))};
        }));
    e.push_back(entry<PolynomialSpec>(
        "poly", "lr",
        {field<PolynomialSpec>("lr", &PolynomialSpec::lr, true),
         field<PolynomialSpec>("total_steps", &PolynomialSpec::total_steps, true),
         field<PolynomialSpec>("power", &PolynomialSpec::power),
         field<PolynomialSpec>("end_lr", &PolynomialSpec::end_lr)},
        [](const FitShape& f) { return PolynomialSpec{.lr = f.lr, .total_steps = total_steps(f)}; }));
    e.push_back(entry<LinearSpec>(
        "linear", "lr",
        {field<LinearSpec>("lr", &LinearSpec::lr, true),
         field<LinearSpec>("start_factor", &LinearSpec::start_factor),
         field<LinearSpec>("end_factor", &LinearSpec::end_factor),
         field<LinearSpec>("total_iters", &LinearSpec::total_iters)},
        [](const FitShape& f) { return LinearSpec{.lr = f.lr}; }));
    e.push_back(entry<CosineSpec>(
        "cosine", "lr",
        {field<CosineSpec>("lr", &CosineSpec::lr, true),
         field<CosineSpec>("t_max", &CosineSpec::t_max, true),
         field<CosineSpec>("eta_min", &CosineSpec::eta_min)},
        [](const FitShape& f) { return CosineSpec{.lr = f.lr, .t_max = total_steps(f)}; }));
    e.push_back(clr_entry());
    e.push_back(sgdr_entry());
    e.push_back(onecycle_entry());
    using SO = SlantedTriangularOptions;
    e.push_back(entry<SO>(
        "slanted", "max_lr",
        {field<SO>("max_lr", &SO::max_lr, true),
         field<SO>("total_steps", &SO::total_steps, true),
         field<SO>("cut_frac", &SO::cut_frac),
         field<SO>("ratio", &SO::ratio)},
        [](const FitShape& f) { return SO{.max_lr = f.lr, .total_steps = total_steps(f)}; }));
    for (size_t i = 0; i < e.size(); ++i) {
      if (e[i].blank().index() != i) throw std::logic_error("schedule registry out of order");
    }
    return e;
  }();
  return entries;
}

const Entry& find_entry(const std::string& name) {
  const auto& reg = registry();
  auto it = std::find_if(reg.begin(), reg.end(), [&](const Entry& e) { return e.name == name; });
  if (it == reg.end()) {
    throw std::invalid_argument("unknown schedule '" + name + "'; valid schedules: " + join(schedule_names()));
  }
  return *it;
}

}  // namespace keys

namespace {

using keys::find_entry;
using keys::registry;

// "key=value key=value ...": throws on an entry without '=' or an empty or repeated key.
std::map<std::string, std::string> parse_entries(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("schedule options: expected key=value, got '" + token + "'");
    }
    std::string key = token.substr(0, eq);
    if (out.count(key)) throw std::invalid_argument("schedule options: " + key + " given twice");
    out[key] = token.substr(eq + 1);
  }
  return out;
}

// Sets the given keys on `spec` in the entry's key order (num_groups first, warm-up last).
void apply(ScheduleSpec& spec, const Entry& e, const std::map<std::string, std::string>& given,
           bool require_all) {
  std::vector<std::string> valid;
  for (const keys::AnyKey& k : e.keys) valid.push_back(k.name);
  valid.insert(valid.end(), {keys::kWarmupSteps, keys::kWarmupStartFactor});
  for (const auto& [key, value] : given) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw std::invalid_argument(e.name + ": unknown option '" + key + "'; valid options: " + join(valid));
    }
  }
  auto text = [&](const std::string& key, size_t n) { return Text{e.name, key, given.at(key), n}; };
  const keys::AnyKey& groups_key = e.keys.back();  // num_groups: slices need it first
  if (given.count(groups_key.name)) groups_key.parse(spec.kind, text(groups_key.name, 0));
  const size_t groups = std::visit([](const auto& s) { return s.num_groups; }, spec.kind);
  if (require_all) {
    for (const keys::AnyKey& k : e.keys) {
      if (k.required && !given.count(k.name)) throw std::invalid_argument(e.name + ": missing required option " + k.name);
    }
  }
  for (const keys::AnyKey& k : e.keys) {
    if (&k != &groups_key && given.count(k.name)) k.parse(spec.kind, text(k.name, groups));
  }
  if (given.count(keys::kWarmupSteps)) {
    if (!spec.warmup) spec.warmup = WarmupSpec{};
    spec.warmup->steps = keys::Codec<int64_t>::parse(text(keys::kWarmupSteps, groups));
  }
  if (given.count(keys::kWarmupStartFactor)) {
    if (!spec.warmup) text(keys::kWarmupStartFactor, groups).fail("needs warmup_steps");
    spec.warmup->start_factor = keys::Codec<double>::parse(text(keys::kWarmupStartFactor, groups));
  }
}

}  // namespace

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const Entry& e : registry()) names.push_back(e.name);
  return names;
}

ScheduleSpec parse_schedule_spec(const std::string& text) {
  std::istringstream in(text);
  std::string name;
  if (!(in >> name)) throw std::invalid_argument("parse_schedule: empty schedule spec");
  std::string rest;
  std::getline(in, rest, '\0');
  const Entry& e = find_entry(name);
  ScheduleSpec spec{e.blank(), std::nullopt};
  apply(spec, e, parse_entries(rest), true);
  return spec;
}

SchedulePtr parse_schedule(const std::string& text) { return make_schedule(parse_schedule_spec(text)); }

ScheduleSpec spec_for_fit(const std::string& name, const FitShape& fit) {
  if (fit.warmup_steps < 0 || fit.warmup_steps >= fit.epochs * fit.steps_per_epoch) {
    throw std::invalid_argument("warmup_steps must be in [0, " + std::to_string(fit.epochs * fit.steps_per_epoch) +
                                "), the fit's steps; got " + std::to_string(fit.warmup_steps));
  }
  ScheduleSpec spec{find_entry(name).for_fit(fit), std::nullopt};
  if (fit.warmup_steps > 0) spec.warmup = WarmupSpec{.steps = fit.warmup_steps};
  return spec;
}

void apply_schedule_options(ScheduleSpec& spec, const std::string& text) {
  apply(spec, keys::entry_of(spec), parse_entries(text), false);
}

ScheduleSpec fit_schedule(const std::string& name, FitShape fit, const std::string& options) {
  ScheduleSpec spec = spec_for_fit(name, fit);
  apply_schedule_options(spec, options);
  const int64_t warmup = spec.warmup ? spec.warmup->steps : 0;
  if (warmup == fit.warmup_steps) return spec;
  fit.warmup_steps = warmup;  // the text asked for a warm-up: size the rest of the fit around it
  spec = spec_for_fit(name, fit);
  apply_schedule_options(spec, options);
  return spec;
}

std::optional<double> fit_lr(const ScheduleSpec& spec) {
  const Entry& e = keys::entry_of(spec);
  for (const keys::AnyKey& k : e.keys) {
    if (k.name != e.peak) continue;
    const StoredArray a = k.store(spec.kind);
    const auto& v = std::get<std::vector<double>>(a.values);
    if (a.scalar) return v[0];
  }
  return std::nullopt;
}

}  // namespace cyclone::schedules
