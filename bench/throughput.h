// Throughput table for the end-to-end benchmarks (training steps, the data
// loader): images/s next to a peer, with the same provenance header as
// bench/report.h and the same columns in $OUT/bench_results.csv (rate = images/s).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "bench/harness.h"

namespace cyclone::bench {

struct ThroughputRow {
  std::string impl;      // e.g. "cyclone", "pytorch 1.13"
  std::string workload;  // e.g. "resnet20 train step"
  std::string setup;     // e.g. "b128, 2 threads"
  double images = 0;     // images per timed run
  double gflop = 0;      // napkin GFLOP per timed run (0: not counted)
  Stats time;
  double peer_pct = -1;  // our images/s as % of the peer's; < 0: none
  std::string check;
  double images_per_s() const { return time.median_ms > 0 ? images / (time.median_ms * 1e-3) : 0; }
  double gflops() const { return time.median_ms > 0 ? gflop / (time.median_ms * 1e-3) : 0; }
};

class ThroughputReport {
 public:
  ThroughputReport(std::string bench, std::string card, std::string peer_label)
      : bench_(std::move(bench)), card_(std::move(card)), date_(today()), commit_(git_commit()),
        peer_label_(std::move(peer_label)) {
    if (const char* out = std::getenv("OUT"); out && *out) csv_path_ = std::string(out) + "/bench_results.csv";
  }

  void print_header() const {
    std::printf("%s | card: %s | date: %s | commit: %s\n", bench_.c_str(), card_.c_str(), date_.c_str(),
                commit_.c_str());
    std::printf("images/s and GFLOP/s use the median time of one run\n");
    std::printf("%-14s %-24s %-20s %10s %9s %10s %8s %9s  %s\n", "impl", "workload", "setup", "median ms", "min ms",
                "images/s", "GFLOP/s", peer_label_.c_str(), "check");
    std::fflush(stdout);
  }

  void add(const ThroughputRow& r) {
    rows_.push_back(r);
    std::printf("%-14s %-24s %-20s %10.3f %9.3f %10.0f %8s %9s  %s\n", r.impl.c_str(), r.workload.c_str(),
                r.setup.c_str(), r.time.median_ms, r.time.min_ms, r.images_per_s(), gflops_text(r).c_str(), pct(r).c_str(),
                r.check.c_str());
    std::fflush(stdout);
    append_csv(r);
  }

  void print_markdown() const {
    std::printf("\nmarkdown (%s, %s, %s, commit %s):\n\n", bench_.c_str(), card_.c_str(), date_.c_str(),
                commit_.c_str());
    std::printf("| impl | workload | setup | median ms | min ms | images/s | GFLOP/s | %s | check |\n",
                peer_label_.c_str());
    std::printf("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (const ThroughputRow& r : rows_) {
      std::printf("| %s | %s | %s | %.3f | %.3f | %.0f | %s | %s | %s |\n", r.impl.c_str(), r.workload.c_str(),
                  r.setup.c_str(), r.time.median_ms, r.time.min_ms, r.images_per_s(), gflops_text(r).c_str(),
                  pct(r).c_str(), r.check.c_str());
    }
    std::fflush(stdout);
  }

 private:
  static std::string gflops_text(const ThroughputRow& r) {
    if (r.gflop <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", r.gflops());
    return buf;
  }
  static std::string pct(const ThroughputRow& r) {
    if (r.peer_pct < 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", r.peer_pct);
    return buf;
  }
  static std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }

  // Same columns as Report's CSV: kernel = impl, size = workload + setup, rate = images/s.
  void append_csv(const ThroughputRow& r) const {
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
    std::snprintf(nums, sizeof nums, "%.4f,0,%.5f,%.5f,%d,%.2f,images/s,0", r.gflop, r.time.median_ms,
                  r.time.min_ms, r.time.runs, r.images_per_s());
    out << quoted(bench_) << ',' << quoted(card_) << ',' << date_ << ',' << quoted(commit_) << ',' << quoted(r.impl)
        << ',' << quoted(r.workload + " " + r.setup) << ',' << nums << ',' << quoted(peer_label_) << ','
        << (r.peer_pct < 0 ? std::string() : std::to_string(r.peer_pct)) << ',' << quoted(r.check) << '\n';
  }

  std::string bench_, card_, date_, commit_, peer_label_;
  std::string csv_path_;
  std::vector<ThroughputRow> rows_;
};

}  // namespace cyclone::bench
