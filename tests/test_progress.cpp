// Tests for report/progress: exact status lines and print counts under a fake
// clock, in Plain, Tty, Quiet and nested use.
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "report/progress.h"

using namespace cyclone::report;
using Mode = ProgressBar::Mode;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

std::string loss_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

TEST_CASE("format_duration and format_rate known answers") {
  CHECK(format_duration(0) == "00:00");
  CHECK(format_duration(5) == "00:05");
  CHECK(format_duration(65) == "01:05");
  CHECK(format_duration(59.6) == "01:00");
  CHECK(format_duration(3599) == "59:59");
  CHECK(format_duration(3600) == "1:00:00");
  CHECK(format_duration(90061) == "25:01:01");
  CHECK(format_duration(-1) == "--:--");
  CHECK(format_duration(std::numeric_limits<double>::infinity()) == "--:--");
  CHECK(format_rate(10) == "10.0 it/s");
  // The bars' field values: a range test's first lrs must not print as 0.000000.
  CHECK(format_lr(1e-7) == "1.00e-07");
  CHECK(format_lr(0.5722) == "5.72e-01");
  CHECK(format_loss(2.3456789) == "2.3457");
  CHECK(format_rate(2.5) == "2.50 it/s");
  CHECK(format_rate(1234.4, "img") == "1234 img/s");
  CHECK(format_rate(0.25) == "4.00 s/it");
  CHECK(format_rate(0) == "? it/s");
}

TEST_CASE("Plain mode prints every 10% with exact lines") {
  std::ostringstream out;
  double t = 0;
  ProgressBar bar("train", 100, out, Mode::Plain, [&] { return t; });
  for (int i = 1; i <= 100; ++i) {
    t = 0.1 * i;
    bar.update(i, {{"loss", loss_text(1 - i / 200.0)}, {"lr", "1.2e-03"}});
  }
  bar.finish();
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 10);
  CHECK(lines[0] == "train  10%|##                  |  10/100 [00:01<00:09, 10.0 it/s] loss=0.950 lr=1.2e-03");
  CHECK(lines[4] == "train  50%|##########          |  50/100 [00:05<00:05, 10.0 it/s] loss=0.750 lr=1.2e-03");
  CHECK(lines[9] == "train 100%|####################| 100/100 [00:10<00:00, 10.0 it/s] loss=0.500 lr=1.2e-03");
  CHECK(bar.mode() == Mode::Plain);
}

TEST_CASE("Plain mode also prints every K seconds") {
  std::ostringstream out;
  double t = 0;
  ProgressOptions opt;
  opt.plain_every_percent = 50;
  opt.plain_every_seconds = 30;
  ProgressBar bar("", 1000, out, Mode::Plain, [&] { return t; }, opt);
  for (int i = 1; i <= 1000; ++i) {
    t = i;  // one item per second
    bar.update(i);
  }
  bar.finish();
  // Every 30 s up to 480, the 50% line at 500, every 30 s from 530 to 980, and 100%.
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 16 + 1 + 16 + 1);
  CHECK(lines[0] == "  3%|                    |   30/1000 [00:30<16:10, 1.00 it/s]");
  CHECK(lines[16] == " 50%|##########          |  500/1000 [08:20<08:20, 1.00 it/s]");
}

TEST_CASE("finish prints the final state once, with new fields") {
  std::ostringstream out;
  double t = 0;
  ProgressBar bar("epoch", 3, out, Mode::Plain, [&] { return t; });
  t = 2;
  bar.update(3);
  bar.finish({{"val_loss", "0.41"}});
  bar.finish();
  bar.update(1);  // ignored after finish
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] == "epoch 100%|####################| 3/3 [00:02<00:00, 1.50 it/s] val_loss=0.41");
}

