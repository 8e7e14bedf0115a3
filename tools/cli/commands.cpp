// lr-find, train, eval, schedule and info.
#include "commands.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common.h"
#include "option_checks.h"
#include "resume.h"
#include "autograd/node.h"
#include "nn/state_io.h"
#include "schedules/dry_run.h"
#include "schedules/factory.h"
#include "schedules/sgdr.h"
#include "schedules/stored.h"
#include "tensor/allocator.h"
#include "tensor/rng.h"
#include "tensor/threads.h"
#include "train/lr_finder.h"
#include "train/precise_bn.h"
#include "report/plot.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct LrFindArgs {
  double start_lr = 1e-7, end_lr = 10;
  int64_t num_it = 100;
};

void add_lr_find_options(CLI::App& app, LrFindArgs& a) {
  app.add_option("--start-lr", a.start_lr, "Sweep start")->capture_default_str()->check(number_above(0));
  app.add_option("--end-lr", a.end_lr, "Sweep end (above --start-lr)")->capture_default_str()->check(number_above(0));
  app.add_option("--num-it", a.num_it, "Sweep iterations (the suggestions need at least 10)")
      ->capture_default_str()
      ->check(whole_at_least(10));
}

// The sweep's range, before anything runs.
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

// eval --weights a.npz,b.npz,...: the average softmax of every member's outputs.
int eval_ensemble(Common c, const std::vector<std::string>& members, bool tta) {
  const std::string list = c.weights;
  c.weights = members.front();
  Session s = make_session(c, false);
  std::vector<nn::NamedTensors> states;
  for (const std::string& path : members) {
    if (path.empty()) throw std::invalid_argument("--weights " + list + ": an empty name in the list");
    nn::load_weights(*s.model, path);
    nn::NamedTensors state;
    for (auto& [k, v] : s.model->state_dict()) state.emplace_back(k, v.clone());
    states.push_back(std::move(state));
  }
  const train::Metrics m = s.learner->evaluate_states(states, tta);
  std::printf("ensemble of %zu: top-1 %.4f (%lld/%lld correct), mean loss %.4f%s\n", members.size(), m.accuracy,
              static_cast<long long>(m.correct), static_cast<long long>(m.count), m.loss, tta ? " (with flip TTA)" : "");
  emit_json(c, {{"command", "eval"}, {"model", c.model}, {"weights", members}, {"top1", m.accuracy},
                {"correct", m.correct}, {"count", m.count}, {"mean_loss", m.loss}, {"tta", tta}});
  return 0;
}

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

// A range test cut short by SIGINT or SIGTERM: the model is as it was, and nothing trained.
int range_test_interrupted(const Common& c, const train::LrFindResult& r, json j) {
  std::printf("interrupted (%s) after %zu of %lld range-test steps; the model is as it was, nothing was trained\n",
              signal_name(r.interrupted_by).c_str(), r.lrs.size(), static_cast<long long>(r.num_it));
  j.update({{"interrupted", signal_name(r.interrupted_by)}, {"iterations", r.lrs.size()}});
  emit_json(c, j);
  return interrupted_status(r.interrupted_by);
}

