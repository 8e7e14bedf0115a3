// Data SPECs, device choice and Learner construction for the CLI.
#include "common.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "option_checks.h"
#include "data/cifar_binary.h"
#include "data/decode_cache.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/synthetic.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "optim/optimizer_kind.h"
#include "schedules/lr_suggest.h"
#include "tensor/rng.h"
#include "tensor/threads.h"

namespace cyclone::cli {
namespace fs = std::filesystem;

bool is_onnx_file(const std::string& model) { return model.size() > 5 && model.ends_with(".onnx"); }

void add_common(CLI::App& app, Common& c, bool training) {
  app.add_option("--data", c.data, "Dataset SPEC: cifar10:DIR | folder:DIR | fashion-mnist[:DIR] | synthetic")
      ->capture_default_str();
  app.add_option("--model", c.model,
                 "resnet20|resnet32|resnet44|resnet56|resnet110|smallcnn|resnet9, or FILE.onnx (an imported graph)")
      ->capture_default_str();
  app.add_option("--weights", c.weights, "Pretrained weights (.npz or .onnx) to load into the model");
  app.add_option("--device", c.device, "cpu | cuda | cuda:N | auto (cuda when a GPU is present)")->capture_default_str();
  app.add_option("--seed", c.seed, "Random seed")->capture_default_str();
  app.add_option("--out", c.out, "Output folder for logs, plots and checkpoints")->capture_default_str();
  app.add_option("--bs", c.bs, "Batch size")->capture_default_str()->check(whole_at_least(1));
  app.add_option("--normalize", c.normalize, "auto | cifar10 | imagenet | fashion-mnist | none")->capture_default_str();
  app.add_option("--limit-train", c.limit_train, "Use N training images spread evenly over the set (0: all)")
      ->check(whole_at_least(0));
  app.add_option("--limit-valid", c.limit_valid, "Use N validation images spread evenly over the set (0: all)")
      ->check(whole_at_least(0));
  app.add_option("--cache", c.cache,
                 "Where folder: data keeps its decode cache, one per folder and --limit, shared by all runs "
                 "(default $CYCLONE_CACHE_DIR, else $XDG_CACHE_HOME/cyclone, else ~/.cache/cyclone), or 'none'");
  app.add_option("--threads", c.threads, "CPU threads (0: all cores)")->check(whole_at_least(0));
  app.add_option("--valid-pct", c.valid_pct,
                 "Validate on this fraction of the training images, held out at random by --seed (fastai's "
                 "RandomSplitter), instead of the test split; give eval the same value to score that part")
      ->check(number_in(0, 1));
  app.add_flag("--json", c.json, "Print one JSON object of the results as the last line");
  app.add_flag("--quiet", c.quiet, "No progress bars");
  if (training) {
    app.add_option("--opt", c.opt, "sgd | adam | adamw")->capture_default_str();
    app.add_option("--wd", c.wd, "Weight decay")->capture_default_str()->check(number_above(0, true));
    app.add_option("--momentum", c.momentum,
                   "SGD momentum / Adam beta1 (not with a schedule that cycles it: onecycle, clr, slanted)")
        ->capture_default_str()
        ->check(number_in(0, 1));
    app.add_flag("--nesterov", c.nesterov, "Nesterov momentum (SGD)");
    app.add_option("--label-smoothing", c.label_smoothing, "Label smoothing of the cross-entropy loss, in [0, 1)")
        ->capture_default_str()
        ->check(number_in(0, 1));
    app.add_flag("!--no-augment", c.augment, "Disable training augmentation (crop + flip)");
  }
}

void add_tracker_options(CLI::App& app, Common& c, bool keep_best_by_default) {
  app.add_option("--monitor", c.monitor, "What --keep-best, --early-stop and --plateau watch: valid_loss | accuracy | train_loss")
      ->capture_default_str()
      ->check(CLI::IsMember({"valid_loss", "accuracy", "train_loss"}));
  c.keep_best = keep_best_by_default;
  if (keep_best_by_default) {
    app.add_flag("!--keep-last", c.keep_best, "End with the last epoch's weights, not the best epoch's by --monitor");
  } else {
    app.add_flag("--keep-best", c.keep_best, "End with the best epoch's weights by --monitor, not the last epoch's");
  }
  app.add_option("--early-stop", c.early_stop, "Stop after N epochs without --monitor improving (0: off)")
      ->capture_default_str()
      ->check(whole_at_least(0));
  app.add_option("--plateau", c.plateau, "Divide the lr by --plateau-factor after N epochs without --monitor improving (0: off)")
      ->capture_default_str()
      ->check(whole_at_least(0));
  app.add_option("--plateau-factor", c.plateau_factor, "What --plateau divides the lr by")
      ->capture_default_str()
      ->check(number_above(1));
}

std::shared_ptr<train::SaveBestModel> add_trackers(train::Learner& learner, const Common& c) {
  const train::Monitor m = train::parse_monitor(c.monitor);
  if (c.early_stop > 0) learner.add_callback(std::make_shared<train::EarlyStopping>(m, c.early_stop));
  if (c.plateau > 0) learner.add_callback(std::make_shared<train::ReduceLrOnPlateau>(m, c.plateau, c.plateau_factor));
  if (!c.keep_best) return nullptr;
  auto best = std::make_shared<train::SaveBestModel>(m);
  learner.add_callback(best);  // last: it puts the best weights back once the others are done
  return best;
}

const train::EpochRecord* kept_epoch(const train::SaveBestModel* best, const train::FitResult& fit) {
  if (!best || !best->best_epoch() || fit.epochs.empty() || *best->best_epoch() == fit.epochs.back().epoch) return nullptr;
  for (const train::EpochRecord& r : fit.epochs) {
    if (r.epoch == *best->best_epoch()) return &r;
  }
  return nullptr;
}

std::string kept_epoch_text(const train::SaveBestModel* best, const train::FitResult& fit) {
  const train::EpochRecord* r = kept_epoch(best, fit);
  if (!r) return "";
  char text[160];
  std::snprintf(text, sizeof text, "kept epoch %lld's weights, the best by %s (valid_loss %.4f, accuracy %.4f)",
                static_cast<long long>(r->epoch + 1), train::monitor_name(best->monitor()).c_str(), r->valid_loss,
                r->accuracy);
  return text;
}

LrChoice parse_lr(const std::string& option, const std::string& text) {
  if (text == "auto") return {std::nullopt, schedules::kDefaultSuggestionRule};
  if (text.rfind("auto=", 0) == 0) {
    const std::string rule = text.substr(5);
    try {
      return {std::nullopt, schedules::suggestion_rule(rule).name};
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(option + " " + text + ": " + e.what());
    }
  }
  char* end = nullptr;
  const double lr = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(lr) || !(lr > 0)) {
    throw std::invalid_argument(option + " " + text + ": expected a positive number, 'auto' or 'auto=RULE'");
  }
  return {lr, ""};
}

