// Shared pieces of the `cyclone` command-line tool: data SPECs, the options
// every subcommand takes, and building a Learner from them.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/image_set.h"
#include "nn/models/model.h"
#include "train/learner.h"
#include "train/lr_finder.h"
#include "train/monitor_callbacks.h"

namespace cyclone::cli {

// Options common to the training-style subcommands.
struct Common {
  std::string data = "fashion-mnist";
  std::string model = "smallcnn";
  std::string weights;
  std::string device = "auto";
  std::string out = "out";
  std::string cache;  // --cache: the decode cache folder, "none", or empty for data::default_cache_dir()
  std::string normalize = "auto";  // auto: the dataset's own preset (imagenet with pretrained ResNet weights)
  uint64_t seed = 0;
  int64_t bs = 128;
  int64_t limit_train = 0, limit_valid = 0;  // keep this many images (0: all)
  double valid_pct = 0;                      // > 0: validate on this random part of the training images
  std::string split = "test";                // eval: which split to evaluate
  bool augment = true;
  bool json = false, quiet = false;
  int threads = 0;  // 0: all cores
  std::string opt = "sgd";  // --opt as typed; make_session parses it into an optim::OptimizerKind
  double wd = 5e-4, momentum = 0.9;
  double label_smoothing = 0.0;
  int64_t layer_groups = 0;  // finetune --groups: merge the model's layer groups into this many
  bool nesterov = false;
  // Tracker callbacks (train/monitor_callbacks.h), watching `monitor` at every epoch end.
  std::string monitor = "valid_loss";
  bool keep_best = false;     // the model ends with the best epoch's weights
  int64_t early_stop = 0;     // patience in epochs (0: off)
  int64_t plateau = 0;        // ReduceLROnPlateau's patience in epochs (0: off)
  double plateau_factor = 10;
};

void add_common(CLI::App& app, Common& c, bool training);
// --monitor, --keep-best (or, where keeping the best is the default, --keep-last), --early-stop,
// --plateau and --plateau-factor.
void add_tracker_options(CLI::App& app, Common& c, bool keep_best_by_default);
// Adds the tracker callbacks the options ask for to the session's Learner; the SaveBestModel,
// when --keep-best, is returned so that the caller can say which epoch it kept.
std::shared_ptr<train::SaveBestModel> add_trackers(train::Learner& learner, const Common& c);
// The epoch whose weights --keep-best put back, or null when it kept none or the last one.
const train::EpochRecord* kept_epoch(const train::SaveBestModel* best, const train::FitResult& fit);
// "kept epoch 3's weights, the best by accuracy (valid_loss 0.4123, accuracy 0.8160)", or empty
// when kept_epoch is null.
std::string kept_epoch_text(const train::SaveBestModel* best, const train::FitResult& fit);

// An "lr: a number, 'auto' or 'auto=RULE'" option such as --lr: a positive finite number, or
// empty with the suggestion rule the range test's answer is taken from ('auto' alone: the
// default rule, schedules::kDefaultSuggestionRule).
struct LrChoice {
  std::optional<double> value;
  std::string rule;  // when value is empty
};
// Throws std::invalid_argument naming the option, the value and (for a bad rule) the rules.
LrChoice parse_lr(const std::string& option, const std::string& text);
// The --help line of such an option: `what`, then the auto forms and the rule names.
std::string lr_option_help(const std::string& what);
// Every rule's suggestion by name, {"minimum": 0.13, "steepest": 0.42, ...}.
nlohmann::json suggestions_json(const train::LrFindResult& r);

struct DataPair {
  std::shared_ptr<const data::ImageSet> train, valid;
  std::string default_normalize;  // the dataset's preset
};

// SPEC forms: cifar10:DIR (binary layout), folder:DIR (image folder; DIR may be a
// split folder or the parent of train/ and test/), fashion-mnist[:DIR], synthetic.
// `in` is the model's input shape (synthetic data is generated to match it).
DataPair load_data(const Common& c, bool need_train, const nn::InputSpec& in);

Device pick_device(const std::string& name);
// True when --model names an ONNX file (an imported graph, which carries its weights).
bool is_onnx_file(const std::string& model);
std::string resolve_normalize(const Common& c, const DataPair& d);

// The training augmentation the options give for images like `probe` (crop and flip for
// 32x32 and larger, none for smaller or with --no-augment), with `normalize`.
data::AugmentConfig training_augment(const Common& c, const data::ImageSet& probe, const std::string& normalize);

struct Session;
// --tta-aug N: the session's training augmentation, or, when N > 0 and the images get none
// (smaller than 32x32, or --no-augment), std::invalid_argument naming --tta-aug.
data::AugmentConfig tta_augment(const Common& c, const Session& s, int64_t passes);

struct Session {
  DataPair data;
  nn::ModelPtr model;
  std::unique_ptr<train::Learner> learner;
  Device device;
};
// Loads data and model (and weights), builds loaders and the Learner.
Session make_session(const Common& c, bool need_train);

// The command line as typed (main records it), for messages such as how to resume a run.
void set_command_line(int argc, const char* const* argv);
// That command line, shell-quoted, with --resume added when it is not there.
std::string resume_command();
// A phase stopped by SIGINT or SIGTERM (train/interrupt.h): the exit status, 128 + the signal,
// and the signal's name for messages and JSON.
int interrupted_status(int signal);
std::string signal_name(int signal);

// Prints the JSON object as the last line when --json is set.
void emit_json(const Common& c, const nlohmann::json& j);

}  // namespace cyclone::cli
