// cyclone interpret: fastai's ClassificationInterpretation of weights on the validation split:
// the accuracy, the most confused pairs, OUT/confusion.png and .csv, and OUT/top_losses.png.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "option_checks.h"
#include "train/interpret.h"

namespace cyclone::cli {
namespace fs = std::filesystem;
using nlohmann::json;

Runner add_interpret(CLI::App& app) {
  auto* sub = app.add_subcommand("interpret",
                                 "Interpret weights on the validation split: confusion matrix, most confused "
                                 "classes and the images with the highest losses");
  auto c = std::make_shared<Common>();
  auto top = std::make_shared<int64_t>(9);
  auto tta = std::make_shared<bool>(false);
  add_common(*sub, *c, false);
  sub->get_option("--weights")->description("Weights (.npz, a checkpoint, or .onnx) to interpret");
  sub->get_option("--out")->description("Output folder for confusion.png, confusion.csv and top_losses.png");
  sub->add_option("--split", c->split, "test | train")->capture_default_str()->check(CLI::IsMember({"test", "train"}));
  sub->add_option("--top", *top, "Images in top_losses.png, the highest losses first")
      ->capture_default_str()
      ->check(whole_at_least(1));
  sub->add_flag("--tta", *tta, "Average predictions over horizontal flips");
  return [c, top, tta] {
    if (c->weights.empty() && !is_onnx_file(c->model)) throw std::invalid_argument("interpret: --weights FILE is required");
    Session s = make_session(*c, false);
    const train::Interpretation interp = train::Interpretation::from_learner(*s.learner, *tta);
    const auto& names = interp.class_names();
    std::printf("accuracy %.4f (%lld/%lld correct)%s\n", interp.accuracy(), static_cast<long long>(interp.correct()),
                static_cast<long long>(interp.size()), *tta ? " with flip TTA" : "");
    const std::vector<train::ConfusedPair> confused = interp.most_confused(1);
    json confused_json = json::array();
    for (const train::ConfusedPair& p : confused)
      confused_json.push_back({{"actual", names[p.actual]}, {"predicted", names[p.predicted]}, {"count", p.count}});
    if (confused.empty()) std::printf("most confused: none, every image is classified correctly\n");
    else std::printf("most confused (actual -> predicted: count):\n");
    for (size_t i = 0; i < confused.size() && i < 5; ++i)
      std::printf("  %s -> %s: %lld\n", names[confused[i].actual].c_str(), names[confused[i].predicted].c_str(),
                  static_cast<long long>(confused[i].count));
    json top_json = json::array();
    for (const train::TopLoss& t : interp.top_losses(*top))
      top_json.push_back({{"index", t.index}, {"loss", t.loss}, {"actual", names[t.actual]},
                          {"predicted", names[t.predicted]}, {"probability", t.probability}});
    fs::create_directories(c->out);
    const std::string png = c->out + "/confusion.png", csv = c->out + "/confusion.csv", losses = c->out + "/top_losses.png";
    train::save_confusion(interp, png);
    train::write_confusion_csv(interp, csv);
    train::save_top_losses(interp, s.learner->valid_loader()->dataset(), *top, losses);
    std::printf("wrote %s (the matrix), %s and %s (the top %lld losses)\n", png.c_str(), csv.c_str(), losses.c_str(),
                static_cast<long long>(top_json.size()));
    emit_json(*c, {{"command", "interpret"}, {"model", c->model}, {"weights", c->weights}, {"tta", *tta},
                   {"count", interp.size()}, {"correct", interp.correct()}, {"accuracy", interp.accuracy()},
                   {"classes", names}, {"confusion", interp.confusion_matrix()}, {"most_confused", confused_json},
                   {"top_losses", top_json}, {"files", {png, csv, losses}}});
    return 0;
  };
}

}  // namespace cyclone::cli