std::string lr_option_help(const std::string& what) {
  std::string names;
  for (const schedules::SuggestionRule& r : schedules::suggestion_rules()) names += std::string(names.empty() ? "" : "|") + r.name;
  return what + ", or 'auto' to take the LR range test's " + schedules::kDefaultSuggestionRule +
         " suggestion, or 'auto=RULE' for another rule (" + names + "; see docs/LR_SUGGESTIONS.md)";
}

nlohmann::json suggestions_json(const train::LrFindResult& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const schedules::NamedSuggestion& s : r.suggestions) j[s.rule] = s.suggestion.lr;
  return j;
}

Device pick_device(const std::string& name) {
  // auto means a GPU: the emulated device (CYCLONE_CUDA=EMULATE) is for checking kernels, and
  // is thousands of times slower than the CPU backend, so it is used only when asked for.
  if (name == "auto") return cuda_available() && !cuda_emulated() ? kCUDA : kCPU;
  const Device d = Device::parse(name);
  if (d.is_cuda() && !cuda_built()) {
    throw std::runtime_error("--device " + name + ": this build of cyclone has no CUDA support");
  }
  if (d.is_cuda() && d.index >= cuda_device_count()) {
    throw std::runtime_error("--device " + name + ": no such CUDA device (found " +
                             std::to_string(cuda_device_count()) + ")");
  }
  return d;
}

