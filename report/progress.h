// Progress bars for training loops: redrawn in place on a terminal, printed as
// periodic full lines in logs, or silent; nestable (a batch bar under an epoch bar).
#pragma once

#include <cstdint>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

namespace cyclone::report {

// Extra name=value pairs shown after the bar, e.g. {{"loss", "0.532"}, {"lr", "1.2e-03"}}.
using ProgressFields = std::vector<std::pair<std::string, std::string>>;

// "mm:ss", or "h:mm:ss" from one hour on; "--:--" when unknown (negative, NaN, Inf).
std::string format_duration(double seconds);

// Items per second as "12.3 it/s", or "4.20 s/it" when slower than one per second.
std::string format_rate(double items_per_second, const std::string& unit = "it");

// Field values as the training and LR-finder bars show them: the lr in scientific notation
// ("1.23e-05", since a range test sweeps 8 decades), the loss with 4 decimals ("0.5321").
std::string format_lr(double lr);
std::string format_loss(double loss);

struct ProgressOptions {
  double plain_every_percent = 10;  // Plain: print on crossing each multiple of this
  double plain_every_seconds = 30;  // Plain: and at least this often
  double tty_min_interval = 0.1;    // Tty: at most one redraw per interval
  int bar_width = 20;
  std::string unit = "it";
};

class ProgressBar {
 public:
  enum class Mode {
    Auto,   // Tty when `out` is std::cout/cerr/clog attached to a terminal, else Plain
    Tty,    // one line redrawn in place with \r and erase-to-end-of-line
    Plain,  // a full line every `plain_every_percent` % or `plain_every_seconds`
    Quiet   // prints nothing
  };
  using Clock = std::function<double()>;  // seconds, monotonic

  using Options = ProgressOptions;

  // total <= 0 means unknown: no percentage, bar or ETA. An empty clock uses
  // std::chrono::steady_clock.
  ProgressBar(std::string label, std::int64_t total, std::ostream& out = std::cout,
              Mode mode = Mode::Auto, Clock clock = {}, Options options = {});

  // A bar nested under `parent`, sharing its stream, mode, clock and options.
  // On a terminal it is drawn on the line below the parent and erased when it
  // finishes; in Plain mode its lines are indented. It must finish (or be
  // destroyed) before the parent.
  ProgressBar(ProgressBar& parent, std::string label, std::int64_t total);

  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();  // finishes the bar if finish() was not called

  // Records progress (`done` items of `total`) and prints if this mode's
  // rules say so. Ignored after finish().
  void update(std::int64_t done, const ProgressFields& fields = {});

  // Prints the final state (unless it was just printed) and ends the line.
  // Without fields, the last update's fields are shown.
  void finish();
  void finish(const ProgressFields& fields);

  // The status text for `done` at the clock's current time, e.g.
  // "train  50%|##########          |  50/100 [00:05<00:05, 10.00 it/s] loss=0.500".
  std::string line(std::int64_t done, const ProgressFields& fields) const;

  Mode mode() const { return mode_; }

 private:
  void print();
  void draw_tty();
  void move_lines_below(int delta);

  std::string label_;
  std::int64_t total_;
  std::ostream& out_;
  Mode mode_;
  Clock clock_;
  Options opt_;
  ProgressBar* parent_ = nullptr;
  int depth_ = 0;
  int lines_below_ = 0;  // Tty: active nested bars drawn under this one
  double start_ = 0, last_print_time_ = 0;
  std::int64_t done_ = 0, last_printed_done_ = -1;
  long long last_bucket_ = 0;
  ProgressFields fields_, last_printed_fields_;
  bool drawn_ = false, finished_ = false;
};

}  // namespace cyclone::report
