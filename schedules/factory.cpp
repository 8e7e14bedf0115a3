// Schedules by name from text options (see factory.h for the names, keys and value syntax).
#include "schedules/factory.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "schedules/classic.h"
#include "schedules/compose.h"
#include "schedules/cyclic.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"
#include "schedules/slanted_triangular.h"

namespace cyclone::schedules {

namespace {

// Typed access to one schedule's options; every error names the schedule and the key.
class Reader {
 public:
  Reader(std::string name, const ScheduleOptions& o) : name_(std::move(name)), o_(o) {}

  bool has(const std::string& key) const { return o_.has(key); }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw std::invalid_argument(name_ + ": option " + key + ": " + why);
  }

  const std::string& raw(const std::string& key) const {
    if (!has(key)) throw std::invalid_argument(name_ + ": missing required option " + key);
    return o_.entries().at(key);
  }

  double number(const std::string& key) const { return parse_number(key, raw(key)); }
  double number(const std::string& key, double fallback) const {
    return has(key) ? number(key) : fallback;
  }

  int64_t integer(const std::string& key) const {
    const std::string& v = raw(key);
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno == ERANGE) fail(key, "'" + v + "' is not an integer");
    return static_cast<int64_t>(x);
  }
  int64_t integer(const std::string& key, int64_t fallback) const {
    return has(key) ? integer(key) : fallback;
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const std::string& v = raw(key);
    if (v == "true" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "0" || v == "no") return false;
    fail(key, "'" + v + "' is not a boolean (true/false, 1/0, yes/no)");
  }

  std::string word(const std::string& key, const std::string& fallback) const {
    return has(key) ? raw(key) : fallback;
  }

  std::vector<int64_t> integer_list(const std::string& key) const {
    std::vector<int64_t> out;
    for (const std::string& item : split(raw(key), ',')) {
      double x = parse_number(key, item);
      if (x != static_cast<double>(static_cast<int64_t>(x))) {
        fail(key, "'" + item + "' is not an integer");
      }
      out.push_back(static_cast<int64_t>(x));
    }
    return out;
  }

  // A scalar, a comma list (one per group), "lo..hi" or "..hi" (fastai slices).
  PerGroup per_group(const std::string& key, size_t num_groups) const {
    const std::string& v = raw(key);
    size_t dots = v.find("..");
    if (dots != std::string::npos) {
      if (num_groups == 0) fail(key, "the slice '" + v + "' needs num_groups");
      double hi = parse_number(key, v.substr(dots + 2));
      if (dots == 0) return PerGroup(lr_slice(hi, num_groups));
      return PerGroup(lr_slice(parse_number(key, v.substr(0, dots)), hi, num_groups));
    }
    std::vector<std::string> items = split(v, ',');
    if (items.size() == 1) return PerGroup(parse_number(key, items[0]));
    std::vector<double> values;
    for (const std::string& item : items) values.push_back(parse_number(key, item));
    return PerGroup(std::move(values));
  }
  PerGroup per_group(const std::string& key, size_t num_groups, double fallback) const {
    return has(key) ? per_group(key, num_groups) : PerGroup(fallback);
  }

 private:
  double parse_number(const std::string& key, const std::string& v) const {
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno == ERANGE) fail(key, "'" + v + "' is not a number");
    return x;
  }

  static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep)) out.push_back(item);
    if (s.empty() || s.back() == sep) out.push_back("");
    return out;
  }

  std::string name_;
  const ScheduleOptions& o_;
};

using Builder = std::function<SchedulePtr(const Reader&, size_t num_groups)>;

struct Entry {
  std::string name;
  std::vector<std::string> keys;
  Builder build;
};