namespace {
// n images spread evenly over the set (folders are sorted by class, so the
// first n would all be one class).
std::shared_ptr<const data::ImageSet> limited(data::ImageSet s, int64_t n) {
  if (n > 0 && n < s.n) s = data::subset_indices(s, data::spread_indices(s.n, n));
  return std::make_shared<const data::ImageSet>(std::move(s));
}

// An image folder (DIR/split when that exists, else DIR), `limit` files of it spread evenly
// (chosen from the listing, so nothing else is decoded), through the shared decode cache.
std::shared_ptr<const data::ImageSet> folder_split(const std::string& dir, const std::string& split, int64_t limit,
                                                   const Common& c) {
  std::string path = dir;
  if (!split.empty() && fs::is_directory(fs::path(dir) / split)) path = (fs::path(dir) / split).string();
  if (!fs::is_directory(path)) throw std::runtime_error("folder:" + dir + ": not a directory");
  data::LoadOptions o;
  o.threads = c.threads > 0 ? c.threads : 0;
  o.limit = limit;
  const std::string cache_dir = c.cache.empty() ? data::default_cache_dir() : c.cache;
  if (cache_dir.empty()) {
    std::fprintf(stderr, "warning: no decode cache ($CYCLONE_CACHE_DIR, $XDG_CACHE_HOME and $HOME are unset); "
                         "give --cache DIR to keep one\n");
  }
  data::ImageSet set = c.cache == "none" || cache_dir.empty()
                           ? data::load_image_folder(path, o)
                           : data::load_or_build_cache(path, data::cache_path_for(cache_dir, path, o), o);
  return std::make_shared<const data::ImageSet>(std::move(set));
}
// --valid-pct: the training images of the SPEC, split at random into training and
// validation sets (fastai's RandomSplitter); the test split is not read.
DataPair split_training_images(const Common& c, bool need_train, const std::string& kind, const std::string& arg,
                               const nn::InputSpec& in) {
  DataPair d;
  data::ImageSet all;
  if (kind == "synthetic") {
    all = data::make_synthetic(2500, int(in.channels), int(in.height), int(in.width), 10, c.seed + 1);
    d.default_normalize = "none";
  } else if (kind == "fashion-mnist") {
    all = data::load_fashion_mnist(arg.empty() ? "/usr/share/datasets/fashion-mnist" : arg, data::Split::train);
    d.default_normalize = "fashion-mnist";
  } else if (kind == "cifar10" && !arg.empty()) {
    all = data::load_cifar10_binary(arg, data::Split::train);
    d.default_normalize = "cifar10";
  } else if (kind == "folder" && !arg.empty()) {
    all = *folder_split(arg, "train", 0, c);  // DIR/train, or DIR itself when it has no train/
    d.default_normalize = "cifar10";
  } else {
    throw std::invalid_argument("--data " + c.data +
                                ": unknown SPEC (expected cifar10:DIR, folder:DIR, fashion-mnist[:DIR] or synthetic)");
  }
  data::SplitSets parts;
  try {
    parts = data::random_split(all, c.valid_pct, c.seed);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--valid-pct " + std::to_string(c.valid_pct) + " of --data " + c.data + ": " + e.what());
  }
  if (need_train) d.train = limited(std::move(parts.train), c.limit_train);
  d.valid = limited(std::move(parts.valid), c.limit_valid);
  return d;
}
}  // namespace

