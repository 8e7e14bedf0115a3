// `cyclone finetune`: the fast.ai transfer-learning recipe, end to end:
// load weights -> freeze the body and precompute its activations -> train the head
// (one-cycle or SGDR; its log in OUT/head/) -> unfreeze (all, or from --freeze-to) ->
// layer-group lrs --ratio x apart or a --lrs slice -> lr_find again -> SGDR with
// cycle_len 1, cycle_mult 2, saving a snapshot per cycle (or one-cycle) -> (optionally
// precise BN) -> report single-model, TTA and snapshot-ensemble accuracy.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <optional>

#include "commands.h"
#include "common.h"
#include "option_checks.h"
#include "nn/state_io.h"
#include "schedules/factory.h"
#include "train/lr_finder.h"
#include "train/precise_bn.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Args {
  int64_t head_epochs = 1, epochs = 3, cycles = 2, cycle_mult = 2, freeze_to = 0;
  double head_lr = 1e-2, ratio = 3, cycle_len = 1;
  std::string lr = "auto", lrs, head_schedule = "onecycle", schedule = "sgdr", save;
  int64_t num_it = 100;
  int64_t precise_bn = 0, tta_aug = 0;
  bool resume = false;
};

std::string plural(int64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// --lrs LO,HI: fastai's slice(lo, hi), lrs spread geometrically from the first group to the head.
std::vector<double> slice_lrs(const std::string& text, size_t groups) {
  // Each part parsed whole: a number and nothing after it.
  auto number = [](const std::string& part, double& out) {
    char* end = nullptr;
    out = std::strtod(part.c_str(), &end);
    return !part.empty() && *end == '\0';
  };
  const size_t comma = text.find(',');
  double lo = 0, hi = 0;
  const bool parsed = comma != std::string::npos && number(text.substr(0, comma), lo) && number(text.substr(comma + 1), hi);
  if (!parsed || !(lo > 0) || !(hi >= lo) || !std::isfinite(hi)) {
    throw std::invalid_argument("--lrs " + text + ": expected LO,HI with 0 < LO <= HI (the first group's lr, the head's)");
  }
  std::vector<double> lrs(groups);
  for (size_t i = 0; i < groups; ++i) {
    lrs[i] = groups == 1 ? hi : lo * std::pow(hi / lo, double(i) / double(groups - 1));
  }
  return lrs;
}

// Options that only one choice of --schedule uses are an error with the other.
void check_phase_options(const CLI::App& sub, const Args& a) {
  auto given = [&](const char* o) { return sub.count(o) > 0; };
  for (const char* o : {"--cycles", "--cycle-len", "--cycle-mult"}) {
    if (given(o) && a.schedule != "sgdr") throw std::invalid_argument(std::string(o) + ": only with --schedule sgdr");
  }
  if (given("--epochs") && a.schedule != "onecycle") {
    throw std::invalid_argument("--epochs: only with --schedule onecycle (SGDR is set by --cycles)");
  }
  if (!a.lrs.empty()) {
    for (const char* o : {"--lr", "--ratio"}) {
      if (given(o)) throw std::invalid_argument(std::string(o) + " and --lrs: give one (--lrs sets every group's lr)");
    }
  }
}

// A fit stopped by SIGINT/SIGTERM: where its state is, and the status to exit with.
int phase_interrupted(const Common& c, const train::FitResult& fit, const std::string& dir, json& j) {
  std::printf("interrupted (%s): the phase's checkpoint is %s/checkpoint.npz (eval --weights reads it)\n"
              "continue with: %s\n",
              signal_name(fit.interrupted_by).c_str(), dir.c_str(), resume_command().c_str());
  j.update({{"interrupted", signal_name(fit.interrupted_by)}, {"checkpoint", dir + "/checkpoint.npz"},
            {"resume", resume_command()}, {"weights_out", nullptr}});
  emit_json(c, j);
  return interrupted_status(fit.interrupted_by);
}

}  // namespace

