// Tests for train/interpret (confusion matrix, most confused pairs, top losses) against known
// answers and an independent pass over the validation set, and for the pictures it draws
// (report/confusion, report/image_grid), read back pixel by pixel.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nn/functional.h"
#include "report/confusion.h"
#include "report/image_grid.h"
#include "test_learner_helpers.h"
#include "test_png_reader.h"
#include "train/interpret.h"

using namespace cyclone;
using cyclone::learner_fixture::loader;
using cyclone::learner_fixture::synth;
using cyclone::learner_fixture::tmp;
using report::Rgb;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Six images of three classes whose predictions are known: rows are probabilities.
train::Interpretation known_case() {
  const std::vector<float> probs = {
      0.7f, 0.2f, 0.1f,  // 0: actual 0, predicted 0
      0.1f, 0.6f, 0.3f,  // 1: actual 0, predicted 1
      0.2f, 0.5f, 0.3f,  // 2: actual 0, predicted 1
      0.1f, 0.1f, 0.8f,  // 3: actual 1, predicted 2
      0.3f, 0.3f, 0.4f,  // 4: actual 2, predicted 2
      0.5f, 0.4f, 0.1f,  // 5: actual 2, predicted 0
  };
  return train::Interpretation(from_vector(probs, {6, 3}), {0, 0, 0, 1, 2, 2});
}

}  // namespace

