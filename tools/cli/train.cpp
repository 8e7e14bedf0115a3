// `cyclone train`: a fit from the options (or --resume from a checkpoint, honouring or
// refusing what is given), with --lr auto's range test, SGDR by cycles and trackers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "common.h"
#include "lr_find_args.h"
#include "option_checks.h"
#include "resume.h"
#include "nn/state_io.h"
#include "schedules/factory.h"
#include "schedules/sgdr.h"
#include "schedules/stored.h"
#include "tensor/rng.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// --cycles on train --resume: the checkpoint's own count, or an error.
void check_resume_cycles(const CLI::App& train, const std::string& ckpt, const schedules::ScheduleSpec& saved) {
  if (!train.count("--cycles")) return;
  const int64_t given = train.get_option("--cycles")->as<int64_t>();
  const auto* sgdr = std::get_if<schedules::SgdrSpec>(&saved.kind);
  const std::string theirs = sgdr && sgdr->num_cycles ? std::to_string(*sgdr->num_cycles) + " cycles" : "no cycle count";
  if (!sgdr || sgdr->num_cycles != given) {
    throw std::runtime_error("--resume: --cycles " + std::to_string(given) + " disagrees with " + ckpt + ": its run has " +
                             theirs + " (give the first run's value, or leave it out)");
  }
}

// An SGDR fit set by epochs must end where a cycle does, not at a high lr mid-cycle; the
// error names the epoch counts that do end one.
void check_cycle_end(const schedules::ScheduleSpec& spec, int64_t epochs, int64_t steps_per_epoch) {
  const auto* sgdr_spec = std::get_if<schedules::SgdrSpec>(&spec.kind);
  if (!sgdr_spec || sgdr_spec->num_cycles) return;
  const int64_t warmup = spec.warmup ? spec.warmup->steps : 0;
  const auto sgdr = std::dynamic_pointer_cast<const schedules::SGDR>(schedules::make_schedule({spec.kind, std::nullopt}));
  const int64_t last = epochs * steps_per_epoch - 1 - warmup;
  if (sgdr->is_cycle_end(last)) return;
  std::string ends;
  for (int64_t k = 1, found = 0; found < 5 && k <= 64; ++k) {
    const int64_t steps = warmup + sgdr->steps_for_cycles(k);
    if (steps % steps_per_epoch != 0) continue;
    ends += (found++ ? ", " : "") + std::to_string(steps / steps_per_epoch);
  }
  throw std::invalid_argument("--epochs " + std::to_string(epochs) + " ends SGDR in the middle of a cycle, at a high lr " +
                              "(cycles end after epochs " + (ends.empty() ? std::string("that are not whole") : ends) +
                              "); give one of those, or --cycles N");
}

// train --resume --replan: the checkpoint's fit record gets the new plan, which the fit then
// continues from the checkpoint's step; says what changes there.
void replan_resumed_fit(train::Learner& l, const schedules::ScheduleSpec& spec, int64_t epochs) {
  train::FitState st = l.state();
  const int64_t step = st.position.step;
  const double before = schedules::make_schedule(*st.record->schedule)->at(step, 0).lr;
  const schedules::SchedulePtr after = schedules::make_schedule(spec);
  std::printf("re-planned: %s over %lld epochs (was %lld); at step %lld the lr goes from %.3g to %.3g\n",
              after->describe().c_str(), static_cast<long long>(epochs), static_cast<long long>(st.record->epochs),
              static_cast<long long>(step), before, after->at(step, 0).lr);
  st.record->schedule = spec;
  st.record->epochs = epochs;
  l.set_state(st);
}

}  // namespace