DataPair load_data(const Common& c, bool need_train, const nn::InputSpec& in) {
  DataPair d;
  const std::string& spec = c.data;
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (c.valid_pct > 0) {
    if (!need_train && c.split != "test") throw std::invalid_argument("--valid-pct and --split: give one");
    return split_training_images(c, need_train, kind, arg, in);
  }
  if (kind == "synthetic") {
    const int64_t n_train = c.limit_train > 0 ? c.limit_train : 2000, n_valid = c.limit_valid > 0 ? c.limit_valid : 500;
    d.train = std::make_shared<const data::ImageSet>(data::make_synthetic(n_train, int(in.channels), int(in.height), int(in.width), 10, c.seed + 1));
    d.valid = std::make_shared<const data::ImageSet>(data::make_synthetic(n_valid, int(in.channels), int(in.height), int(in.width), 10, c.seed + 2));
    d.default_normalize = "none";
    return d;
  }
  // eval --split train evaluates the training images.
  const data::Split valid_split = !need_train && c.split == "train" ? data::Split::train : data::Split::test;
  if (kind == "fashion-mnist") {
    const std::string dir = arg.empty() ? "/usr/share/datasets/fashion-mnist" : arg;
    if (need_train) d.train = limited(data::load_fashion_mnist(dir, data::Split::train), c.limit_train);
    d.valid = limited(data::load_fashion_mnist(dir, valid_split), c.limit_valid);
    d.default_normalize = "fashion-mnist";
    return d;
  }
  if (kind == "cifar10" && !arg.empty()) {
    if (need_train) d.train = limited(data::load_cifar10_binary(arg, data::Split::train), c.limit_train);
    d.valid = limited(data::load_cifar10_binary(arg, valid_split), c.limit_valid);
    d.default_normalize = "cifar10";
    return d;
  }
  if (kind == "folder" && !arg.empty()) {
    // A split folder itself (…/test) evaluates that folder; a parent with train/ and test/ gives both.
    const bool parent = fs::is_directory(fs::path(arg) / "train") || fs::is_directory(fs::path(arg) / "test");
    if (need_train) {
      if (!parent) throw std::runtime_error("folder:" + arg + ": training needs a folder holding train/ and test/");
      d.train = folder_split(arg, "train", c.limit_train, c);
    }
    d.valid = folder_split(arg, parent ? (need_train ? "test" : c.split) : "", c.limit_valid, c);
    d.default_normalize = "cifar10";
    return d;
  }
  throw std::invalid_argument("--data " + spec +
                              ": unknown SPEC (expected cifar10:DIR, folder:DIR, fashion-mnist[:DIR] or synthetic)");
}

std::string resolve_normalize(const Common& c, const DataPair& d) {
  if (c.normalize != "auto") return c.normalize;
  // The pretrained CIFAR ResNets were trained with ImageNet statistics: built-in resnets given
  // --weights, and ResNet graphs imported from ONNX (which carry their weights).
  const std::string base = fs::path(c.model).filename().string();
  const bool resnet = base.rfind("resnet", 0) == 0 && base.rfind("resnet9", 0) != 0;
  if (resnet && (!c.weights.empty() || is_onnx_file(c.model))) return "imagenet";
  return d.default_normalize;
}

