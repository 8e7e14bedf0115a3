// Interpretation: per-image predictions and losses from softmax probabilities, and the
// confusion matrix, most confused pairs and top losses read from them.
#include "train/interpret.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace cyclone::train {

Interpretation::Interpretation(const Tensor& probs, std::vector<int64_t> labels, std::vector<std::string> class_names,
                               std::vector<int64_t> indices)
    : labels_(std::move(labels)), indices_(std::move(indices)), names_(std::move(class_names)) {
  if (probs.dim() != 2) throw std::invalid_argument("Interpretation: probabilities must be [N, classes]");
  const int64_t n = probs.size(0);
  classes_ = probs.size(1);
  if (static_cast<int64_t>(labels_.size()) != n)
    throw std::invalid_argument("Interpretation: " + std::to_string(n) + " rows of probabilities, but " +
                                std::to_string(labels_.size()) + " labels");
  if (indices_.empty()) {
    indices_.resize(labels_.size());
    std::iota(indices_.begin(), indices_.end(), 0);
  }
  if (indices_.size() != labels_.size())
    throw std::invalid_argument("Interpretation: " + std::to_string(labels_.size()) + " labels, but " +
                                std::to_string(indices_.size()) + " indices");
  if (names_.empty())
    for (int64_t c = 0; c < classes_; ++c) names_.push_back(std::to_string(c));
  if (static_cast<int64_t>(names_.size()) != classes_)
    throw std::invalid_argument("Interpretation: " + std::to_string(classes_) + " classes, but " +
                                std::to_string(names_.size()) + " class names");
  probs_ = probs.to(DType::f32).contiguous().to_vector<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = labels_[i];
    if (y < 0 || y >= classes_)
      throw std::invalid_argument("Interpretation: label " + std::to_string(y) + " of row " + std::to_string(i) +
                                  " is not a class (0.." + std::to_string(classes_ - 1) + ")");
    const float* row = probs_.data() + i * classes_;
    predicted_.push_back(std::max_element(row, row + classes_) - row);
    losses_.push_back(-std::log(double(row[y]) + 1e-12));
  }
}

Interpretation Interpretation::from_learner(Learner& learner, bool tta) {
  const DataLoader* valid = learner.valid_loader();
  if (!valid) throw std::logic_error("Interpretation: the Learner has no validation data");
  const Tensor probs = learner.predict_probs(tta);
  // predict_probs runs the loader's epoch 0: row r is image order[r] (drop_last may end it early).
  std::vector<int64_t> order = valid->epoch_order(0);
  order.resize(static_cast<size_t>(probs.size(0)));
  const data::ImageSet& set = valid->dataset();
  std::vector<int64_t> labels;
  for (int64_t i : order) labels.push_back(set.labels[i]);
  return Interpretation(probs, std::move(labels), set.class_names, std::move(order));
}

int64_t Interpretation::correct() const {
  int64_t n = 0;
  for (size_t i = 0; i < labels_.size(); ++i) n += predicted_[i] == labels_[i];
  return n;
}

report::CountMatrix Interpretation::confusion_matrix() const {
  report::CountMatrix m(classes_, std::vector<int64_t>(classes_, 0));
  for (size_t i = 0; i < labels_.size(); ++i) ++m[labels_[i]][predicted_[i]];
  return m;
}

std::vector<ConfusedPair> Interpretation::most_confused(int64_t min_count) const {
  const report::CountMatrix m = confusion_matrix();
  std::vector<ConfusedPair> pairs;
  for (int64_t a = 0; a < classes_; ++a)
    for (int64_t p = 0; p < classes_; ++p)
      if (a != p && m[a][p] >= min_count && m[a][p] > 0) pairs.push_back({a, p, m[a][p]});
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return x.count > y.count; });
  return pairs;
}

std::vector<TopLoss> Interpretation::top_losses(int64_t k) const {
  std::vector<size_t> rows(labels_.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](size_t x, size_t y) {
    return losses_[x] != losses_[y] ? losses_[x] > losses_[y] : indices_[x] < indices_[y];
  });
  rows.resize(std::min(rows.size(), static_cast<size_t>(std::max<int64_t>(k, 0))));
  std::vector<TopLoss> top;
  for (size_t r : rows)
    top.push_back({indices_[r], losses_[r], labels_[r], predicted_[r], probs_[r * classes_ + predicted_[r]]});
  return top;
}

std::string confusion_title(const Interpretation& interp) {
  return "confusion matrix (validation, " + std::to_string(interp.size()) + " images)";
}

void save_confusion(const Interpretation& interp, const std::string& path) {
  report::save_confusion_plot(interp.confusion_matrix(), interp.class_names(), confusion_title(interp), path);
}

void write_confusion_csv(const Interpretation& interp, const std::string& path) {
  report::write_confusion_csv(interp.confusion_matrix(), interp.class_names(), path);
}

std::vector<report::ImageTile> top_loss_tiles(const Interpretation& interp, const data::ImageSet& set, int64_t k) {
  const auto& names = interp.class_names();
  std::vector<report::ImageTile> tiles;
  for (const TopLoss& t : interp.top_losses(k)) {
    if (t.index < 0 || t.index >= set.n)
      throw std::invalid_argument("top_loss_tiles: image " + std::to_string(t.index) + " is not in the set of " +
                                  std::to_string(set.n));
    const uint8_t* px = set.image(t.index);
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "%.2f / %.2f", t.loss, t.probability);
    tiles.push_back({set.channels, set.height, set.width, std::vector<uint8_t>(px, px + set.image_size()),
                     {names[t.predicted] + "/" + names[t.actual], numbers}});
  }
  return tiles;
}

void save_top_losses(const Interpretation& interp, const data::ImageSet& set, int64_t k, const std::string& path) {
  report::save_image_grid(top_loss_tiles(interp, set, k), kTopLossesTitle, path);
}

}  // namespace cyclone::train
