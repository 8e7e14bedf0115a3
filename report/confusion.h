// A confusion matrix (counts[actual][predicted]) as a picture, a heatmap with the count in
// every cell, and as CSV. The layout and the shading are public so tests can check them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/plot.h"

namespace cyclone::report {

using CountMatrix = std::vector<std::vector<int64_t>>;  // [actual][predicted], square

// The shade of a cell holding `share` (in [0, 1]) of its row's images: white at 0, dark
// blue at 1, linear in between.
Rgb confusion_color(double share);

// Where the heatmap's parts go, in pixels: cell (a, p) spans
// [left + p * cell, left + (p + 1) * cell) x [top + a * cell, top + (a + 1) * cell).
struct ConfusionLayout {
  int width = 0, height = 0;  // the whole image
  int left = 0, top = 0, cell = 0;
  bool vertical_names = false;  // the predicted classes' names read bottom to top
};
ConfusionLayout layout_confusion(const CountMatrix& counts, const std::vector<std::string>& names,
                                 const std::string& title);

// Writes the heatmap as PNG or SVG (by the extension): cells shaded by their share of the
// row (so a rare class reads as clearly as a common one), each with its count, the class
// names on both axes, "predicted" across and "actual" down. Throws std::invalid_argument
// unless counts is square with one name per row.
void save_confusion_plot(const CountMatrix& counts, const std::vector<std::string>& names,
                         const std::string& title, const std::string& path);

// Writes the matrix as CSV (atomically): a header "actual \ predicted,NAME,...", then one
// row per actual class, its name and its counts.
void write_confusion_csv(const CountMatrix& counts, const std::vector<std::string>& names,
                         const std::string& path);

}  // namespace cyclone::report