// The logits of the first n validation images in loader order (class order, then file
// name order for image folders), as rows of floats.
json first_logits(Session& s, int64_t n) {
  NoGradGuard no_grad;
  s.model->eval();
  json rows = json::array();
  train::DataLoader& loader = *s.learner->valid_loader();
  loader.start_epoch(0);
  while (static_cast<int64_t>(rows.size()) < n) {
    auto batch = loader.next();
    if (!batch) break;
    const Tensor logits = s.model->forward(batch->x).cpu().contiguous();
    const std::vector<float> v = logits.to_vector<float>();
    const int64_t cols = logits.size(1);
    for (int64_t r = 0; r < logits.size(0) && static_cast<int64_t>(rows.size()) < n; ++r) {
      rows.push_back(std::vector<float>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
    }
  }
  s.model->train();
  return rows;
}

}  // namespace

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
    if (const std::string kept = kept_epoch_text(best.get(), fit); !kept.empty()) {
      std::printf("%s\n", kept.c_str());
      for (const train::EpochRecord& e : fit.epochs) {
        if (e.epoch == *best->best_epoch()) fit.final_accuracy = e.accuracy, fit.final_valid_loss = e.valid_loss;
      }
      j["kept_epoch"] = *best->best_epoch() + 1;
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

Runner add_eval(CLI::App& app) {
  auto* sub = app.add_subcommand("eval", "Evaluate weights: top-1, mean loss and count");
  auto c = std::make_shared<Common>();
  auto tta = std::make_shared<bool>(false);
  auto tta_aug = std::make_shared<int64_t>(0);
  auto tta_beta = std::make_shared<double>(0.25);
  auto dump_logits = std::make_shared<int64_t>(0);
  auto precise_bn = std::make_shared<int64_t>(0);
  add_common(*sub, *c, false);
  sub->get_option("--weights")->description(
      "Weights (.npz, a checkpoint, or .onnx) to evaluate; several, comma-separated (e.g. snapshot_2.npz,snapshot_3.npz), "
      "are scored as one ensemble: the average of their softmax outputs");
  sub->add_option("--split", c->split, "test | train")->capture_default_str()->check(CLI::IsMember({"test", "train"}));
  sub->add_flag("--tta", *tta, "Average predictions over horizontal flips");
  sub->add_option("--tta-aug", *tta_aug,
                  "fastai's tta: also average N passes with the training augmentation (crop and flip), mixed with "
                  "the plain pass by --tta-beta (0: off)")
      ->check(whole_at_least(0));
  sub->add_option("--tta-beta", *tta_beta, "With --tta-aug: the plain pass's weight")
      ->capture_default_str()
      ->check(number_in(0, 1.000001));
  sub->add_option("--dump-logits", *dump_logits,
                  "Also put the logits of the first N images (loader order: class, then file name) "
                  "into the JSON as \"logits\"")
      ->check(whole_at_least(0));
  sub->add_option("--precise-bn", *precise_bn,
                  "First re-estimate BatchNorm statistics as the average over N unaugmented training "
                  "batches (0: off; loads the training split)")
      ->check(whole_at_least(0));
  return [c, tta, tta_aug, tta_beta, dump_logits, precise_bn] {
    if (*tta && *tta_aug > 0) throw std::invalid_argument("--tta and --tta-aug: give one");
    const bool onnx_model = is_onnx_file(c->model);
    if (c->weights.empty() && !onnx_model) throw std::invalid_argument("eval: --weights FILE is required");
    if (*precise_bn > 0 && c->split != "test") {
      throw std::invalid_argument("eval: --precise-bn re-estimates on the training split, so it needs --split test");
    }
    std::vector<std::string> members;  // an ensemble's weight files
    for (size_t at = 0; !c->weights.empty() && at != std::string::npos;) {
      const size_t comma = c->weights.find(',', at);
      members.push_back(c->weights.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      at = comma == std::string::npos ? comma : comma + 1;
    }
    if (members.size() > 1) {
      if (*precise_bn > 0 || *dump_logits > 0) throw std::invalid_argument("eval: an ensemble takes neither --precise-bn nor --dump-logits");
      return eval_ensemble(*c, members, *tta);
    }
    Session s = make_session(*c, *precise_bn > 0);
    int64_t bn_batches = 0;
    if (*precise_bn > 0) {
      train::PreciseBnOptions po;
      po.batches = *precise_bn;
      bn_batches = train::recalibrate_bn(*s.model, s.learner->train_loader(), po);
      std::printf("precise BN: statistics averaged over %lld training batches\n", static_cast<long long>(bn_batches));
    }
    const data::AugmentConfig augment = training_augment(*c, *s.data.valid, resolve_normalize(*c, s.data));
    if (*tta_aug > 0 && augment.crop_padding == 0 && !augment.flip) {
      throw std::invalid_argument("--tta-aug: these " + std::to_string(s.data.valid->height) + "x" +
                                  std::to_string(s.data.valid->width) +
                                  " images get no training augmentation (crop and flip are for 32x32 and larger)");
    }
    const train::Metrics m = *tta_aug > 0 ? s.learner->validate_tta(augment, *tta_aug, *tta_beta)
                             : *tta       ? s.learner->validate_tta()
                                          : s.learner->validate();
    std::printf("top-1 %.4f (%lld/%lld correct), mean loss %.4f, count %lld\n", m.accuracy,
                static_cast<long long>(m.correct), static_cast<long long>(m.count), m.loss, static_cast<long long>(m.count));
    json j{{"command", "eval"}, {"model", c->model}, {"weights", c->weights}, {"top1", m.accuracy},
           {"correct", m.correct}, {"count", m.count}, {"mean_loss", m.loss}, {"tta", *tta}};
    if (*tta_aug > 0) j["tta_aug"] = {{"passes", *tta_aug}, {"beta", *tta_beta}};
    if (bn_batches > 0) j["precise_bn_batches"] = bn_batches;
    if (*dump_logits > 0) j["logits"] = first_logits(s, *dump_logits);
    emit_json(*c, j);
    return 0;
  };
}

Runner add_schedule(CLI::App& app) {
  auto* sub = app.add_subcommand("schedule", "Dry run: write a schedule's lr and momentum as CSV and a plot");
  struct Args {
    std::string spec = "onecycle max_lr=0.1 total_steps=1000", out = "out";
    int64_t steps = 1000;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  sub->add_option("--schedule", a->spec, "\"NAME key=value ...\", e.g. \"sgdr lr=0.1 cycle_len=100 cycle_mult=2\"")->capture_default_str();
  sub->add_option("--steps", a->steps, "Steps to evaluate")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--out", a->out, "Output folder")->capture_default_str();
  sub->add_flag("--json", a->json, "Print one JSON object as the last line");
  return [a] {
    const auto sched = schedules::parse_schedule(a->spec);
    fs::create_directories(a->out);
    schedules::write_schedule_csv(*sched, a->steps, a->out + "/schedule.csv");
    std::vector<report::PlotSpec> panels;
    report::PlotSpec lr, mom;
    lr.title = sched->describe();
    lr.xlabel = "step";
    lr.ylabel = "lr";
    mom.xlabel = "step";
    mom.ylabel = "momentum";
    bool has_mom = false;
    for (size_t g = 0; g < sched->num_groups(); ++g) {
      report::Series sl, sm;
      sl.label = sm.label = "group " + std::to_string(g);
      for (const auto& [i, v] : [&] {
             std::vector<std::pair<int64_t, schedules::Value>> vs;
             const auto vals = schedules::sample(*sched, a->steps, g);
             for (size_t k = 0; k < vals.size(); ++k) vs.emplace_back(int64_t(k), vals[k]);
             return vs;
           }()) {
        sl.x.push_back(double(i));
        sl.y.push_back(v.lr);
        if (v.momentum) {
          has_mom = true;
          sm.x.push_back(double(i));
          sm.y.push_back(*v.momentum);
        }
      }
      lr.series.push_back(sl);
      if (!sm.x.empty()) mom.series.push_back(sm);
    }
    double lo = INFINITY, hi = 0;  // groups more than 10x apart: a log lr axis, so the low ones show
    for (const report::Series& sr : lr.series) {
      for (double v : sr.y) {
        if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      }
    }
    if (lr.series.size() > 1 && hi > 10 * lo) {
      lr.log_y = true;
      lr.ylabel = "lr (log scale)";
    }
    panels.push_back(lr);
    if (has_mom) panels.push_back(mom);
    report::save_plots_vertical(panels, a->out + "/schedule.png");
    std::cout << sched->describe() << "\n  wrote " << a->out << "/schedule.csv and " << a->out << "/schedule.png\n";
    if (a->json) {
      std::cout << json{{"command", "schedule"}, {"schedule", sched->describe()}, {"steps", a->steps},
                        {"csv", a->out + "/schedule.csv"}, {"plot", a->out + "/schedule.png"}}.dump()
                << std::endl;
    }
    return 0;
  };
}

Runner add_info(CLI::App& app) {
  auto* sub = app.add_subcommand("info", "Build, devices and memory");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "Print one JSON object as the last line");
  return [as_json] {
    json j{{"version", "0.1.0"}, {"cuda_built", cuda_built()}, {"cuda_emulated", cuda_emulated()},
           {"cuda_devices", cuda_device_count()}, {"cpu_threads", num_threads()}};
    const char* backend = !cuda_built()     ? "not built"
                          : cuda_emulated() ? "emulated on the CPU (CYCLONE_CUDA=EMULATE: correct, checked and slow)"
                                            : "built";
    std::printf("cyclone 0.1.0\n  CUDA backend: %s\n  CPU threads: %d\n", backend, num_threads());
    json devs = json::array();
    for (int i = 0; i < cuda_device_count(); ++i) {
      const std::string name = cuda_device_name(i);
      const double gib = double(cuda_memory_total(i)) / (1 << 30);
      std::printf("  cuda:%d  %s  %.1f GiB\n", i, name.c_str(), gib);
      devs.push_back({{"index", i}, {"name", name}, {"memory_gib", gib}});
    }
    if (cuda_device_count() == 0) std::printf("  no CUDA device available\n");
    const MemoryStats cpu = memory_stats(kCPU);
    std::printf("  host tensor memory: %zu bytes in use, peak %zu\n", cpu.current_bytes, cpu.peak_bytes);
    j["devices"] = devs;
    if (*as_json) std::cout << j.dump() << std::endl;
    return 0;
  };
}

}  // namespace cyclone::cli
