// The LR finder's picture: framed to show the lowest raw losses and the whole smoothed
// curve, with every suggestion a marked point on the curve and its value in the legend.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "schedules/lr_finder_math.h"
#include "train/lr_finder.h"

using namespace cyclone;

TEST_CASE("lr_find_plot frames the lowest raw loss and the whole smoothed curve, and marks each suggestion") {
  train::LrFindResult r;
  r.num_it = 60;
  schedules::SmoothedLoss smooth(0.98, 4.0);
  for (int i = 0; i < 60; ++i) {
    const double lr = 1e-7 * std::pow(1e8, i / 59.0);
    // Flat at 2.3, a deep dip to 0.9 around lr 0.1 (far below the lagging smoothed curve), then up.
    const double loss = 2.3 - 1.4 * std::exp(-std::pow(std::log10(lr) + 1, 2) / 0.3) + (i > 55 ? 2.0 * (i - 55) : 0);
    r.lrs.push_back(lr);
    r.losses.push_back(loss);
    r.smoothed.push_back(smooth.update(loss));
  }
  r.suggestions = schedules::suggest_all({r.lrs, r.losses, r.smoothed, r.num_it});
  const report::PlotSpec p = train::lr_find_plot(r, "edge");
  const double lowest_raw = *std::min_element(r.losses.begin(), r.losses.end());
  const double highest_smoothed = *std::max_element(r.smoothed.begin(), r.smoothed.end());
  REQUIRE(p.y_min.has_value());
  REQUIRE(p.y_max.has_value());
  CHECK(*p.y_min < lowest_raw);  // the dip, the region to read, is in the frame
  CHECK(*p.y_max > highest_smoothed);
  CHECK(p.log_x);
  CHECK(p.markers.empty());  // no label lines to collide: the values are in the legend
  REQUIRE(p.highlights.size() == r.suggestions.size());
  for (size_t k = 0; k < r.suggestions.size(); ++k) {
    const auto& s = r.suggestions[k];
    const report::Highlight& h = p.highlights[k];
    char value[32];
    std::snprintf(value, sizeof value, "%.1e", s.suggestion.lr);
    CHECK(h.label == s.rule + " " + value + (s.rule == "edge" ? " (used)" : ""));
    CHECK(h.x == s.suggestion.lr);
    // On the smoothed curve, at the point nearest the suggested lr.
    size_t nearest = 0;
    for (size_t i = 1; i < r.lrs.size(); ++i) {
      if (std::abs(std::log(r.lrs[i] / h.x)) < std::abs(std::log(r.lrs[nearest] / h.x))) nearest = i;
    }
    CHECK(h.y == r.smoothed[nearest]);
  }
}
