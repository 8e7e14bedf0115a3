// `cyclone eval`: top-1 and mean loss of weights (or of an ensemble of weight files), with
// flip or training-augmentation TTA, precise BN and the first logits.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "common.h"
#include "option_checks.h"
#include "autograd/node.h"
#include "nn/state_io.h"
#include "train/precise_bn.h"

namespace cyclone::cli {
using nlohmann::json;

namespace {

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
    const data::AugmentConfig augment = tta_augment(*c, s, *tta_aug);
    int64_t bn_batches = 0;
    if (*precise_bn > 0) {
      train::PreciseBnOptions po;
      po.batches = *precise_bn;
      bn_batches = train::recalibrate_bn(*s.model, s.learner->train_loader(), po);
      std::printf("precise BN: statistics averaged over %lld training batches\n", static_cast<long long>(bn_batches));
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

}  // namespace cyclone::cli
