// Tests for the interpretation pictures (report/confusion, report/image_grid): a heatmap's
// cell colours and an image grid's pixels read back from the PNG, the SVG and the CSV.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/confusion.h"
#include "report/image_grid.h"
#include "test_learner_helpers.h"
#include "test_png_reader.h"

using namespace cyclone;
using cyclone::learner_fixture::tmp;
using report::Rgb;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

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