Runner add_finetune(CLI::App& app) {
  auto* sub = app.add_subcommand("finetune", "Fine-tune pretrained weights with the fast.ai recipe");
  auto c = std::make_shared<Common>();
  auto a = std::make_shared<Args>();
  add_common(*sub, *c, true);
  sub->add_option("--head-epochs", a->head_epochs, "Epochs of head-only training on precomputed activations")
      ->capture_default_str()
      ->check(whole_at_least(1));
  sub->add_option("--head-lr", a->head_lr, "Peak lr for the head phase")->capture_default_str()->check(number_above(0));
  sub->add_option("--head-schedule", a->head_schedule,
                  "The head phase's schedule: onecycle, or sgdr (one cycle per epoch)")
      ->capture_default_str()
      ->check(CLI::IsMember({"onecycle", "sgdr"}));
  sub->add_option("--groups", c->layer_groups,
                  "Merge the model's layer groups into N (head on its own, body split evenly; 0: keep them)")
      ->capture_default_str();
  sub->add_option("--ratio", a->ratio, "lr ratio between consecutive layer groups (3-10)")
      ->capture_default_str()
      ->check(number_above(1, true));
  sub->add_option("--lrs", a->lrs,
                  "LO,HI: the groups' lrs spread geometrically from LO (first group) to HI (head), as fastai's "
                  "slice(lo, hi); instead of --lr and --ratio");
  sub->add_option("--lr", a->lr, lr_option_help("Head-group lr for the unfrozen phase"))->capture_default_str();
  sub->add_option("--freeze-to", a->freeze_to,
                  "Unfreeze only the groups from N on (fastai's freeze_to; 0: all of them)")
      ->capture_default_str()
      ->check(whole_at_least(0));
  sub->add_option("--schedule", a->schedule, "The unfrozen phase's schedule: sgdr (cycles, snapshots) or onecycle")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgdr", "onecycle"}));
  sub->add_option("--epochs", a->epochs, "--schedule onecycle: epochs of the unfrozen phase")
      ->capture_default_str()
      ->check(whole_at_least(1));
  sub->add_option("--cycles", a->cycles, "SGDR cycles")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--cycle-len", a->cycle_len, "First cycle length in epochs")->capture_default_str()->check(number_above(0));
  sub->add_option("--cycle-mult", a->cycle_mult, "Cycle length multiplier")->capture_default_str()->check(whole_at_least(1));
  sub->add_option("--num-it", a->num_it, "lr_find iterations (the suggestions need at least 10)")
      ->capture_default_str()
      ->check(whole_at_least(10));
  sub->add_option("--precise-bn", a->precise_bn,
                  "Before the final evaluation, re-estimate BatchNorm statistics as the average over N "
                  "training batches, unaugmented (0: off)")
      ->capture_default_str()
      ->check(whole_at_least(0));
  sub->add_option("--tta-aug", a->tta_aug,
                  "Report fastai's TTA (N passes with the training crop and flip, beta 0.25) instead of flip TTA (0)")
      ->check(whole_at_least(0));
  sub->add_option("--save", a->save, "Where to save the fine-tuned model (default OUT/finetuned.npz)");
  sub->add_flag("--resume", a->resume,
                "Continue an interrupted run: the unfrozen phase from OUT/checkpoint.npz, or else the head phase "
                "from OUT/head/checkpoint.npz (give the first run's options)");
  add_tracker_options(*sub, *c, true);
  return [c, a, sub] {
    const bool onnx_model = is_onnx_file(c->model);
    if (c->weights.empty() && !onnx_model) throw std::invalid_argument("finetune: --weights FILE is required");
    check_phase_options(*sub, *a);
    if (!a->lrs.empty()) (void)slice_lrs(a->lrs, 2);  // a bad --lrs fails before anything runs
    const LrChoice lr_choice = parse_lr("--lr", a->lr);
    const std::optional<double> given_lr = lr_choice.value;
    const std::string save = a->save.empty() ? c->out + "/finetuned.npz" : a->save;
    const std::string head_dir = c->out + "/head";

    Session s = make_session(*c, true);
    train::Learner& l = *s.learner;
    const data::AugmentConfig augment = tta_augment(*c, s, a->tta_aug);
    const size_t g = l.num_groups();
    if (a->freeze_to >= static_cast<int64_t>(g)) {
      throw std::invalid_argument("--freeze-to " + std::to_string(a->freeze_to) + ": the model has " +
                                  plural(static_cast<int64_t>(g), "layer group") + ", so at most " + std::to_string(g - 1));
    }
    const std::shared_ptr<train::SaveBestModel> best = add_trackers(l, *c);
    json j{{"command", "finetune"}, {"model", c->model}, {"weights", c->weights}, {"device", s.device.str()}};
    const std::string main_ckpt = c->out + "/checkpoint.npz", head_ckpt = head_dir + "/checkpoint.npz";
    const bool resume_unfrozen = a->resume && fs::exists(main_ckpt);
    const bool resume_head = a->resume && !resume_unfrozen && fs::exists(head_ckpt);
    if (a->resume && !resume_unfrozen && !resume_head) {
      throw std::runtime_error("--resume: neither " + main_ckpt + " nor " + head_ckpt + " exists");
    }
    // Steps 7 and 8, after the unfrozen phase's fit: report, TTA, the snapshot ensemble, the model.
    auto finish = [&](const train::FitResult& fit, const schedules::ScheduleSpec& plan) -> int {
      const auto* sgdr = std::get_if<schedules::SgdrSpec>(&plan.kind);
      if (fit.interrupted_by) return phase_interrupted(*c, fit, c->out, j);
      if (fit.stopped_on_nan) {  // a diverged model never replaces a good one
        std::printf("7. the unfrozen phase diverged (lower --lr); %s not written\n", save.c_str());
        j.update({{"stopped_on_nan", true}, {"snapshots", fit.snapshots}, {"weights_out", nullptr}});
        emit_json(*c, j);
        return 3;
      }
      if (sgdr) {
        std::printf("7. SGDR (%s, cycle_len %.3g, cycle_mult %lld): accuracy %.4f\n",
                    plural(sgdr->num_cycles.value_or(0), "cycle").c_str(), sgdr->cycle_len,
                    static_cast<long long>(sgdr->cycle_mult), fit.final_accuracy);
      } else {
        std::printf("7. one-cycle (%s): accuracy %.4f\n", plural(l.state().record->epochs, "epoch").c_str(),
                    fit.final_accuracy);
      }
      json epochs = json::array();
      for (auto& e : fit.epochs) epochs.push_back({{"epoch", e.epoch + 1}, {"accuracy", e.accuracy}, {"valid_loss", e.valid_loss}});
      double single = fit.final_accuracy;
      if (const train::EpochRecord* kept = kept_epoch(best.get(), fit)) {
        std::printf("   %s\n", kept_epoch_text(best.get(), fit).c_str());
        single = kept->accuracy;
        j["kept_epoch"] = kept->epoch + 1;
      }
      if (a->precise_bn > 0) {
        train::PreciseBnOptions po;
        po.batches = a->precise_bn;
        const int64_t used = train::recalibrate_bn(l.model(), l.train_loader(), po);
        const train::Metrics pb = l.validate();
        std::printf("   precise BN (statistics averaged over %lld training batches): accuracy %.4f, loss %.4f\n",
                    static_cast<long long>(used), pb.accuracy, pb.loss);
        j["precise_bn"] = {{"batches", used}, {"accuracy", pb.accuracy}, {"valid_loss", pb.loss},
                           {"accuracy_before", fit.final_accuracy}};
        single = pb.accuracy;
      }
      const bool aug_tta = a->tta_aug > 0;
      const train::Metrics tta = aug_tta ? l.validate_tta(augment, a->tta_aug) : l.validate_tta();
      // The run's snapshots, from their files: a resumed run wrote some of them before.
      std::vector<std::string> snapshots;
      std::vector<nn::NamedTensors> states;
      for (int64_t k = 1; sgdr && k <= sgdr->num_cycles.value_or(0); ++k) {
        const std::string f = c->out + "/snapshot_" + std::to_string(k) + ".npz";
        if (!fs::exists(f)) continue;
        snapshots.push_back(f);
        states.push_back(nn::load_npz_tensors(f));
      }
      const auto m = static_cast<int64_t>(states.size());
      train::Metrics ens;
      if (m > 1) ens = l.evaluate_states(states);
      const std::string tta_name = !aug_tta ? "flip TTA"
                                   : a->tta_aug == 1 ? "TTA (1 augmented pass)"
                                                     : "TTA (" + std::to_string(a->tta_aug) + " augmented passes)";
      std::printf("8. single model %.4f, with %s %.4f", single, tta_name.c_str(), tta.accuracy);
      if (m > 1) std::printf("; ensemble of %lld snapshots %.4f", static_cast<long long>(m), ens.accuracy);
      std::printf("\n");
      nn::save_weights(*s.model, save);
      std::string snaps;
      if (m == 1) snaps = " and its snapshot " + snapshots.front();
      if (m > 1) snaps = " and " + plural(m, "snapshot") + ", " + snapshots.front() + " to " + snapshots.back();
      std::printf("wrote %s (the model)%s; log and plots in %s/\n", save.c_str(), snaps.c_str(), c->out.c_str());
      j["tta"] = aug_tta ? json{{"augmented_passes", a->tta_aug}, {"beta", 0.25}} : json("flip");
      j.update({{"lr", schedules::fit_lr(plan) ? json(*schedules::fit_lr(plan)) : json(j.value("lr", json(nullptr)))},
                {"schedule", sgdr ? "sgdr" : "onecycle"}, {"epochs", epochs}, {"final_accuracy", single},
                {"tta_accuracy", tta.accuracy}, {"snapshots", snapshots},
                {"ensemble_accuracy", m > 1 ? ens.accuracy : single}, {"weights_out", save}, {"log", c->out + "/log.csv"}});
      emit_json(*c, j);
      return 0;
    };
    if (resume_unfrozen) {  // phases 1 to 6 are done: continue the checkpoint's plan
      l.load_checkpoint(main_ckpt);
      const std::optional<train::FitRecord> record = l.state().record;
      if (!record || !record->schedule) throw std::runtime_error("--resume: " + main_ckpt + " holds no schedule");
      std::printf("resuming the unfrozen phase from %s at step %lld of %lld\n", main_ckpt.c_str(),
                  static_cast<long long>(l.state().position.step), static_cast<long long>(record->total_steps()));
      const auto* sgdr = std::get_if<schedules::SgdrSpec>(&record->schedule->kind);
      const train::FitResult fit = sgdr && sgdr->num_cycles ? l.fit_cycles(*record->schedule, true)
                                                            : l.fit(record->epochs, *record->schedule);
      return finish(fit, *record->schedule);
    }
    const train::Metrics start = l.validate();
    std::printf("1. loaded %s: accuracy %.4f, loss %.4f\n", c->weights.c_str(), start.accuracy, start.loss);
    j["start_accuracy"] = start.accuracy;

    l.freeze();
    const double pre_s = l.precompute(true);
    std::printf("2. froze the body and precomputed its activations in %.1fs\n", pre_s);
    const auto t0 = std::chrono::steady_clock::now();
    l.set_out_dir(head_dir);  // the head phase's log, plots and checkpoint, apart from the next phase's
    if (resume_head) {
      l.load_checkpoint(head_ckpt);
      std::printf("   resuming the head phase from %s at step %lld\n", head_ckpt.c_str(),
                  static_cast<long long>(l.state().position.step));
    }
    const train::FitResult head = a->head_schedule == "sgdr" ? l.fit_sgdr(a->head_epochs, 1, 1, {a->head_lr})
                                                             : l.fit_one_cycle(a->head_epochs, {a->head_lr});
    l.set_out_dir(c->out);
    const double head_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (head.interrupted_by) return phase_interrupted(*c, head, head_dir, j);
    if (head.stopped_on_nan) {
      std::printf("3. the head's training diverged (lower --head-lr); nothing written\n");
      j.update({{"stopped_on_nan", true}, {"weights_out", nullptr}});
      emit_json(*c, j);
      return 3;
    }
    std::printf("3. head trained for %s (%s) in %.2fs on cached features: accuracy %.4f; log and plots in %s/\n",
                plural(a->head_epochs, "epoch").c_str(), a->head_schedule.c_str(), head_s, head.final_accuracy,
                head_dir.c_str());
    j["head"] = {{"epochs", a->head_epochs}, {"schedule", a->head_schedule}, {"accuracy", head.final_accuracy},
                 {"seconds", head_s}, {"precompute_seconds", pre_s}, {"log", head_dir + "/log.csv"}};

    l.precompute(false);
    l.freeze_to(a->freeze_to);
    const auto groups = l.layer_groups();
    std::vector<double> ratios(g);
    const std::vector<double> sliced = a->lrs.empty() ? std::vector<double>{} : slice_lrs(a->lrs, g);
    for (size_t i = 0; i < g; ++i) ratios[i] = sliced.empty() ? std::pow(a->ratio, -double(g - 1 - i)) : sliced[i] / sliced.back();
    if (a->freeze_to == 0) {
      std::printf("4. unfroze all %s\n", plural(static_cast<int64_t>(g), "layer group").c_str());
    } else {
      std::printf("4. unfroze groups %lld to %zu of %zu (freeze_to %lld)\n", static_cast<long long>(a->freeze_to), g - 1, g,
                  static_cast<long long>(a->freeze_to));
    }
    std::printf("5. layer-group lr ratios:");
    for (size_t i = 0; i < g; ++i) std::printf(" %s x%.3g", groups[i].name.c_str(), ratios[i]);
    std::printf("\n");
    double lr = 0;
    if (!sliced.empty()) {
      lr = sliced.back();
      std::printf("6. using --lrs %s\n", a->lrs.c_str());
    } else if (given_lr) {
      lr = *given_lr;
      std::printf("6. using lr %.3g\n", lr);
    } else {
      train::LrFindOptions o;
      o.num_it = a->num_it;
      o.group_ratios = ratios;
      const train::LrFindResult r = train::lr_find(l, o);
      if (r.interrupted_by) {
        train::FitResult cut;
        cut.interrupted_by = r.interrupted_by;
        return phase_interrupted(*c, cut, head_dir, j);
      }
      train::write_lr_find(r, c->out, lr_choice.rule);
      lr = r.suggestion(lr_choice.rule).lr;
      std::printf("6. lr_find again: %s suggestion %.3g; plot in %s/lr_find.png\n%s", lr_choice.rule.c_str(), lr,
                  c->out.c_str(), r.summary().c_str());
      j["lr_find"] = suggestions_json(r);
      j["lr_rule"] = lr_choice.rule;
    }
    std::vector<double> lrs;
    for (double r : ratios) lrs.push_back(lr * r);
    json group_lrs = json::array();
    for (size_t i = 0; i < g; ++i) group_lrs.push_back({{"name", groups[i].name}, {"lr", lrs[i]}});
    j["groups"] = group_lrs;
    j["lr"] = lr;
    const train::FitResult fit = a->schedule == "sgdr" ? l.fit_sgdr(a->cycles, a->cycle_len, a->cycle_mult, lrs, true)
                                                       : l.fit_one_cycle(a->epochs, lrs);
    return finish(fit, *l.state().record->schedule);
  };
}

}  // namespace cyclone::cli
