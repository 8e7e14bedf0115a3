// The LR range test's options and run, shared by lr-find and train (tools/cli internal).
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "common.h"
#include "train/lr_finder.h"

namespace cyclone::cli {

struct LrFindArgs {
  double start_lr = 1e-7, end_lr = 10;
  int64_t num_it = 100;
};

void add_lr_find_options(CLI::App& app, LrFindArgs& a);
// The sweep's range, before anything runs.
void check_sweep(const LrFindArgs& a);
// Runs the range test on the session's Learner, writes OUT/lr_find.csv and .png (`chosen`
// named "(used)") and prints the summary.
train::LrFindResult run_lr_find(Session& s, const Common& c, const LrFindArgs& a, const std::string& chosen);
// A range test cut short by SIGINT or SIGTERM: says so (and puts it in `j`), returns the status.
int range_test_interrupted(const Common& c, const train::LrFindResult& r, nlohmann::json j);

}  // namespace cyclone::cli
