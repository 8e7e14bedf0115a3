// Progress bar drawing: status line formatting, Plain-mode print rules, and
// in-place terminal redraws with ANSI cursor movement for nested bars.
#include "report/progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace cyclone::report {
namespace {

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

bool is_terminal(const std::ostream& out) {
  int fd = -1;
  if (&out == &std::cout) fd = STDOUT_FILENO;
  else if (&out == &std::cerr || &out == &std::clog) fd = STDERR_FILENO;
  if (fd < 0 || !::isatty(fd)) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long long s = std::llround(seconds);
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s % 3600) / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string format_lr(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", lr);
  return buf;
}

std::string format_loss(double loss) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", loss);
  return buf;
}

std::string format_rate(double per_second, const std::string& unit) {
  if (!std::isfinite(per_second) || per_second <= 0) return "? " + unit + "/s";
  char buf[48];
  if (per_second < 1) {
    std::snprintf(buf, sizeof buf, "%.2f s/", 1 / per_second);
    return buf + unit;
  }
  const char* fmt = per_second < 10 ? "%.2f " : per_second < 100 ? "%.1f " : "%.0f ";
  std::snprintf(buf, sizeof buf, fmt, per_second);
  return buf + unit + "/s";
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::ostream& out, Mode mode,
                         Clock clock, Options options)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      mode_(mode),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      opt_(std::move(options)) {
  if (!(opt_.plain_every_percent > 0) || !(opt_.plain_every_seconds > 0) || opt_.bar_width < 0)
    throw std::invalid_argument("ProgressBar '" + label_ +
                                "': plain_every_percent and plain_every_seconds must be > 0, "
                                "bar_width >= 0");
  if (mode_ == Mode::Auto) mode_ = is_terminal(out_) ? Mode::Tty : Mode::Plain;
  start_ = last_print_time_ = clock_();
}

ProgressBar::ProgressBar(ProgressBar& parent, std::string label, std::int64_t total)
    : ProgressBar(std::move(label), total, parent.out_, parent.mode_, parent.clock_, parent.opt_) {
  parent_ = &parent;
  depth_ = parent.depth_ + 1;
  if (mode_ == Mode::Tty) {
    if (!parent.drawn_) parent.draw_tty();
    out_ << '\n';  // this bar lives on the line below the parent
    move_lines_below(+1);
  }
}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {  // a destructor must not throw; the stream state is the user's
  }
}

void ProgressBar::move_lines_below(int delta) {
  for (ProgressBar* p = parent_; p; p = p->parent_) p->lines_below_ += delta;
}

std::string ProgressBar::line(std::int64_t done, const ProgressFields& fields) const {
  const double elapsed = clock_() - start_;
  const double rate = elapsed > 0 ? double(done) / elapsed : 0;
  std::string s(label_);
  if (!s.empty()) s += ' ';
  char buf[96];
  if (total_ > 0) {
    const std::int64_t clamped = std::clamp<std::int64_t>(done, 0, total_);
    const int filled = static_cast<int>(clamped * opt_.bar_width / total_);
    const int digits = static_cast<int>(std::to_string(total_).size());
    std::snprintf(buf, sizeof buf, "%3d%%|", static_cast<int>(clamped * 100 / total_));
    s += buf + std::string(filled, '#') + std::string(opt_.bar_width - filled, ' ') + "| ";
    std::snprintf(buf, sizeof buf, "%*lld/%lld", digits, static_cast<long long>(done),
                  static_cast<long long>(total_));
    s += buf;
    const double eta = done >= total_ ? 0 : rate > 0 ? double(total_ - done) / rate : -1;
    s += " [" + format_duration(elapsed) + "<" + format_duration(eta) + ", " +
         format_rate(rate, opt_.unit) + "]";
  } else {
    s += std::to_string(done) + " " + opt_.unit + " [" + format_duration(elapsed) + ", " +
         format_rate(rate, opt_.unit) + "]";
  }
  for (const auto& [name, value] : fields) s += " " + name + "=" + value;
  return s;
}

void ProgressBar::update(std::int64_t done, const ProgressFields& fields) {
  if (finished_ || mode_ == Mode::Quiet) return;
  done_ = done;
  fields_ = fields;
  const double now = clock_();
  if (mode_ == Mode::Tty) {
    if (!drawn_ || (total_ > 0 && done >= total_) || now - last_print_time_ >= opt_.tty_min_interval)
      draw_tty();
    return;
  }
  if (done == last_printed_done_) return;
  bool due = now - last_print_time_ >= opt_.plain_every_seconds;
  if (total_ > 0) {
    const double pct = 100.0 * double(std::min(done, total_)) / double(total_);
    const auto bucket = static_cast<long long>(std::floor(pct / opt_.plain_every_percent + 1e-9));
    if (bucket > last_bucket_ || done >= total_) due = true;
    if (due) last_bucket_ = bucket;
  }
  if (due) print();
}

void ProgressBar::finish() { finish(fields_); }

void ProgressBar::finish(const ProgressFields& fields) {
  if (finished_) return;
  finished_ = true;
  fields_ = fields;
  if (mode_ == Mode::Quiet) return;
  if (mode_ == Mode::Tty) {
    if (parent_) {
      out_ << "\r\x1b[K\x1b[1A";  // erase this line, back to the parent's line
      move_lines_below(-1);
    } else {
      draw_tty();
      out_ << '\n';
    }
    out_.flush();
    return;
  }
  if (done_ != last_printed_done_ || fields_ != last_printed_fields_) print();
}

void ProgressBar::print() {
  out_ << std::string(2 * depth_, ' ') << line(done_, fields_) << '\n';
  out_.flush();
  last_printed_done_ = done_;
  last_printed_fields_ = fields_;
  last_print_time_ = clock_();
}

void ProgressBar::draw_tty() {
  const std::string text = line(done_, fields_);
  if (lines_below_ > 0) {
    // Nested bars are drawn below: go up to this line, redraw, come back.
    const std::string n = std::to_string(lines_below_);
    out_ << "\x1b[" << n << "A\r" << text << "\x1b[K\x1b[" << n << "B\r";
  } else {
    out_ << '\r' << text << "\x1b[K";
  }
  out_.flush();
  drawn_ = true;
  last_print_time_ = clock_();
}

}  // namespace cyclone::report
