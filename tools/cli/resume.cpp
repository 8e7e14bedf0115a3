// train --resume's checks of the schedule and optimizer options given against the checkpoint.
#include "resume.h"

#include <sstream>
#include <stdexcept>

#include "common.h"
#include "option_checks.h"
#include "schedules/factory.h"
#include "schedules/stored.h"

namespace cyclone::cli {
namespace {

[[noreturn]] void disagree(const std::string& options, const std::string& ckpt, const std::string& theirs,
                           const std::string& ours, const std::string& what = "schedule") {
  throw std::runtime_error("--resume: " + options + " disagrees with " + ckpt + ": its " + what + " " + theirs +
                           ", the options give " + ours + " (give the first run's values, or leave them out)");
}

// The keys of `name`'s fit defaults that one field of the fit's shape sets: those that change
// when that field does.
std::vector<std::string> keys_set_by(const std::string& name, const schedules::FitShape& shape,
                                     const schedules::FitShape& moved) {
  const schedules::StoredSchedule a = schedules::store_schedule(schedules::spec_for_fit(name, shape));
  const schedules::StoredSchedule b = schedules::store_schedule(schedules::spec_for_fit(name, moved));
  std::vector<std::string> keys;
  for (const auto& [k, v] : a) {
    if (!schedules::same_values(v, b.at(k))) keys.push_back(k);
  }
  return keys;
}

// The key part of a stored name ("onecycle/max_lr" -> "max_lr").
std::string bare_key(const std::string& stored) { return stored.substr(stored.find('/') + 1); }

std::string momentum_error(const std::string& given, const std::string& schedule) {
  return "--momentum " + given + ": the " + schedule +
         " schedule sets the momentum itself (give its range in --schedule-opts, or cycle_momentum=false there)";
}

}  // namespace

void check_fit_options(const CLI::App& train) {
  auto given = [&](const char* option) { return train.count(option) > 0; };
  auto value = [&](const char* option) { return train.get_option(option)->as<std::string>(); };
  const std::string name = value("--schedule");
  const schedules::FitShape shape{.lr = 1.0,
                                  .epochs = train.get_option("--epochs")->as<int64_t>(),
                                  .steps_per_epoch = 100,
                                  .cycle_len = train.get_option("--cycle-len")->as<double>(),
                                  .cycle_mult = train.get_option("--cycle-mult")->as<int64_t>()};
  try {
    (void)schedules::spec_for_fit(name, shape);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--schedule " + name + ": " + e.what());
  }
  schedules::ScheduleSpec spec;
  try {
    spec = schedules::fit_schedule(name, shape, value("--schedule-opts"));
    (void)schedules::make_schedule(spec);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--schedule-opts '" + value("--schedule-opts") + "': " + e.what());
  }
  auto moved_keys = [&]<class T>(T schedules::FitShape::*field, T changed) {
    schedules::FitShape moved = shape;
    moved.*field = changed;
    return keys_set_by(name, shape, moved);
  };
  if (given("--cycle-len") && moved_keys(&schedules::FitShape::cycle_len, 2 * shape.cycle_len + 1).empty()) {
    throw std::invalid_argument("--cycle-len " + value("--cycle-len") + ": the " + name +
                                " schedule has no cycles (--cycle-len is for sgdr and clr)");
  }
  if (given("--cycle-mult") && moved_keys(&schedules::FitShape::cycle_mult, shape.cycle_mult + 1).empty()) {
    throw std::invalid_argument("--cycle-mult " + value("--cycle-mult") + ": the " + name +
                                " schedule has no growing cycles (--cycle-mult is for sgdr)");
  }
  std::istringstream words(value("--schedule-opts"));
  for (std::string word; words >> word;) {
    const std::string key = word.substr(0, word.find('='));
    for (const std::string& lr_key : moved_keys(&schedules::FitShape::lr, 2.0)) {
      if (bare_key(lr_key) == key) {
        throw std::invalid_argument("--schedule-opts " + word + " sets the peak lr, which --lr sets (give --lr " +
                                    word.substr(word.find('=') + 1) + ")");
      }
    }
  }
  if (given("--momentum") && schedules::make_schedule(spec)->at(0, 0).momentum) {
    throw std::invalid_argument(momentum_error(value("--momentum"), name));
  }
}

void check_resume_options(const CLI::App& train, const std::string& ckpt, const train::FitRecord& saved) {
  const schedules::ScheduleSpec& spec = saved.schedule.value();
  const std::string name = schedules::schedule_name(spec);
  auto given = [&](const char* option) { return train.count(option) > 0; };
  auto value = [&](const char* option) { return train.get_option(option)->as<std::string>(); };
  if (given("--schedule") && value("--schedule") != name) {
    disagree("--schedule " + value("--schedule"), ckpt, "is " + name, value("--schedule"));
  }
  const LrChoice lr_given = given("--lr") ? parse_lr("--lr", value("--lr")) : LrChoice{};
  const std::optional<double>& lr = lr_given.value;  // empty for --lr auto, as for no --lr
  std::string options;
  for (const char* option : {"--lr", "--cycle-len", "--cycle-mult", "--schedule-opts"}) {
    if (given(option) && (std::string(option) != "--lr" || lr))
      options += (options.empty() ? "" : " ") + std::string(option) + " " + value(option);
  }
  if (options.empty()) return;
  // Set what the options set, as a fresh run would: the fit's defaults first, then the text.
  const schedules::FitShape shape{.lr = lr.value_or(schedules::fit_lr(spec).value_or(1.0)),
                                  .epochs = saved.epochs,
                                  .steps_per_epoch = saved.steps_per_epoch,
                                  .cycle_len = train.get_option("--cycle-len")->as<double>(),
                                  .cycle_mult = train.get_option("--cycle-mult")->as<int64_t>()};
  schedules::StoredSchedule probe = schedules::store_schedule(spec);
  const schedules::StoredSchedule fresh = schedules::store_schedule(schedules::spec_for_fit(name, shape));
  // The keys an option sets are those that change when its field of the fit's shape does.
  auto set_keys_of = [&]<class T>(T schedules::FitShape::*field, T changed) {
    schedules::FitShape moved = shape;
    moved.*field = changed;
    for (const std::string& k : keys_set_by(name, shape, moved)) probe[k] = fresh.at(k);
  };
  if (lr) set_keys_of(&schedules::FitShape::lr, 2 * shape.lr + 1);
  if (given("--cycle-len")) set_keys_of(&schedules::FitShape::cycle_len, 2 * shape.cycle_len + 1);
  if (given("--cycle-mult")) set_keys_of(&schedules::FitShape::cycle_mult, shape.cycle_mult + 1);
  schedules::ScheduleSpec wanted = schedules::load_schedule(probe);
  if (given("--schedule-opts")) schedules::apply_schedule_options(wanted, value("--schedule-opts"));
  if (const auto d = schedules::first_difference(spec, wanted)) {
    disagree(options, ckpt, "has " + d->key + "=" + d->first, d->key + "=" + d->second);
  }
}

void check_resume_epochs(const CLI::App& train, const std::string& ckpt, const train::FitRecord& saved,
                         int64_t step) {
  if (!train.count("--epochs")) return;
  const int64_t epochs = train.get_option("--epochs")->as<int64_t>();
  if (epochs == saved.epochs) return;
  const schedules::ScheduleSpec& spec = saved.schedule.value();
  const std::string name = schedules::schedule_name(spec);
  const schedules::FitShape shape{.lr = schedules::fit_lr(spec).value_or(1.0),
                                  .epochs = saved.epochs,
                                  .steps_per_epoch = saved.steps_per_epoch,
                                  .cycle_len = train.get_option("--cycle-len")->as<double>(),
                                  .cycle_mult = train.get_option("--cycle-mult")->as<int64_t>()};
  schedules::FitShape moved = shape;
  moved.epochs = epochs;
  if (keys_set_by(name, shape, moved).empty()) return;
  throw std::runtime_error("--resume: --epochs " + std::to_string(epochs) + " disagrees with " + ckpt + ": its " +
                           name + " schedule is planned for " + std::to_string(saved.epochs) +
                           " epochs (leave --epochs out to finish that plan, or add --replan to plan it anew over " +
                           std::to_string(epochs) + " epochs from its step " + std::to_string(step) + ")");
}

void check_resume_optimizer(const CLI::App& train, const std::string& ckpt, const optim::OptimizerState& fresh,
                            const optim::OptimizerState& loaded, bool schedule_sets_momentum) {
  struct Checked {
    const char* option;
    std::vector<const char*> fields;  // the optimizers' names for what the option sets
  };
  const std::vector<Checked> checked{{"--wd", {"weight_decay"}}, {"--momentum", {"momentum", "beta1"}},
                                     {"--nesterov", {"nesterov"}}};
  for (const Checked& c : checked) {
    if (!train.count(c.option)) continue;
    if (schedule_sets_momentum && std::string(c.option) == "--momentum") {
      throw std::invalid_argument(momentum_error(train.get_option("--momentum")->as<std::string>(), "checkpoint's"));
    }
    for (const char* field : c.fields) {
      const std::string key = std::string("group.0.") + field;  // the options set every group alike
      const auto a = fresh.scalars.find(key), b = loaded.scalars.find(key);
      if (a == fresh.scalars.end() || b == loaded.scalars.end() || a->second == b->second) continue;
      const std::string given = train.get_option(c.option)->as<std::string>();
      disagree(std::string(c.option) + (given.empty() ? "" : " " + given), ckpt,
               "has " + std::string(field) + "=" + format_number(b->second), std::string(field) + "=" + format_number(a->second), "optimizer");
    }
  }
}

}  // namespace cyclone::cli
