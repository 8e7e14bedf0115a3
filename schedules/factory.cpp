// Schedules from text (see factory.h for the names, keys and value syntax): one registry entry
// per name, holding its keys, how each key sets the typed spec, and its defaults for a fit.
#include "schedules/factory.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include "schedules/compose.h"

namespace cyclone::schedules {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (s.empty() || s.back() == sep) out.push_back("");
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

// One option's text, read as a typed value; every error names the schedule and the key.
struct Text {
  std::string schedule;
  std::string key;
  std::string value;
  size_t num_groups;  // for slices

  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument(schedule + ": option " + key + ": " + why);
  }

  double number() const { return number(value); }
  double number(const std::string& v) const {
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno == ERANGE) fail("'" + v + "' is not a number");
    return x;
  }

  int64_t integer() const {
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno == ERANGE) fail("'" + value + "' is not an integer");
    return static_cast<int64_t>(x);
  }

  bool boolean() const {
    if (value == "true" || value == "1" || value == "yes") return true;
    if (value == "false" || value == "0" || value == "no") return false;
    fail("'" + value + "' is not a boolean (true/false, 1/0, yes/no)");
  }

  std::vector<int64_t> integer_list() const {
    std::vector<int64_t> out;
    for (const std::string& item : split(value, ',')) {
      double x = number(item);
      if (x != static_cast<double>(static_cast<int64_t>(x))) fail("'" + item + "' is not an integer");
      out.push_back(static_cast<int64_t>(x));
    }
    return out;
  }

  // A scalar, a comma list (one per group), "lo..hi" or "..hi" (fastai slices).
  PerGroup per_group() const {
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
};

// One key of schedule spec S: its name, whether text must give it, and how it sets S.
template <class S>
struct Key {
  std::string name;
  bool required;
  std::function<void(S&, const Text&)> set;
};

struct Entry {
  std::string name;
  std::vector<std::string> keys, required;
  std::function<ScheduleKind()> blank;                  // the spec's own defaults
  std::function<void(ScheduleKind&, const Text&)> set;  // Text::key is one of keys
  std::function<ScheduleKind(const FitShape&)> for_fit;
};

template <class S>
Entry entry(std::string name, std::vector<Key<S>> keys, std::function<S(const FitShape&)> for_fit) {
  Entry e{std::move(name), {}, {}, [] { return ScheduleKind(S{}); }, nullptr, nullptr};
  for (const Key<S>& k : keys) {
    e.keys.push_back(k.name);
    if (k.required) e.required.push_back(k.name);
  }
  e.set = [keys](ScheduleKind& kind, const Text& t) {
    for (const Key<S>& k : keys) {
      if (k.name == t.key) k.set(std::get<S>(kind), t);
    }
  };
  e.for_fit = [for_fit](const FitShape& f) { return ScheduleKind(for_fit(f)); };
  return e;
}

int64_t total_steps(const FitShape& f) { return f.epochs * f.steps_per_epoch; }

// The lr / max_lr key most schedules share.
template <class S>
Key<S> lr_key(PerGroup S::*field, const char* name = "lr") {
  return {name, true, [field](S& s, const Text& t) { s.*field = t.per_group(); }};
}

Entry onecycle_entry() {
  using O = OneCycleOptions;
  return entry<O>(
      "onecycle",
      {{"preset", false,  // first, so that every other key given overrides the preset's defaults
        [](O& o, const Text& t) {
          if (t.value == "fastai") {
            O f = fastai_one_cycle(o.max_lr, o.total_steps);
            f.num_groups = o.num_groups;
            o = f;
          } else if (t.value != "torch") {
            t.fail("unknown preset '" + t.value + "'; valid presets: torch, fastai");
          }
        }},
       lr_key<O>(&O::max_lr, "max_lr"),
       {"total_steps", true, [](O& o, const Text& t) { o.total_steps = t.integer(); }},
       {"pct_start", false, [](O& o, const Text& t) { o.pct_start = t.number(); }},
       {"anneal", false, [](O& o, const Text& t) { o.anneal = parse_anneal(t.value); }},
       {"div_factor", false, [](O& o, const Text& t) { o.div_factor = t.number(); }},
       {"final_div_factor", false, [](O& o, const Text& t) { o.final_div_factor = t.number(); }},
       {"three_phase", false, [](O& o, const Text& t) { o.three_phase = t.boolean(); }},
       {"cycle_momentum", false, [](O& o, const Text& t) { o.cycle_momentum = t.boolean(); }},
       {"base_momentum", false, [](O& o, const Text& t) { o.base_momentum = t.per_group(); }},
       {"max_momentum", false, [](O& o, const Text& t) { o.max_momentum = t.per_group(); }}},
      [](const FitShape& f) { return O{.max_lr = f.lr, .total_steps = total_steps(f)}; });
}

