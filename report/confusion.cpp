// The confusion-matrix heatmap (a Scene of shaded cells, counts and class names, drawn by
// the PNG or SVG writer) and its CSV.
#include "report/confusion.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "report/csv_log.h"
#include "report/plot_scene.h"

namespace cyclone::report {
namespace {
using namespace plot_detail;

const Rgb kInk{40, 40, 40};
const Rgb kZero{165, 165, 165};  // a count of 0: there, but quiet
const Rgb kCellEdge{225, 225, 225};
const Rgb kFrame{90, 90, 90};
const Rgb kFull{28, 84, 156};  // the shade of a whole row
constexpr int kMargin = 16, kGap = 8;
constexpr int kCountScale = kLabelScale;

void check_matrix(const CountMatrix& counts, const std::vector<std::string>& names) {
  if (counts.empty()) throw std::invalid_argument("confusion matrix: no classes");
  for (const auto& row : counts) {
    if (row.size() != counts.size())
      throw std::invalid_argument("confusion matrix: " + std::to_string(counts.size()) + " rows, but a row of " +
                                  std::to_string(row.size()) + " counts");
    for (int64_t c : row)
      if (c < 0) throw std::invalid_argument("confusion matrix: a negative count, " + std::to_string(c));
  }
  if (names.size() != counts.size())
    throw std::invalid_argument("confusion matrix: " + std::to_string(counts.size()) + " classes, but " +
                                std::to_string(names.size()) + " names");
}

// The top of a line of text at `scale` whose glyphs are centred on y (caps are 7 units tall).
double text_top(double y, int scale) { return y - 3.5 * scale; }

int widest(const std::vector<std::string>& texts, int scale) {
  int w = 0;
  for (const std::string& t : texts) w = std::max(w, text_width(t, scale));
  return w;
}

// The width the block of row names, "actual" and the cells takes.
int block_width(const ConfusionLayout& l, const std::vector<std::string>& names) {
  return text_height(kLabelScale) + kGap + widest(names, kTickScale) + kGap + l.cell * int(names.size());
}

}  // namespace

Rgb confusion_color(double share) {
  const double s = std::clamp(std::isfinite(share) ? share : 0.0, 0.0, 1.0);
  auto mix = [s](std::uint8_t full) { return static_cast<std::uint8_t>(std::lround(255 + (full - 255) * s)); };
  return {mix(kFull.r), mix(kFull.g), mix(kFull.b)};
}

ConfusionLayout layout_confusion(const CountMatrix& counts, const std::vector<std::string>& names,
                                 const std::string& title) {
  check_matrix(counts, names);
  ConfusionLayout l;
  int64_t most = 0;
  for (const auto& row : counts) most = std::max(most, *std::max_element(row.begin(), row.end()));
  l.cell = std::max(44, text_width(std::to_string(most), kCountScale) + 16);
  const int name_w = widest(names, kTickScale);
  l.vertical_names = name_w > l.cell - 6;
  const int block_w = block_width(l, names);
  l.width = std::max(block_w + 2 * kMargin, std::min(text_width(title, kTitleScale) + 60, 1000));
  l.left = (l.width - block_w) / 2 + (block_w - l.cell * int(names.size()));
  l.top = kMargin + fit_title(title, l.width).height(kGap) + 4;
  const int names_h = l.vertical_names ? name_w : text_height(kTickScale);
  l.height = l.top + l.cell * int(names.size()) + kGap + names_h + kGap + text_height(kLabelScale) + kMargin;
  return l;
}

void save_confusion_plot(const CountMatrix& counts, const std::vector<std::string>& names, const std::string& title,
                         const std::string& path) {
  const ConfusionLayout l = layout_confusion(counts, names, title);
  const int k = static_cast<int>(counts.size()), side = k * l.cell;
  Scene sc{l.width, l.height, {}, {}};
  const TitleLines t = fit_title(title, l.width);
  for (std::size_t i = 0; i < t.lines.size(); ++i)
    sc.shapes.push_back(Text{{l.width / 2.0, double(kMargin) + double(i) * (text_height(t.scale) + kGap)},
                             t.lines[i], kInk, t.scale, Anchor::Center});
  for (int a = 0; a < k; ++a) {
    int64_t row_total = 0;
    for (int64_t c : counts[a]) row_total += c;
    for (int p = 0; p < k; ++p) {
      const int64_t c = counts[a][p];
      const double share = row_total > 0 ? double(c) / double(row_total) : 0.0;
      const double x = l.left + p * l.cell, y = l.top + a * l.cell;
      sc.shapes.push_back(Rect{x, y, double(l.cell), double(l.cell), confusion_color(share)});
      sc.shapes.push_back(Rect{x, y, double(l.cell), double(l.cell), kCellEdge, false});
      const Rgb ink = c == 0 ? kZero : share > 0.5 ? Rgb{255, 255, 255} : kInk;
      sc.shapes.push_back(Text{{x + l.cell / 2.0, text_top(y + l.cell / 2.0, kCountScale)}, std::to_string(c), ink,
                               kCountScale, Anchor::Center});
    }
  }
  sc.shapes.push_back(Rect{double(l.left), double(l.top), double(side), double(side), kFrame, false});
  // Class names: the actual classes left of their rows, the predicted ones under their columns.
  const double below = l.top + side + kGap;
  for (int i = 0; i < k; ++i) {
    const double centre = l.left + (i + 0.5) * l.cell;
    sc.shapes.push_back(Text{{l.left - double(kGap), text_top(l.top + (i + 0.5) * l.cell, kTickScale)}, names[i],
                             kInk, kTickScale, Anchor::Right});
    if (l.vertical_names)  // its end just under the matrix
      sc.shapes.push_back(Text{{centre - 3.5 * kTickScale, below + text_width(names[i], kTickScale) / 2.0},
                               names[i], kInk, kTickScale, Anchor::Left, true});
    else
      sc.shapes.push_back(Text{{centre, below}, names[i], kInk, kTickScale, Anchor::Center});
  }
  const int names_h = l.vertical_names ? widest(names, kTickScale) : text_height(kTickScale);
  sc.shapes.push_back(Text{{l.left + side / 2.0, below + names_h + kGap}, "predicted", kInk, kLabelScale,
                           Anchor::Center});
  const double block_left = l.left + side - block_width(l, names);
  sc.shapes.push_back(Text{{block_left, l.top + side / 2.0}, "actual", kInk, kLabelScale, Anchor::Left, true});
  save_scene(sc, path);
}

void write_confusion_csv(const CountMatrix& counts, const std::vector<std::string>& names, const std::string& path) {
  check_matrix(counts, names);
  std::vector<std::vector<std::string>> rows(1, {"actual \\ predicted"});
  rows[0].insert(rows[0].end(), names.begin(), names.end());
  for (std::size_t a = 0; a < counts.size(); ++a) {
    std::vector<std::string>& row = rows.emplace_back(1, names[a]);
    for (int64_t c : counts[a]) row.push_back(std::to_string(c));
  }
  write_csv_rows(rows, path);
}

}  // namespace cyclone::report
