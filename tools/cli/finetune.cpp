// `cyclone finetune`: the fast.ai transfer-learning recipe, end to end:
// load weights -> freeze the body and precompute its activations -> train
// the head -> unfreeze -> layer-group lrs ratio x apart -> lr_find again ->
// SGDR with cycle_len 1, cycle_mult 2, saving a snapshot per cycle -> (optionally
// precise BN) -> report single-model, TTA and snapshot-ensemble accuracy.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "commands.h"
#include "common.h"
#include "option_checks.h"
#include "nn/state_io.h"
#include "train/lr_finder.h"
#include "train/precise_bn.h"

namespace cyclone::cli {
using nlohmann::json;

Runner add_finetune(CLI::App& app) {
  auto* sub = app.add_subcommand("finetune", "Fine-tune pretrained weights with the fast.ai recipe");
  struct Args {
    int64_t head_epochs = 1, cycles = 2, cycle_mult = 2;
    double head_lr = 1e-2, ratio = 3, cycle_len = 1;
    std::string lr = "auto";
    int64_t num_it = 100;
    int64_t precise_bn = 0;
  };
  auto c = std::make_shared<Common>();
  auto a = std::make_shared<Args>();
  add_common(*sub, *c, true);
  sub->add_option("--head-epochs", a->head_epochs, "Epochs of head-only training on precomputed activations")
      ->capture_default_str()
      ->check(whole_at_least(1));
  sub->add_option("--head-lr", a->head_lr, "Peak lr for the head phase (one-cycle)")->capture_default_str()->check(number_above(0));
  sub->add_option("--groups", c->layer_groups,
                  "Merge the model's layer groups into N (head on its own, body split evenly; 0: keep them)")
      ->capture_default_str();
  sub->add_option("--ratio", a->ratio, "lr ratio between consecutive layer groups (3-10)")
      ->capture_default_str()
      ->check(number_above(1, true));
  sub->add_option("--lr", a->lr, lr_option_help("Head-group lr for the SGDR phase"))->capture_default_str();
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
  add_tracker_options(*sub, *c, true);
  return [c, a] {
    const bool onnx_model = is_onnx_file(c->model);
    if (c->weights.empty() && !onnx_model) throw std::invalid_argument("finetune: --weights FILE is required");
    if (a->ratio < 1) throw std::invalid_argument("finetune: --ratio must be >= 1");
    const LrChoice lr_choice = parse_lr("--lr", a->lr);
    const std::optional<double> given_lr = lr_choice.value;
    Session s = make_session(*c, true);
    train::Learner& l = *s.learner;
    const std::shared_ptr<train::SaveBestModel> best = add_trackers(l, *c);
    json j{{"command", "finetune"}, {"model", c->model}, {"weights", c->weights}, {"device", s.device.str()}};
    const train::Metrics start = l.validate();
    std::printf("1. loaded %s: accuracy %.4f, loss %.4f\n", c->weights.c_str(), start.accuracy, start.loss);
    j["start_accuracy"] = start.accuracy;

    l.freeze();
    const double pre_s = l.precompute(true);
    std::printf("2. froze the body and precomputed its activations in %.1fs\n", pre_s);
    const auto t0 = std::chrono::steady_clock::now();
    const train::FitResult head = l.fit_one_cycle(a->head_epochs, {a->head_lr});
    const double head_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (head.stopped_on_nan) {
      std::printf("3. the head's training diverged (lower --head-lr); nothing written\n");
      j.update({{"stopped_on_nan", true}, {"weights_out", nullptr}});
      emit_json(*c, j);
      return 3;
    }
    std::printf("3. head trained for %lld epoch(s) in %.2fs on cached features: accuracy %.4f\n",
                static_cast<long long>(a->head_epochs), head_s, head.final_accuracy);
    j["head"] = {{"epochs", a->head_epochs}, {"accuracy", head.final_accuracy}, {"seconds", head_s},
                 {"precompute_seconds", pre_s}};

    l.precompute(false);
    l.unfreeze();
    const size_t g = l.num_groups();
    std::vector<double> ratios(g);
    for (size_t i = 0; i < g; ++i) ratios[i] = std::pow(a->ratio, -double(g - 1 - i));
    const auto groups = l.layer_groups();
    std::printf("4. unfroze all %zu layer groups\n5. layer-group lr ratios:", g);
    for (size_t i = 0; i < g; ++i) std::printf(" %s x%.3g", groups[i].name.c_str(), ratios[i]);
    std::printf("\n");
    double lr = 0;
    if (given_lr) {
      lr = *given_lr;
      std::printf("6. using lr %.3g\n", lr);
    } else {
      train::LrFindOptions o;
      o.num_it = a->num_it;
      o.group_ratios = ratios;
      const train::LrFindResult r = train::lr_find(l, o);
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
    const train::FitResult fit = l.fit_sgdr(a->cycles, a->cycle_len, a->cycle_mult, lrs, true);
    if (fit.stopped_on_nan) {  // a diverged model never replaces a good one
      std::printf("7. SGDR diverged (lower --lr); %s/finetuned.npz not written\n", c->out.c_str());
      j.update({{"lr", lr}, {"stopped_on_nan", true}, {"snapshots", fit.snapshots}, {"weights_out", nullptr}});
      emit_json(*c, j);
      return 3;
    }
    std::printf("7. SGDR (%lld cycles, cycle_len %.3g, cycle_mult %lld): accuracy %.4f\n",
                static_cast<long long>(a->cycles), a->cycle_len, static_cast<long long>(a->cycle_mult),
                fit.final_accuracy);
    json epochs = json::array();
    for (auto& e : fit.epochs) epochs.push_back({{"epoch", e.epoch + 1}, {"accuracy", e.accuracy}, {"valid_loss", e.valid_loss}});
    double single = fit.final_accuracy;
    if (const std::string kept = kept_epoch_text(best.get(), fit); !kept.empty()) {
      std::printf("   %s\n", kept.c_str());
      for (const train::EpochRecord& e : fit.epochs) {
        if (e.epoch == *best->best_epoch()) single = e.accuracy;
      }
      j["kept_epoch"] = *best->best_epoch() + 1;
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
    const train::Metrics tta = l.validate_tta();
    const int64_t m = static_cast<int64_t>(l.snapshots().size());
    train::Metrics ens;
    if (m > 1) ens = l.evaluate_ensemble(m);
    std::printf("8. single model %.4f, with flip TTA %.4f; ensemble of %lld snapshots %.4f\n", single,
                tta.accuracy, static_cast<long long>(m), m > 1 ? ens.accuracy : single);
    nn::save_weights(*s.model, c->out + "/finetuned.npz");
    j.update({{"lr", lr}, {"epochs", epochs}, {"final_accuracy", single}, {"tta_accuracy", tta.accuracy},
              {"snapshots", fit.snapshots}, {"ensemble_accuracy", m > 1 ? ens.accuracy : single},
              {"weights_out", c->out + "/finetuned.npz"}});
    emit_json(*c, j);
    return 0;
  };
}

}  // namespace cyclone::cli