Entry clr_entry() {
  using O = CyclicOptions;
  return entry<O>(
      "clr",
      {lr_key<O>(&O::base_lr, "base_lr"),
       lr_key<O>(&O::max_lr, "max_lr"),
       {"step_size_up", false, [](O& o, const Text& t) { o.step_size_up = t.integer(); }},
       {"step_size_down", false, [](O& o, const Text& t) { o.step_size_down = t.integer(); }},
       {"mode", false,
        [](O& o, const Text& t) {
          o.mode = parse_clr_mode(t.value);
          if (o.mode == ClrMode::custom) t.fail("custom needs a scale function; use the C++ API");
        }},
       {"gamma", false, [](O& o, const Text& t) { o.gamma = t.number(); }},
       {"cycle_momentum", false, [](O& o, const Text& t) { o.cycle_momentum = t.boolean(); }},
       {"base_momentum", false, [](O& o, const Text& t) { o.base_momentum = t.per_group(); }},
       {"max_momentum", false, [](O& o, const Text& t) { o.max_momentum = t.per_group(); }}},
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
      "sgdr",
      {lr_key<S>(&S::lr),
       {"cycle_len", true, [](S& s, const Text& t) { s.cycle_len = t.number(); }},
       {"cycle_mult", false, [](S& s, const Text& t) { s.cycle_mult = t.integer(); }},
       {"eta_min", false, [](S& s, const Text& t) { s.eta_min = t.per_group(); }},
       {"num_cycles", false, [](S& s, const Text& t) { s.num_cycles = t.integer(); }},
       {"steps_per_epoch", false, [](S& s, const Text& t) { s.steps_per_epoch = t.integer(); }}},
      [](const FitShape& f) {
        return S{.lr = f.lr, .cycle_len = f.cycle_len, .steps_per_epoch = f.steps_per_epoch,
                 .cycle_mult = f.cycle_mult};
      });
}

