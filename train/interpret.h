// fastai's ClassificationInterpretation: a validation set's predictions read as a confusion
// matrix, the pairs of classes most often confused and the images with the highest losses,
// and drawn as pictures (report/confusion.h, report/image_grid.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_set.h"
#include "report/confusion.h"
#include "report/image_grid.h"
#include "tensor/tensor.h"
#include "train/learner.h"

namespace cyclone::train {

struct ConfusedPair {
  int64_t actual = 0, predicted = 0, count = 0;
  bool operator==(const ConfusedPair&) const = default;
};

struct TopLoss {
  int64_t index = 0;        // the image's index in the validation set
  double loss = 0;          // cross-entropy: -log p(actual)
  int64_t actual = 0, predicted = 0;
  double probability = 0;   // of the prediction
};

class Interpretation {
 public:
  // probs: [N, classes] probabilities (softmax outputs, on any device); labels[i]: the actual
  // class of row i; indices[i]: row i's image in its set (empty: 0 .. N-1). class_names
  // empty: "0", "1", ... Throws std::invalid_argument when the sizes disagree.
  Interpretation(const Tensor& probs, std::vector<int64_t> labels, std::vector<std::string> class_names = {},
                 std::vector<int64_t> indices = {});
  // The Learner's validation set, through Learner::predict_probs(tta).
  static Interpretation from_learner(Learner& learner, bool tta = false);

  int64_t size() const { return static_cast<int64_t>(labels_.size()); }
  int64_t num_classes() const { return classes_; }
  const std::vector<std::string>& class_names() const { return names_; }
  const std::vector<int64_t>& labels() const { return labels_; }
  const std::vector<int64_t>& predictions() const { return predicted_; }  // each row's argmax (the first on ties)
  // Each row's cross-entropy, -log(p(actual) + 1e-12), as Learner::validate_tta scores it.
  const std::vector<double>& losses() const { return losses_; }
  int64_t correct() const;
  double accuracy() const { return size() ? double(correct()) / double(size()) : 0.0; }

  // counts[actual][predicted].
  report::CountMatrix confusion_matrix() const;
  // The off-diagonal cells holding at least min_count images (and never an empty one), most
  // first (ties in row-major order), as fastai's most_confused.
  std::vector<ConfusedPair> most_confused(int64_t min_count = 1) const;
  // The k rows with the highest losses, highest first (ties by index).
  std::vector<TopLoss> top_losses(int64_t k) const;

 private:
  int64_t classes_ = 0;
  std::vector<float> probs_;  // row-major [N, classes]
  std::vector<int64_t> labels_, indices_, predicted_;
  std::vector<double> losses_;
  std::vector<std::string> names_;
};

// "confusion matrix (validation, N images)".
std::string confusion_title(const Interpretation& interp);
// The confusion heatmap (PNG or SVG by the extension), titled by confusion_title.
void save_confusion(const Interpretation& interp, const std::string& path);
// The matrix as CSV (report::write_confusion_csv).
void write_confusion_csv(const Interpretation& interp, const std::string& path);
// The top k losses as tiles of `set` (the set interpreted), each captioned as fastai's
// plot_top_losses: "predicted/actual" over "loss / probability" (of the prediction).
std::vector<report::ImageTile> top_loss_tiles(const Interpretation& interp, const data::ImageSet& set, int64_t k);
inline const std::string kTopLossesTitle = "top losses: prediction/actual, loss / probability";
// Those tiles as a grid (PNG or SVG by the extension; report::save_image_grid).
void save_top_losses(const Interpretation& interp, const data::ImageSet& set, int64_t k, const std::string& path);

}  // namespace cyclone::train