SchedulePtr build_clr(const Reader& r, size_t n) {
  CyclicOptions o;
  o.base_lr = r.per_group("base_lr", n);
  o.max_lr = r.per_group("max_lr", n);
  o.step_size_up = r.integer("step_size_up", o.step_size_up);
  if (r.has("step_size_down")) o.step_size_down = r.integer("step_size_down");
  o.mode = parse_clr_mode(r.word("mode", "triangular"));
  if (o.mode == ClrMode::custom) r.fail("mode", "custom needs a scale function; use the C++ API");
  o.gamma = r.number("gamma", o.gamma);
  o.cycle_momentum = r.boolean("cycle_momentum", o.cycle_momentum);
  o.base_momentum = r.per_group("base_momentum", n, 0.8);
  o.max_momentum = r.per_group("max_momentum", n, 0.9);
  o.num_groups = n;
  return std::make_shared<Cyclic>(std::move(o));
}

SchedulePtr build_sgdr(const Reader& r, size_t n) {
  SGDROptions o;
  o.lr = r.per_group("lr", n);
  o.cycle_len = r.has("steps_per_epoch")
                    ? cycle_len_from_epochs(r.number("cycle_len"), r.integer("steps_per_epoch"))
                    : r.integer("cycle_len");
  o.cycle_mult = r.integer("cycle_mult", 1);
  o.eta_min = r.per_group("eta_min", n, 0.0);
  if (r.has("num_cycles")) o.num_cycles = r.integer("num_cycles");
  o.num_groups = n;
  return std::make_shared<SGDR>(std::move(o));
}

SchedulePtr build_onecycle(const Reader& r, size_t n) {
  std::string preset = r.word("preset", "torch");
  if (preset != "torch" && preset != "fastai") {
    r.fail("preset", "unknown preset '" + preset + "'; valid presets: torch, fastai");
  }
  OneCycleOptions o;
  if (preset == "fastai") o = fastai_one_cycle(1.0, 1);  // its defaults; values set below
  o.max_lr = r.per_group("max_lr", n);
  o.total_steps = r.integer("total_steps");
  o.pct_start = r.number("pct_start", o.pct_start);
  if (r.has("anneal")) o.anneal = parse_anneal(r.word("anneal", ""));
  o.div_factor = r.number("div_factor", o.div_factor);
  o.final_div_factor = r.number("final_div_factor", o.final_div_factor);
  o.three_phase = r.boolean("three_phase", o.three_phase);
  o.cycle_momentum = r.boolean("cycle_momentum", o.cycle_momentum);
  if (r.has("base_momentum")) o.base_momentum = r.per_group("base_momentum", n);
  if (r.has("max_momentum")) o.max_momentum = r.per_group("max_momentum", n);
  o.num_groups = n;
  return std::make_shared<OneCycle>(std::move(o));
}