const std::vector<Entry>& registry() {
  // In the order of ScheduleKind's alternatives (checked below).
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> e;
    e.push_back(entry<ConstantSpec>("const", {lr_key<ConstantSpec>(&ConstantSpec::lr)},
                                    [](const FitShape& f) { return ConstantSpec{.lr = f.lr}; }));
    e.push_back(entry<StepSpec>(
        "step",
        {lr_key<StepSpec>(&StepSpec::lr),
         {"step_size", true, [](StepSpec& s, const Text& t) { s.step_size = t.integer(); }},
         {"gamma", false, [](StepSpec& s, const Text& t) { s.gamma = t.number(); }}},
        [](const FitShape& f) {
          const double third = std::floor(double(total_steps(f)) / 3);
          return StepSpec{.lr = f.lr, .step_size = static_cast<int64_t>(std::max(1.0, third))};
        }));
    e.push_back(entry<MultiStepSpec>(
        "multistep",
        {lr_key<MultiStepSpec>(&MultiStepSpec::lr),
         {"milestones", true, [](MultiStepSpec& s, const Text& t) { s.milestones = t.integer_list(); }},
         {"gamma", false, [](MultiStepSpec& s, const Text& t) { s.gamma = t.number(); }}},
        [](const FitShape& f) {
          const double total = double(total_steps(f));
          return MultiStepSpec{.lr = f.lr,
                               .milestones = {int64_t(total / 2), int64_t(total * 3 / 4)}};
        }));
    e.push_back(entry<ExponentialSpec>(
        "exp",
        {lr_key<ExponentialSpec>(&ExponentialSpec::lr),
         {"gamma", true, [](ExponentialSpec& s, const Text& t) { s.gamma = t.number(); }}},
        [](const FitShape& f) {
          const double total = double(total_steps(f));
          return ExponentialSpec{.lr = f.lr, .gamma = std::pow(0.01, 1.0 / std::max(1.0, total))};
        }));
    e.push_back(entry<PolynomialSpec>(
        "poly",
        {lr_key<PolynomialSpec>(&PolynomialSpec::lr),
         {"total_steps", true, [](PolynomialSpec& s, const Text& t) { s.total_steps = t.integer(); }},
         {"power", false, [](PolynomialSpec& s, const Text& t) { s.power = t.number(); }},
         {"end_lr", false, [](PolynomialSpec& s, const Text& t) { s.end_lr = t.per_group(); }}},
        [](const FitShape& f) { return PolynomialSpec{.lr = f.lr, .total_steps = total_steps(f)}; }));
    e.push_back(entry<LinearSpec>(
        "linear",
        {lr_key<LinearSpec>(&LinearSpec::lr),
         {"start_factor", false, [](LinearSpec& s, const Text& t) { s.start_factor = t.number(); }},
         {"end_factor", false, [](LinearSpec& s, const Text& t) { s.end_factor = t.number(); }},
         {"total_iters", false, [](LinearSpec& s, const Text& t) { s.total_iters = t.integer(); }}},
        [](const FitShape& f) { return LinearSpec{.lr = f.lr}; }));
    e.push_back(entry<CosineSpec>(
        "cosine",
        {lr_key<CosineSpec>(&CosineSpec::lr),
         {"t_max", true, [](CosineSpec& s, const Text& t) { s.t_max = t.integer(); }},
         {"eta_min", false, [](CosineSpec& s, const Text& t) { s.eta_min = t.per_group(); }}},
        [](const FitShape& f) { return CosineSpec{.lr = f.lr, .t_max = total_steps(f)}; }));
    e.push_back(clr_entry());
    e.push_back(sgdr_entry());
    e.push_back(onecycle_entry());
    using SO = SlantedTriangularOptions;
    e.push_back(entry<SO>(
        "slanted",
        {lr_key<SO>(&SO::max_lr, "max_lr"),
         {"total_steps", true, [](SO& o, const Text& t) { o.total_steps = t.integer(); }},
         {"cut_frac", false, [](SO& o, const Text& t) { o.cut_frac = t.number(); }},
         {"ratio", false, [](SO& o, const Text& t) { o.ratio = t.number(); }}},
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

// Sets the given keys on `spec` in the entry's key order (num_groups and warm-up apart).
void apply(ScheduleSpec& spec, const Entry& e, const std::map<std::string, std::string>& given,
           bool require_all) {
  const std::vector<std::string> common = {"num_groups", "warmup_steps", "warmup_start_factor"};
  std::vector<std::string> valid = e.keys;
  valid.insert(valid.end(), common.begin(), common.end());
  for (const auto& [key, value] : given) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw std::invalid_argument(e.name + ": unknown option '" + key + "'; valid options: " + join(valid));
    }
  }
  auto text = [&](const std::string& key, size_t n) { return Text{e.name, key, given.at(key), n}; };
  size_t groups = std::visit([](const auto& s) { return s.num_groups; }, spec.kind);
  if (given.count("num_groups")) {
    const int64_t n = text("num_groups", 0).integer();
    if (n < 0) text("num_groups", 0).fail("must be >= 0, got " + std::to_string(n));
    groups = static_cast<size_t>(n);
    std::visit([&](auto& s) { s.num_groups = groups; }, spec.kind);
  }
  if (require_all) {
    for (const std::string& key : e.required) {
      if (!given.count(key)) throw std::invalid_argument(e.name + ": missing required option " + key);
    }
  }
  for (const std::string& key : e.keys) {
    if (given.count(key)) e.set(spec.kind, text(key, groups));
  }
  if (given.count("warmup_steps")) {
    if (!spec.warmup) spec.warmup = WarmupSpec{};
    spec.warmup->steps = text("warmup_steps", groups).integer();
  }
  if (given.count("warmup_start_factor")) {
    if (!spec.warmup) text("warmup_start_factor", groups).fail("needs warmup_steps");
    spec.warmup->start_factor = text("warmup_start_factor", groups).number();
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
  return ScheduleSpec{find_entry(name).for_fit(fit), std::nullopt};
}

void apply_schedule_options(ScheduleSpec& spec, const std::string& text) {
  apply(spec, registry().at(spec.kind.index()), parse_entries(text), false);
}

}  // namespace cyclone::schedules