namespace {
optim::OptimizerKind parse_opt(const std::string& text) {
  try {
    return optim::parse_optimizer_kind(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--opt " + text + ": " + e.what());
  }
}
}  // namespace

data::AugmentConfig training_augment(const Common& c, const data::ImageSet& probe, const std::string& normalize) {
  data::AugmentConfig a;
  a.normalize = normalize;
  if (c.augment && probe.height >= 32) {  // CIFAR-style: reflect-pad 4, random crop, flip
    a.crop_padding = 4;
    a.pad_mode = data::PadMode::reflect;
    a.flip = true;
  }
  return a;
}

data::AugmentConfig tta_augment(const Common& c, const Session& s, int64_t passes) {
  const data::AugmentConfig augment = training_augment(c, *s.data.valid, resolve_normalize(c, s.data));
  if (passes > 0 && augment.crop_padding == 0 && !augment.flip) {
    throw std::invalid_argument("--tta-aug: these " + std::to_string(s.data.valid->height) + "x" +
                                std::to_string(s.data.valid->width) + " images get no training augmentation " +
                                "(crop and flip are for 32x32 and larger, without --no-augment)");
  }
  return augment;
}

Session make_session(const Common& c, bool need_train) {
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1)) {
    throw std::invalid_argument("--label-smoothing must be in [0, 1), got " + std::to_string(c.label_smoothing));
  }
  if (c.layer_groups < 0 || c.layer_groups == 1) {
    throw std::invalid_argument("--groups must be 0 (keep the model's) or at least 2, got " +
                                std::to_string(c.layer_groups));
  }
  const optim::OptimizerKind opt = parse_opt(c.opt);
  if (c.threads > 0) set_num_threads(c.threads);
  manual_seed(c.seed);
  Session s;
  s.device = pick_device(c.device);
  // An .onnx --model is imported as a graph (body = all but its classifier, head = the classifier).
  const std::shared_ptr<nn::OnnxModel> onnx = is_onnx_file(c.model) ? nn::import_onnx_model(c.model) : nullptr;
  const auto in = onnx ? onnx->input_spec() : nn::model_input(c.model);
  s.data = load_data(c, need_train, in);
  const data::ImageSet& probe = *s.data.valid;
  if (probe.channels != in.channels || probe.height != in.height || probe.width != in.width) {
    throw std::invalid_argument("--model " + c.model + " expects " + std::to_string(in.channels) + "x" +
                                std::to_string(in.height) + "x" + std::to_string(in.width) + " images, but --data " +
                                c.data + " has " + std::to_string(probe.channels) + "x" + std::to_string(probe.height) +
                                "x" + std::to_string(probe.width));
  }
  const int64_t classes = static_cast<int64_t>(probe.class_names.empty() ? 10 : probe.class_names.size());
  if (onnx && onnx->num_classes() != classes) {
    throw std::invalid_argument("--model " + c.model + " has " + std::to_string(onnx->num_classes()) +
                                " classes, but --data " + c.data + " has " + std::to_string(classes));
  }
  s.model = onnx ? nn::ModelPtr(onnx) : nn::make_model(c.model, classes);
  const auto have = static_cast<int64_t>(s.model->layer_groups().size());
  if (c.layer_groups > have) {
    throw std::invalid_argument("--groups " + std::to_string(c.layer_groups) + ": --model " + c.model + " has only " +
                                std::to_string(have) + " layer groups");
  }
  if (!c.weights.empty()) nn::load_weights(*s.model, c.weights);
  const std::string norm = resolve_normalize(c, s.data);
  train::LoaderOptions lo;
  lo.batch_size = c.bs;
  lo.seed = c.seed;
  lo.device = s.device;
  lo.threads = c.threads > 0 ? c.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  lo.augment.normalize = norm;
  train::LoaderOptions vo = lo;
  vo.shuffle = false;
  lo.augment = training_augment(c, probe, norm);
  auto valid = std::make_shared<train::DataLoader>(s.data.valid, vo);
  auto trainl = need_train ? std::make_shared<train::DataLoader>(s.data.train, lo) : valid;
  train::LearnerOptions opts;
  opts.opt = opt;
  opts.weight_decay = c.wd;
  opts.momentum = c.momentum;
  opts.nesterov = c.nesterov;
  opts.label_smoothing = c.label_smoothing;
  opts.layer_groups = c.layer_groups;
  opts.quiet = c.quiet;
  opts.out_dir = c.out;
  s.learner = std::make_unique<train::Learner>(s.model, trainl, valid, opts);
  return s;
}

namespace {
std::vector<std::string>& command_line() {
  static std::vector<std::string> words;
  return words;
}

// A word as a POSIX shell reads it back: bare when it is safe, else in single quotes.
std::string shell_quote(const std::string& w) {
  const bool safe = !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                      "0123456789-_=.,/:+@%") == std::string::npos;
  if (safe) return w;
  std::string q = "'";
  for (char ch : w) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}
}  // namespace

void set_command_line(int argc, const char* const* argv) {
  command_line().assign(argv, argv + argc);
}

std::string resume_command() {
  std::vector<std::string> words = command_line();
  if (words.empty()) words = {"cyclone", "train"};
  if (std::find(words.begin(), words.end(), "--resume") == words.end()) words.push_back("--resume");
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

int interrupted_status(int signal) { return 128 + signal; }

std::string signal_name(int signal) {
  return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal " + std::to_string(signal);
}

void emit_json(const Common& c, const nlohmann::json& j) {
  if (c.json) std::cout << j.dump() << std::endl;
}

}  // namespace cyclone::cli