Runner add_train(CLI::App& app) {
  auto* sub = app.add_subcommand("train", "Train a model (optionally choosing the lr with the LR range test)");
  struct Args {
    int64_t epochs = 5;
    std::string lr = "auto", schedule = "onecycle", schedule_opts, save;
    double cycle_len = 1;
    int64_t cycle_mult = 1, cycles = 0;
    bool resume = false, replan = false, tta = false;
    LrFindArgs find;
  };
  auto c = std::make_shared<Common>();
  auto a = std::make_shared<Args>();
  add_common(*sub, *c, true);
  sub->add_option("--epochs", a->epochs, "Epochs")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--lr", a->lr, lr_option_help("Peak learning rate"))->capture_default_str();
  sub->add_option("--schedule", a->schedule, "onecycle|sgdr|clr|cosine|step|multistep|exp|poly|linear|slanted|const")->capture_default_str();
  sub->add_option("--schedule-opts", a->schedule_opts, "Extra schedule options, e.g. \"pct_start=0.25 preset=fastai\"");
  sub->add_option("--cycle-len", a->cycle_len, "SGDR/CLR cycle length in epochs (may be fractional)")
      ->capture_default_str()
      ->check(number_above(0));
  sub->add_option("--cycle-mult", a->cycle_mult, "SGDR cycle length multiplier")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--cycles", a->cycles,
                  "SGDR: train this many cycles (instead of --epochs), saving OUT/snapshot_K.npz at the end of each")
      ->check(whole_at_least(1));
  sub->add_flag("--resume", a->resume, "Continue from OUT/checkpoint.npz, with the schedule and epochs it holds");
  sub->add_flag("--replan", a->replan,
                "With --resume: plan the schedule anew from the options given (e.g. more --epochs, another --lr) "
                "and continue it from the checkpoint's step");
  sub->add_flag("--tta", a->tta, "Also report accuracy with flip test-time augmentation");
  sub->add_option("--save", a->save, "Where to save the final weights (default OUT/model.npz)");
  add_lr_find_options(*sub, a->find);
  add_tracker_options(*sub, *c, false);
  return [c, a, sub] {
    const LrChoice lr_choice = parse_lr("--lr", a->lr);
    check_sweep(a->find);
    if (sub->count("--cycles") && sub->count("--epochs")) {
      throw std::invalid_argument("--cycles and --epochs: give one (--cycles sets the epochs)");
    }
    if (sub->count("--cycles") && a->schedule != "sgdr") {
      throw std::invalid_argument("--cycles " + std::to_string(a->cycles) + ": only with --schedule sgdr");
    }

    if (!a->resume || a->replan) check_fit_options(*sub);
    const std::optional<double> given_lr = lr_choice.value;
    Session s = make_session(*c, true);
    const std::shared_ptr<train::SaveBestModel> best = add_trackers(*s.learner, *c);
    fs::create_directories(c->out);
    const std::string ckpt = c->out + "/checkpoint.npz";
    std::optional<double> lr = given_lr;
    int64_t epochs = a->epochs;
    std::optional<schedules::ScheduleSpec> spec;
    json j{{"command", "train"}, {"model", c->model}, {"data", c->data}, {"device", s.device.str()}};
    std::string schedule_name = a->schedule;
    if (a->replan && !a->resume) throw std::invalid_argument("--replan: only with --resume");
    if (a->resume) {
      if (!fs::exists(ckpt)) throw std::runtime_error("--resume: " + ckpt + " does not exist");
      const optim::OptimizerState fresh = s.learner->optimizer().state_dict();
      try {
        s.learner->load_checkpoint(ckpt);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("--resume: ") + e.what() +
                                 " (give the first run's --model, --opt and --groups)");
      }
      const std::optional<train::FitRecord>& saved = s.learner->state().record;
      const uint64_t first_seed = default_generator().state().seed;  // the checkpoint's, the first run's --seed
      if (c->seed != first_seed) {  // the data order follows the seed: another one would not resume the run
        throw std::runtime_error("--resume: --seed " + std::to_string(c->seed) + (sub->count("--seed") ? "" : " (the default)") +
                                 " disagrees with " + ckpt + ": its run's seed is " + std::to_string(first_seed) +
                                 " (give --seed " + std::to_string(first_seed) + ")");
      }
      if (saved && saved->schedule) {
        const bool sets_momentum = schedules::make_schedule(*saved->schedule)->at(0, 0).momentum.has_value();
        check_resume_optimizer(*sub, ckpt, fresh, s.learner->optimizer().state_dict(), sets_momentum);
        const std::optional<double> planned_lr = schedules::fit_lr(*saved->schedule);
        if (a->replan) {  // a new plan from the options, continued from the checkpoint's step
          if (!sub->count("--schedule")) schedule_name = schedules::schedule_name(*saved->schedule);
          lr = given_lr ? given_lr : planned_lr;
          if (!lr) throw std::runtime_error("--replan: " + ckpt + "'s schedule has an lr per group; give --lr");
        } else {
          check_resume_options(*sub, ckpt, *saved);
          check_resume_cycles(*sub, ckpt, *saved->schedule);
          check_resume_epochs(*sub, ckpt, *saved, s.learner->state().position.step);
          spec = *saved->schedule;
          lr = planned_lr;
          if (!sub->count("--epochs")) epochs = saved->epochs;
        }
      } else if (!given_lr) {
        throw std::runtime_error("--resume: " + ckpt + " holds no schedule (it was written before checkpoints kept "
                                 "one, or by a fit given a plain schedule); give the first run's --lr as a number, "
                                 "with its schedule options, to resume it");
      }
      std::cout << "resuming from " << ckpt << " at step " << s.learner->state().position.step << " (lr "
                << (lr ? json(*lr).dump() : "per group") << ")\n";
    } else if (!given_lr) {
      const train::LrFindResult r = run_lr_find(s, *c, a->find, lr_choice.rule);
      if (r.interrupted_by) return range_test_interrupted(*c, r, j);
      lr = r.suggestion(lr_choice.rule).lr;
      if (!(*lr > 0) || !std::isfinite(*lr)) throw std::runtime_error("--lr auto: the LR range test gave no usable suggestion");
      std::cout << "using lr " << *lr << " (" << lr_choice.rule << " suggestion)\n";
      j["lr_find"] = suggestions_json(r);
      j["lr_rule"] = lr_choice.rule;
    }
    if (!spec) {  // from the options: the fit's defaults for the schedule, then the options text
      const schedules::FitShape shape{.lr = *lr, .epochs = epochs, .steps_per_epoch = s.learner->train_loader().num_batches(),
                                      .cycle_len = a->cycle_len, .cycle_mult = a->cycle_mult};
      spec = schedules::fit_schedule(schedule_name, shape, a->schedule_opts);
      if (a->cycles > 0) std::get<schedules::SgdrSpec>(spec->kind).num_cycles = a->cycles;
      check_cycle_end(*spec, epochs, shape.steps_per_epoch);
      if (a->replan) replan_resumed_fit(*s.learner, *spec, epochs);
    }
    const bool by_cycles = std::holds_alternative<schedules::SgdrSpec>(spec->kind) &&
                           std::get<schedules::SgdrSpec>(spec->kind).num_cycles.has_value();
    train::FitResult fit = by_cycles ? s.learner->fit_cycles(*spec, true) : s.learner->fit(epochs, *spec);
    if (!fit.snapshots.empty()) {
      std::printf("snapshots (one per SGDR cycle):");
      for (const std::string& f : fit.snapshots) std::printf(" %s", f.c_str());
      std::printf("\n");
      j["snapshots"] = fit.snapshots;
    }
    if (const train::EpochRecord* kept = kept_epoch(best.get(), fit)) {
      std::printf("%s\n", kept_epoch_text(best.get(), fit).c_str());
      fit.final_accuracy = kept->accuracy;
      fit.final_valid_loss = kept->valid_loss;
      j["kept_epoch"] = kept->epoch + 1;
    }
    const std::string save = a->save.empty() ? c->out + "/model.npz" : a->save;
    if (fit.interrupted_by) {
      nn::save_weights(*s.model, save);
      std::printf("interrupted (%s) at step %lld of %lld: wrote %s and %s (the weights so far)\n"
                  "continue with: %s\n",
                  signal_name(fit.interrupted_by).c_str(), static_cast<long long>(s.learner->state().position.step),
                  static_cast<long long>(s.learner->state().record->total_steps()), ckpt.c_str(), save.c_str(),
                  resume_command().c_str());
      j.update({{"interrupted", signal_name(fit.interrupted_by)}, {"checkpoint", ckpt}, {"weights", save},
                {"resume", resume_command()}});
      emit_json(*c, j);
      return interrupted_status(fit.interrupted_by);
    }
    if (fit.stopped_on_nan) {  // a diverged model never replaces a good one
      std::printf("%s not written: the run diverged (lower the lr); %s holds its last good state, if it reached one\n",
                  save.c_str(), ckpt.c_str());
    } else {
      nn::save_weights(*s.model, save);
    }
    double ips = 0;
    for (auto& e : fit.epochs) ips += e.images_per_second;
    if (!fit.epochs.empty()) ips /= double(fit.epochs.size());
    j.update({{"lr", lr ? json(*lr) : json(nullptr)}, {"schedule", schedules::make_schedule(*spec)->describe()},
              {"epochs", fit.epochs.size()},
              {"final_accuracy", fit.final_accuracy}, {"final_valid_loss", fit.final_valid_loss},
              {"images_per_second", ips}, {"stopped_on_nan", fit.stopped_on_nan},
              {"weights", fit.stopped_on_nan ? json(nullptr) : json(save)},
              {"log", c->out + "/log.csv"},
              {"plots", {c->out + "/loss.png", c->out + "/schedule.png", c->out + "/accuracy.png"}}});
    if (a->tta && !fit.stopped_on_nan) {
      const train::Metrics m = s.learner->validate_tta();
      std::printf("TTA (flip) accuracy %.4f\n", m.accuracy);
      j["tta_accuracy"] = m.accuracy;
    }
    if (fit.stopped_on_nan) {
      std::printf("stopped: the run diverged; logs and plots in %s/ (log.csv, loss.png, schedule.png, accuracy.png)\n",
                  c->out.c_str());
    } else {
      std::printf("done: accuracy %.4f, valid loss %.4f; logs and plots in %s/ (log.csv, loss.png, schedule.png, accuracy.png)\n",
                  fit.final_accuracy, fit.final_valid_loss, c->out.c_str());
    }
    emit_json(*c, j);
    return fit.stopped_on_nan ? 3 : 0;
  };
}

}  // namespace cyclone::cli
