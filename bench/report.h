// The benchmark result table: one line per result on stdout, the same row
// appended to $OUT/bench_results.csv when OUT is set, and a markdown copy of the
// whole table at the end for docs/BENCHMARKS.md. Included by bench/harness.h.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "bench/harness.h"

namespace cyclone::bench {

struct Row {
  std::string kernel;  // e.g. "cyclone v3", "cuBLAS"
  std::string size;    // e.g. "4096^3"
  Work work;
  Stats time;
  double ratio_pct = -1;  // vs the peer or the peak (see Report's ratio label); < 0: none
  std::string check;      // validation outcome, e.g. "ok rel 2.1e-07 max 1.3e-07"
};

class Report {
 public:
  // rate_unit is "TFLOP/s" or "GFLOP/s"; ratio_label names the ratio column, e.g. "% cuBLAS".
  Report(std::string bench, std::string card, std::string rate_unit, std::string ratio_label)
      : bench_(std::move(bench)), card_(std::move(card)), date_(today()), commit_(git_commit()),
        unit_(std::move(rate_unit)), ratio_label_(std::move(ratio_label)),
        rate_scale_(unit_ == "TFLOP/s" ? 1e12 : 1e9) {
    if (const char* out = std::getenv("OUT"); out && *out) csv_path_ = std::string(out) + "/bench_results.csv";
  }

  void print_header() const {
    std::printf("%s | card: %s | date: %s | commit: %s\n", bench_.c_str(), card_.c_str(), date_.c_str(),
                commit_.c_str());
    std::printf("rates use the median; GB/s counts the fewest bytes (each input read once, C written once)\n");
    std::printf("%-14s %-8s %9s %9s %10s %9s %9s %8s %9s  %s\n", "kernel", "size", "GFLOP", "min MB", "median ms",
                "min ms", unit_.c_str(), "GB/s", ratio_label_.c_str(), "check");
    std::fflush(stdout);
  }

  void add(const Row& r) {
    rows_.push_back(r);
    const double rate = rate_of(r), gbps = r.work.bytes / (r.time.median_ms * 1e-3) / 1e9;
    std::printf("%-14s %-8s %9.2f %9.1f %10.3f %9.3f %9.2f %8.1f %9s  %s\n", r.kernel.c_str(), r.size.c_str(),
                r.work.flops / 1e9, r.work.bytes / 1e6, r.time.median_ms, r.time.min_ms, rate, gbps,
                ratio_text(r).c_str(), r.check.c_str());
    std::fflush(stdout);
    append_csv(r, rate, gbps);
  }

  void print_markdown() const {
    std::printf("\nmarkdown (%s, %s, %s, commit %s):\n\n", bench_.c_str(), card_.c_str(), date_.c_str(),
                commit_.c_str());
    std::printf("| kernel | size | median ms | min ms | %s | GB/s | %s | check |\n", unit_.c_str(),
                ratio_label_.c_str());
    std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (const Row& r : rows_) {
      std::printf("| %s | %s | %.3f | %.3f | %.2f | %.1f | %s | %s |\n", r.kernel.c_str(), r.size.c_str(),
                  r.time.median_ms, r.time.min_ms, rate_of(r), r.work.bytes / (r.time.median_ms * 1e-3) / 1e9,
                  ratio_text(r).c_str(), r.check.c_str());
    }
    std::fflush(stdout);
  }

  const std::string& commit() const { return commit_; }

 private:
  double rate_of(const Row& r) const { return r.work.flops / (r.time.median_ms * 1e-3) / rate_scale_; }
  static std::string ratio_text(const Row& r) {
    if (r.ratio_pct < 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", r.ratio_pct);
    return buf;
  }
  static std::string csv_field(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }

  void append_csv(const Row& r, double rate, double gbps) const {
    if (csv_path_.empty()) return;
    const bool fresh = !std::ifstream(csv_path_).good();
    std::ofstream out(csv_path_, std::ios::app);
    if (!out) {
      std::fprintf(stderr, "bench: cannot write %s (results only on stdout)\n", csv_path_.c_str());
      return;
    }
    if (fresh) {
      out << "bench,card,date,commit,kernel,size,gflop,min_mb,median_ms,min_ms,runs,rate,rate_unit,gb_per_s,"
             "ratio_label,ratio_pct,check\n";
    }
    char nums[256];
    std::snprintf(nums, sizeof nums, "%.4f,%.3f,%.5f,%.5f,%d,%.4f,%s,%.2f", r.work.flops / 1e9, r.work.bytes / 1e6,
                  r.time.median_ms, r.time.min_ms, r.time.runs, rate, unit_.c_str(), gbps);
    out << csv_field(bench_) << ',' << csv_field(card_) << ',' << date_ << ',' << csv_field(commit_) << ','
        << csv_field(r.kernel) << ',' << csv_field(r.size) << ',' << nums << ',' << csv_field(ratio_label_) << ','
        << (r.ratio_pct < 0 ? std::string() : std::to_string(r.ratio_pct)) << ',' << csv_field(r.check) << '\n';
  }

  std::string bench_, card_, date_, commit_, unit_, ratio_label_;
  double rate_scale_;
  std::string csv_path_;
  std::vector<Row> rows_;
};

}  // namespace cyclone::bench
