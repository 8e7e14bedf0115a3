// Checkpoints: the model's state dict, the optimizer's state, the fit position
// and global step, the frozen groups, the fit's record (its shape under "fit/",
// its schedule spec under "schedule/") and the RNG state, in one npz written
// atomically; loading one makes the next fit continue exactly where it stopped.
#include <map>
#include <optional>
#include <stdexcept>
#include <variant>

#include "io/npz.h"
#include "nn/state_io.h"
#include "schedules/stored.h"
#include "tensor/rng.h"
#include "train/learner.h"

namespace cyclone::train {

namespace {
io::NdArray i64_scalar(int64_t v) { return io::NdArray::from<int64_t>({}, {v}); }
io::NdArray f64_scalar(double v) { return io::NdArray::from<double>({}, {v}); }
int64_t get_i64(const std::map<std::string, io::NdArray>& a, const std::string& k, const std::string& path) {
  auto it = a.find(k);
  if (it == a.end() || it->second.dtype != io::DType::i64 || it->second.numel() != 1) {
    throw std::runtime_error(path + ": not a cyclone checkpoint (missing or bad '" + k + "')");
  }
  return it->second.at<int64_t>(0);
}

// The schedule spec's arrays (schedules/stored.h) as npz entries "schedule/<name>/<key>" and back.
void put_schedule(std::map<std::string, io::NdArray>& a, const schedules::ScheduleSpec& spec) {
  for (const auto& entry : schedules::store_schedule(spec)) {
    const bool scalar = entry.second.scalar;  // a named variable, not a structured binding: lambdas capture it
    a["schedule/" + entry.first] = std::visit(
        [scalar](const auto& vals) {
          using T = typename std::decay_t<decltype(vals)>::value_type;
          return io::NdArray::from<T>(scalar ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(vals.size())}, vals);
        },
        entry.second.values);
  }
}

std::optional<schedules::ScheduleSpec> get_schedule(const std::map<std::string, io::NdArray>& a, const std::string& path) {
  schedules::StoredSchedule stored;
  for (auto& [k, v] : a) {
    if (k.rfind("schedule/", 0) != 0) continue;
    if (v.shape.size() > 1) throw std::runtime_error(path + ": " + k + " is not a scalar or a list");
    schedules::StoredArray s;
    s.scalar = v.shape.empty();
    if (v.dtype == io::DType::f64) {
      std::vector<double> vals(v.numel());
      for (size_t i = 0; i < vals.size(); ++i) vals[i] = v.at<double>(i);
      s.values = std::move(vals);
    } else if (v.dtype == io::DType::i64) {
      std::vector<int64_t> vals(v.numel());
      for (size_t i = 0; i < vals.size(); ++i) vals[i] = v.at<int64_t>(i);
      s.values = std::move(vals);
    } else {
      throw std::runtime_error(path + ": " + k + " is " + io::dtype_name(v.dtype) + ", not float64 or int64");
    }
    stored[k.substr(9)] = std::move(s);
  }
  if (stored.empty()) return std::nullopt;
  try {
    return schedules::load_schedule(stored);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace

std::optional<std::string> Learner::non_finite_state() const {
  if (auto bad = nn::first_non_finite(model_->state_dict())) return "model '" + *bad + "'";
  const optim::OptimizerState os = opt_->state_dict();
  const nn::NamedTensors optim_tensors(os.tensors.begin(), os.tensors.end());
  if (auto bad = nn::first_non_finite(optim_tensors)) return "optimizer state '" + *bad + "'";
  return std::nullopt;
}

void Learner::save_checkpoint(const std::string& path) const {
  if (const std::optional<std::string> bad = non_finite_state()) {
    throw std::runtime_error(path + ": not written: " + *bad +
                             " holds NaN or infinite values (an existing checkpoint is left as it was)");
  }
  std::map<std::string, io::NdArray> a;
  for (auto& [k, v] : model_->state_dict()) a[nn::kCheckpointModelPrefix + k] = nn::ndarray_from_tensor(v);
  const optim::OptimizerState os = opt_->state_dict();
  for (auto& [k, v] : os.tensors) a["optim.t/" + k] = nn::ndarray_from_tensor(v);
  for (auto& [k, v] : os.scalars) a["optim.s/" + k] = f64_scalar(v);
  a[nn::kCheckpointMarker] = i64_scalar(1);
  a["learner/step"] = i64_scalar(state_.position.step);
  a["learner/epoch"] = i64_scalar(state_.position.epoch);
  a["learner/batch"] = i64_scalar(state_.position.batch);
  a["learner/global_step"] = i64_scalar(state_.global_step);
  a["learner/frozen_to"] = i64_scalar(frozen_to_);
  if (const std::optional<FitRecord>& r = state_.record) {
    a["fit/epochs"] = i64_scalar(r->epochs);
    a["fit/steps_per_epoch"] = i64_scalar(r->steps_per_epoch);
    a["fit/max_steps"] = i64_scalar(r->max_steps);
    a["fit/loader_epoch"] = i64_scalar(r->loader_epoch);
    a["fit/begin_step"] = i64_scalar(r->begin_step);
    if (r->schedule) put_schedule(a, *r->schedule);
  }
  const GeneratorState g = default_generator().state();
  a["rng/seed"] = i64_scalar(static_cast<int64_t>(g.seed));
  a["rng/offset"] = i64_scalar(static_cast<int64_t>(g.offset));
  io::save_npz(path, a, false);  // writes path.tmp, then renames: never a half-written checkpoint
}

void Learner::load_checkpoint(const std::string& path) {
  const std::map<std::string, io::NdArray> a = io::load_npz(path);
  if (get_i64(a, nn::kCheckpointMarker, path) != 1) throw std::runtime_error(path + ": unsupported checkpoint format");
  std::optional<FitRecord> record;  // absent in checkpoints written before they kept it, or outside a fit
  if (a.count("fit/epochs")) {
    record = FitRecord{get_schedule(a, path), get_i64(a, "fit/epochs", path), get_i64(a, "fit/steps_per_epoch", path),
                       get_i64(a, "fit/max_steps", path), get_i64(a, "fit/loader_epoch", path),
                       get_i64(a, "fit/begin_step", path)};
  }
  nn::NamedTensors model_state;
  optim::OptimizerState os;
  for (auto& [k, v] : a) {
    const std::string model_prefix = nn::kCheckpointModelPrefix;
    if (k.rfind(model_prefix, 0) == 0) {
      model_state.emplace_back(k.substr(model_prefix.size()), nn::tensor_from_ndarray(v, path + ": " + k));
    }
    if (k.rfind("optim.t/", 0) == 0) os.tensors[k.substr(8)] = nn::tensor_from_ndarray(v, path + ": " + k);
    if (k.rfind("optim.s/", 0) == 0) os.scalars[k.substr(8)] = v.at<double>(0);
  }
  freeze_to(get_i64(a, "learner/frozen_to", path));
  try {
    model_->load_state_dict(model_state);
    opt_->load_state_dict(os);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  const FitPosition at{get_i64(a, "learner/step", path), get_i64(a, "learner/epoch", path),
                       get_i64(a, "learner/batch", path)};
  state_.position = at;
  state_.resume = at;
  state_.global_step = get_i64(a, "learner/global_step", path);
  state_.record = record;
  default_generator().set_state({static_cast<uint64_t>(get_i64(a, "rng/seed", path)),
                                 static_cast<uint64_t>(get_i64(a, "rng/offset", path))});
}

}  // namespace cyclone::train