SchedulePtr build_slanted(const Reader& r, size_t n) {
  SlantedTriangularOptions o;
  o.max_lr = r.per_group("max_lr", n);
  o.total_steps = r.integer("total_steps");
  o.cut_frac = r.number("cut_frac", o.cut_frac);
  o.ratio = r.number("ratio", o.ratio);
  o.num_groups = n;
  return std::make_shared<SlantedTriangular>(std::move(o));
}

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"const", {"lr"},
       [](const Reader& r, size_t n) {
         return std::make_shared<Constant>(r.per_group("lr", n), n);
       }},
      {"step", {"lr", "step_size", "gamma"},
       [](const Reader& r, size_t n) {
         return std::make_shared<StepDecay>(r.per_group("lr", n), r.integer("step_size"),
                                            r.number("gamma", 0.1), n);
       }},
      {"multistep", {"lr", "milestones", "gamma"},
       [](const Reader& r, size_t n) {
         return std::make_shared<MultiStep>(r.per_group("lr", n), r.integer_list("milestones"),
                                            r.number("gamma", 0.1), n);
       }},
      {"exp", {"lr", "gamma"},
       [](const Reader& r, size_t n) {
         return std::make_shared<Exponential>(r.per_group("lr", n), r.number("gamma"), n);
       }},
      {"poly", {"lr", "total_steps", "power", "end_lr"},
       [](const Reader& r, size_t n) {
         return std::make_shared<Polynomial>(r.per_group("lr", n), r.integer("total_steps"),
                                             r.number("power", 1.0),
                                             r.per_group("end_lr", n, 0.0), n);
       }},
      {"linear", {"lr", "start_factor", "end_factor", "total_iters"},
       [](const Reader& r, size_t n) {
         return std::make_shared<Linear>(r.per_group("lr", n), r.number("start_factor", 1.0 / 3),
                                         r.number("end_factor", 1.0),
                                         r.integer("total_iters", 5), n);
       }},
      {"cosine", {"lr", "t_max", "eta_min"},
       [](const Reader& r, size_t n) {
         return std::make_shared<CosineAnnealing>(r.per_group("lr", n), r.integer("t_max"),
                                                  r.per_group("eta_min", n, 0.0), n);
       }},
      {"clr", {"base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma",
               "cycle_momentum", "base_momentum", "max_momentum"}, build_clr},
      {"sgdr", {"lr", "cycle_len", "cycle_mult", "eta_min", "num_cycles", "steps_per_epoch"},
       build_sgdr},
      {"onecycle", {"max_lr", "total_steps", "preset", "pct_start", "anneal", "div_factor",
                    "final_div_factor", "three_phase", "cycle_momentum", "base_momentum",
                    "max_momentum"}, build_onecycle},
      {"slanted", {"max_lr", "total_steps", "cut_frac", "ratio"}, build_slanted},
  };
  return entries;
}

const std::vector<std::string> kCommonKeys = {"num_groups", "warmup_steps",
                                              "warmup_start_factor"};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

}  // namespace

ScheduleOptions ScheduleOptions::parse(const std::string& text) {
  ScheduleOptions out;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("schedule options: expected key=value, got '" + token + "'");
    }
    std::string key = token.substr(0, eq);
    if (out.has(key)) throw std::invalid_argument("schedule options: " + key + " given twice");
    out.set(key, token.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> schedule_names() {
  std::vector<std::string> names;
  for (const Entry& e : registry()) names.push_back(e.name);
  return names;
}

SchedulePtr make_schedule(const std::string& name, const ScheduleOptions& options) {
  const auto& reg = registry();
  auto it = std::find_if(reg.begin(), reg.end(), [&](const Entry& e) { return e.name == name; });
  if (it == reg.end()) {
    throw std::invalid_argument("unknown schedule '" + name + "'; valid schedules: " +
                                join(schedule_names()));
  }
  std::vector<std::string> valid = it->keys;
  valid.insert(valid.end(), kCommonKeys.begin(), kCommonKeys.end());
  for (const auto& [key, value] : options.entries()) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw std::invalid_argument(name + ": unknown option '" + key + "'; valid options: " +
                                  join(valid));
    }
  }
  Reader r(name, options);
  int64_t groups = r.integer("num_groups", 0);
  if (groups < 0) r.fail("num_groups", "must be >= 0, got " + std::to_string(groups));
  SchedulePtr schedule = it->build(r, static_cast<size_t>(groups));
  if (r.has("warmup_steps")) {
    schedule = std::make_shared<Warmup>(schedule, r.integer("warmup_steps"),
                                        r.number("warmup_start_factor", 0.0));
  } else if (r.has("warmup_start_factor")) {
    r.fail("warmup_start_factor", "needs warmup_steps");
  }
  return schedule;
}

SchedulePtr parse_schedule(const std::string& spec) {
  std::istringstream in(spec);
  std::string name;
  if (!(in >> name)) throw std::invalid_argument("parse_schedule: empty schedule spec");
  std::string rest;
  std::getline(in, rest, '\0');
  return make_schedule(name, ScheduleOptions::parse(rest));
}

}  // namespace cyclone::schedules