TEST_CASE("Quiet prints nothing") {
  std::ostringstream out;
  double t = 0;
  {
    ProgressBar bar("train", 10, out, Mode::Quiet, [&] { return t; });
    ProgressBar inner(bar, "batch", 5);
    for (int i = 1; i <= 10; ++i) {
      t = i;
      inner.update(i / 2, {{"loss", "1"}});
      bar.update(i);
    }
    inner.finish();
    bar.finish();
  }
  CHECK(out.str().empty());
}

TEST_CASE("Auto mode on a string stream is Plain") {
  std::ostringstream out;
  ProgressBar bar("x", 2, out);
  CHECK(bar.mode() == Mode::Plain);
}

TEST_CASE("unknown total shows count, elapsed and rate only") {
  std::ostringstream out;
  double t = 0;
  ProgressBar bar("read", 0, out, Mode::Plain, [&] { return t; });
  t = 2;
  bar.update(42);
  CHECK(bar.line(42, {}) == "read 42 it [00:02, 21.0 it/s]");
  bar.finish();
  CHECK(out.str() == "read 42 it [00:02, 21.0 it/s]\n");
}

TEST_CASE("Tty mode redraws in place and throttles") {
  std::ostringstream out;
  double t = 0;
  ProgressOptions opt;
  opt.bar_width = 4;
  ProgressBar bar("x", 2, out, Mode::Tty, [&] { return t; }, opt);
  t = 1;
  bar.update(1);
  t = 1.05;
  bar.update(1, {{"loss", "9"}});  // within 0.1 s of the last draw: skipped
  t = 2;
  bar.update(2);
  bar.finish();
  CHECK(out.str() ==
        "\rx  50%|##  | 1/2 [00:01<00:01, 1.00 it/s]\x1b[K"
        "\rx 100%|####| 2/2 [00:02<00:00, 1.00 it/s]\x1b[K"
        "\rx 100%|####| 2/2 [00:02<00:00, 1.00 it/s]\x1b[K\n");
}

TEST_CASE("nested bars: Tty uses the line below, Plain indents") {
  double t = 0;
  SUBCASE("tty") {
    std::ostringstream out;
    ProgressOptions opt;
    opt.bar_width = 2;
    ProgressBar epochs("e", 2, out, Mode::Tty, [&] { return t; }, opt);
    {
      ProgressBar batches(epochs, "b", 2);
      t = 1;
      batches.update(1);
      epochs.update(0, {{"acc", "0.1"}});
      batches.finish();
    }
    t = 2;
    epochs.update(1);
    const std::string s = out.str();
    // The parent line is drawn first, the child goes below it.
    CHECK(s.rfind("\re   0%|  | 0/2 [00:00<--:--, ? it/s]\x1b[K\n\rb  50%", 0) == 0);
    // Parent redraw while the child is active: up one line and back down.
    CHECK(count(s, "\x1b[1A\re   0%|  | 0/2 [00:01<--:--, ? it/s] acc=0.1\x1b[K\x1b[1B\r") == 1);
    // The child erases itself and returns to the parent's line.
    CHECK(count(s, "\r\x1b[K\x1b[1A\re  50%|# | 1/2") == 1);
  }
  SUBCASE("plain") {
    std::ostringstream out;
    ProgressOptions opt;
    opt.plain_every_percent = 50;
    ProgressBar epochs("epoch", 2, out, Mode::Plain, [&] { return t; }, opt);
    for (int e = 0; e < 2; ++e) {
      ProgressBar batches(epochs, "batch", 4);
      for (int b = 1; b <= 4; ++b) {
        t += 1;
        batches.update(b);
      }
      batches.finish();
      epochs.update(e + 1);
    }
    epochs.finish();
    const auto lines = lines_of(out.str());
    REQUIRE(lines.size() == 6);  // per epoch: 2 batch lines (50%, 100%), 1 epoch line
    CHECK(lines[0] == "  batch  50%|##########          | 2/4 [00:02<00:02, 1.00 it/s]");
    CHECK(lines[2] == "epoch  50%|##########          | 1/2 [00:04<00:04, 4.00 s/it]");
    CHECK(lines[5].rfind("epoch 100%", 0) == 0);
  }
}
