// lr-find: the LR range test from the command line, with the sweep options that train shares.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "lr_find_args.h"
#include "option_checks.h"
#include "schedules/lr_suggest.h"

namespace cyclone::cli {
using nlohmann::json;

void add_lr_find_options(CLI::App& app, LrFindArgs& a) {
  app.add_option("--start-lr", a.start_lr, "Sweep start")->capture_default_str()->check(number_above(0));
  app.add_option("--end-lr", a.end_lr, "Sweep end (above --start-lr)")->capture_default_str()->check(number_above(0));
  app.add_option("--num-it", a.num_it, "Sweep iterations (the suggestions need at least 10)")
      ->capture_default_str()
      ->check(whole_at_least(10));
}

void check_sweep(const LrFindArgs& a) {
  if (!(a.end_lr > a.start_lr)) {
    throw std::invalid_argument("--end-lr " + json(a.end_lr).dump() + " must be above --start-lr " +
                                json(a.start_lr).dump() + " (the sweep goes up)");
  }
}

train::LrFindResult run_lr_find(Session& s, const Common& c, const LrFindArgs& a, const std::string& chosen) {
  train::LrFindOptions o;
  o.start_lr = a.start_lr;
  o.end_lr = a.end_lr;
  o.num_it = a.num_it;
  train::LrFindResult r = train::lr_find(*s.learner, o);
  train::write_lr_find(r, c.out, chosen);
  std::cout << r.summary() << "  wrote " << c.out << "/lr_find.csv and " << c.out << "/lr_find.png\n";
  return r;
}

// The model is as it was, and nothing trained.
int range_test_interrupted(const Common& c, const train::LrFindResult& r, json j) {
  std::printf("interrupted (%s) after %zu of %lld range-test steps; the model is as it was, nothing was trained\n",
              signal_name(r.interrupted_by).c_str(), r.lrs.size(), static_cast<long long>(r.num_it));
  j.update({{"interrupted", signal_name(r.interrupted_by)}, {"iterations", r.lrs.size()}});
  emit_json(c, j);
  return interrupted_status(r.interrupted_by);
}


Runner add_lr_find(CLI::App& app) {
  auto* sub = app.add_subcommand("lr-find", "LR range test: sweep the lr, plot the loss, suggest an lr");
  auto c = std::make_shared<Common>();
  auto a = std::make_shared<LrFindArgs>();
  add_common(*sub, *c, true);
  add_lr_find_options(*sub, *a);
  return [c, a] {
    check_sweep(*a);
    Session s = make_session(*c, true);
    const train::LrFindResult r = run_lr_find(s, *c, *a, schedules::kDefaultSuggestionRule);
    if (r.interrupted_by) return range_test_interrupted(*c, r, {{"command", "lr-find"}});
    emit_json(*c, {{"command", "lr-find"}, {"iterations", r.lrs.size()}, {"diverged", r.diverged},
                   {"suggestions", suggestions_json(r)}, {"auto_rule", schedules::kDefaultSuggestionRule}, {"csv", c->out + "/lr_find.csv"}, {"plot", c->out + "/lr_find.png"}});
    return 0;
  };
}

}  // namespace cyclone::cli
