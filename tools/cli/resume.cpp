// train --resume's check of the schedule options given against the checkpoint's schedule.
#include "resume.h"

#include <stdexcept>

#include "common.h"
#include "schedules/factory.h"
#include "schedules/stored.h"

namespace cyclone::cli {
namespace {

[[noreturn]] void disagree(const std::string& options, const std::string& ckpt, const std::string& theirs,
                           const std::string& ours) {
  throw std::runtime_error("--resume: " + options + " disagrees with " + ckpt + ": its schedule " + theirs +
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

}  // namespace

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

}  // namespace cyclone::cli