TEST_CASE("Interpretation of known probabilities: predictions, confusion matrix, accuracy") {
  const train::Interpretation it = known_case();
  CHECK(it.class_names() == std::vector<std::string>{"0", "1", "2"});
  CHECK(it.predictions() == std::vector<int64_t>{0, 1, 1, 2, 2, 0});
  CHECK(it.confusion_matrix() == report::CountMatrix{{1, 2, 0}, {0, 0, 1}, {1, 0, 1}});
  CHECK(it.correct() == 2);
  CHECK(it.accuracy() == doctest::Approx(2.0 / 6.0));
  CHECK(it.losses()[3] == doctest::Approx(-std::log(0.1)));
  CHECK_THROWS_AS(train::Interpretation(from_vector(std::vector<float>(6, 0.5f), {3, 2}), {0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(train::Interpretation(from_vector(std::vector<float>(4, 0.5f), {2, 2}), {0, 2}), std::invalid_argument);
  CHECK_THROWS_AS(train::Interpretation(from_vector(std::vector<float>(4, 0.5f), {2, 2}), {0, 1}, {"a", "b", "c"}),
                  std::invalid_argument);
}

TEST_CASE("most_confused: off-diagonal cells by count, ties in row-major order, at least min_count") {
  const train::Interpretation it = known_case();
  using P = train::ConfusedPair;
  CHECK(it.most_confused() == std::vector<P>{{0, 1, 2}, {1, 2, 1}, {2, 0, 1}});
  CHECK(it.most_confused(2) == std::vector<P>{{0, 1, 2}});
  CHECK(it.most_confused(3).empty());
  CHECK(it.most_confused(0) == it.most_confused(1));  // a pair never confused is not listed
}

TEST_CASE("top_losses: the highest -log p(actual) first, with the prediction and its probability") {
  const train::Interpretation it = known_case();
  const std::vector<train::TopLoss> top = it.top_losses(3);
  REQUIRE(top.size() == 3);
  // Losses: -log of 0.7, 0.1, 0.2, 0.1, 0.4, 0.1: rows 1, 3 and 5 tie at -log 0.1, by index.
  for (int i = 0; i < 3; ++i) {
    CHECK(top[i].index == 2 * i + 1);
    CHECK(top[i].loss == doctest::Approx(-std::log(0.1)));
  }
  CHECK(top[0].actual == 0);
  CHECK(top[0].predicted == 1);
  CHECK(top[0].probability == doctest::Approx(0.6));
  CHECK(top[2].predicted == 0);
  CHECK(top[2].probability == doctest::Approx(0.5));
  CHECK(it.top_losses(4).back().index == 2);
  CHECK(it.top_losses(100).size() == 6);
}

TEST_CASE("from_learner: counts and losses equal an independent pass over a shuffled validation set") {
  manual_seed(5);
  train::LearnerOptions o;
  o.quiet = true;
  auto valid_set = synth(96, 2);
  train::Learner learner(nn::make_model("smallcnn"), loader(synth(64, 1), true), loader(valid_set, true), o);
  learner.fit_one_cycle(1, {0.05});
  const train::Interpretation it = train::Interpretation::from_learner(learner);
  REQUIRE(it.size() == 96);
  CHECK(it.class_names() == valid_set->class_names);

  // Per-image cross-entropy and argmax in dataset order, from the logits of an unshuffled pass.
  NoGradGuard no_grad;
  learner.model().eval();
  auto plain = loader(valid_set, false);
  std::vector<float> ce;
  std::vector<int64_t> argmax;
  plain->start_epoch(0);
  while (auto b = plain->next()) {
    const Tensor logits = learner.model().forward(b->x);
    for (float v : nn::functional::cross_entropy(logits, b->y, nn::functional::Reduction::None).to_vector<float>())
      ce.push_back(v);
    const std::vector<float> l = logits.to_vector<float>();
    for (size_t r = 0; r < l.size() / 10; ++r)
      argmax.push_back(std::max_element(l.begin() + r * 10, l.begin() + (r + 1) * 10) - (l.begin() + r * 10));
  }
  learner.model().train();
  report::CountMatrix want(10, std::vector<int64_t>(10, 0));
  for (int64_t i = 0; i < 96; ++i) ++want[valid_set->labels[i]][argmax[i]];
  CHECK(it.confusion_matrix() == want);
  CHECK(it.accuracy() == doctest::Approx(learner.validate().accuracy));

  const std::vector<train::TopLoss> top = it.top_losses(96);
  REQUIRE(top.size() == 96);
  for (size_t j = 0; j < top.size(); ++j) {
    CHECK(top[j].loss == doctest::Approx(ce[top[j].index]).epsilon(1e-4));
    CHECK(top[j].actual == valid_set->labels[top[j].index]);
    CHECK(top[j].predicted == argmax[top[j].index]);
    if (j > 0) CHECK(top[j].loss <= top[j - 1].loss);
  }
  CHECK(top[0].loss == doctest::Approx(*std::max_element(ce.begin(), ce.end())).epsilon(1e-4));

  // The top losses picture shows the images of the set: the first tile's pixels are image top[0].
  const std::string path = tmp("top_losses.png");
  train::save_top_losses(it, *valid_set, 4, path);
  const std::vector<report::ImageTile> tiles = train::top_loss_tiles(it, *valid_set, 4);
  REQUIRE(tiles.size() == 4);
  char numbers[64];
  std::snprintf(numbers, sizeof numbers, "%.2f / %.2f", top[0].loss, top[0].probability);
  CHECK(tiles[0].caption == std::vector<std::string>{"class" + std::to_string(top[0].predicted) + "/class" +
                                                         std::to_string(top[0].actual), numbers});
  const report::ImageGridLayout l = report::layout_image_grid(tiles, train::kTopLossesTitle);
  const test::Image img = test::load_png(path);
  CHECK(img.w == l.width);
  CHECK(img.h == l.height);
  CHECK(l.zoom == 4);
  CHECK(l.columns == 2);
  const uint8_t* px = valid_set->image(top[0].index);
  for (int y : {0, 13, 27})
    for (int x : {0, 5, 27}) {
      const uint8_t v = px[y * 28 + x];
      CHECK(img.at(l.image_x(0) + x * 4 + 2, l.image_y(0) + y * 4 + 2) == Rgb{v, v, v});
    }
}

TEST_CASE("confusion heatmap: each cell shaded by its share of the row, with its count") {
  const report::CountMatrix counts = {{8, 2, 0}, {0, 5, 0}, {1, 1, 2}};
  const std::vector<std::string> names = {"cat", "dog", "bird"};
  CHECK(report::confusion_color(0) == Rgb{255, 255, 255});
  CHECK(report::confusion_color(1) == Rgb{28, 84, 156});
  const std::string path = tmp("confusion.png");
  report::save_confusion_plot(counts, names, "confusion matrix (validation, 19 images)", path);
  const report::ConfusionLayout l = report::layout_confusion(counts, names, "confusion matrix (validation, 19 images)");
  const test::Image img = test::load_png(path);
  REQUIRE(img.w == l.width);
  REQUIRE(img.h == l.height);
  for (int a = 0; a < 3; ++a) {
    const double total = double(counts[a][0] + counts[a][1] + counts[a][2]);
    for (int p = 0; p < 3; ++p) {
      const double x = l.left + p * l.cell, y = l.top + a * l.cell;
      const Rgb fill = report::confusion_color(double(counts[a][p]) / total);
      CHECK(img.at(x + 4, y + 4) == fill);
      CHECK(img.at(x + l.cell - 4, y + l.cell - 4) == fill);
      // The count is written in the middle: some pixels there are not the fill.
      int ink = 0;
      for (int dy = -8; dy <= 8; ++dy)
        for (int dx = -8; dx <= 8; ++dx) ink += !(img.at(x + l.cell / 2.0 + dx, y + l.cell / 2.0 + dy) == fill);
      CHECK(ink > 10);
    }
  }
  CHECK(img.at(l.left + l.cell + 4, l.top + l.cell + 4) == Rgb{28, 84, 156});  // dog: all 5 right
  CHECK(img.at(l.left + 2 * l.cell + 4, l.top + 4) == Rgb{255, 255, 255});     // cat as bird: none
  // Outside the matrix, left of the first row and under the last: the names, not cells.
  CHECK(img.at(l.left - 2, l.top + l.cell / 2.0) == Rgb{255, 255, 255});
  CHECK_THROWS_AS(report::save_confusion_plot({{1, 2}}, {"a"}, "", path), std::invalid_argument);
  CHECK_THROWS_AS(report::save_confusion_plot({{1}}, {"a", "b"}, "", path), std::invalid_argument);

  const std::string svg = tmp("confusion.svg");
  report::save_confusion_plot(counts, names, "m", svg);
  const std::string text = read_text(svg);
  CHECK(text.find(">predicted</text>") != std::string::npos);
  CHECK(text.find(">actual</text>") != std::string::npos);
  CHECK(text.find("fill=\"#1c549c\"") != std::string::npos);  // the dog row's full cell
}

TEST_CASE("confusion CSV: a header of class names, then a row of counts per actual class") {
  const std::string path = tmp("confusion.csv");
  report::write_confusion_csv({{3, 1}, {0, 4}}, {"cat", "a, b"}, path);
  CHECK(read_text(path) == "actual \\ predicted,cat,\"a, b\"\ncat,3,1\n\"a, b\",0,4\n");
}

TEST_CASE("image grid: grey and colour tiles scaled up by nearest neighbour, in ceil(sqrt(n)) columns") {
  report::ImageTile grey{1, 2, 2, {0, 100, 200, 255}, {"grey"}};
  report::ImageTile colour{3, 1, 2, {10, 20, 30, 40, 50, 60}, {"colour", "two lines"}};
  const std::string path = tmp("grid.png");
  report::save_image_grid({grey, colour}, "tiles", path, 4);
  const report::ImageGridLayout l = report::layout_image_grid({grey, colour}, "tiles", 4);
  const test::Image img = test::load_png(path);
  REQUIRE(img.w == l.width);
  REQUIRE(img.h == l.height);
  CHECK(l.columns == 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) {
      const uint8_t v = grey.pixels[y * 2 + x];
      for (int d : {0, 3}) CHECK(img.at(l.image_x(0) + 4 * x + d, l.image_y(0) + 4 * y + d) == Rgb{v, v, v});
    }
  CHECK(img.at(l.image_x(1) + 1, l.image_y(1) + 1) == Rgb{10, 30, 50});  // CHW: pixel 0 is (10, 30, 50)
  CHECK(img.at(l.image_x(1) + 5, l.image_y(1) + 2) == Rgb{20, 40, 60});
  CHECK(report::layout_image_grid(std::vector<report::ImageTile>(9, grey), "").columns == 3);
  CHECK(report::layout_image_grid(std::vector<report::ImageTile>(10, grey), "").columns == 4);
  report::ImageTile cifar{3, 32, 32, std::vector<uint8_t>(3 * 32 * 32), {}};
  CHECK(report::layout_image_grid({cifar}, "").zoom == 4);
  report::ImageTile bad{2, 2, 2, std::vector<uint8_t>(8), {}};
  CHECK_THROWS_AS(report::save_image_grid({bad}, "", path), std::invalid_argument);
  CHECK_THROWS_AS(report::save_image_grid({}, "", path), std::invalid_argument);

  const std::string svg = tmp("grid.svg");
  report::save_image_grid({grey, colour}, "tiles", svg, 4);
  const std::string text = read_text(svg);
  CHECK(text.find("<image x=\"" + std::to_string(l.image_x(0)) + "\" y=\"" + std::to_string(l.image_y(0)) +
                  "\" width=\"8\" height=\"8\"") != std::string::npos);
  CHECK(text.find("href=\"data:image/png;base64,iVBORw0KGgo") != std::string::npos);  // the PNG signature
}
