// cyclone: the command-line front door (lr-find, train, finetune, eval,
// schedule, info, verify). Any error becomes one line on stderr and exit status 1.
#include <cstdio>
#include <exception>
#include <map>

#include "commands.h"
#include "common.h"

int main(int argc, char** argv) {
  cyclone::cli::set_command_line(argc, argv);
  CLI::App app{"cyclone: train and fine-tune small CNNs, with learning-rate tooling"};
  app.require_subcommand(1);
  std::map<CLI::App*, cyclone::cli::Runner> runners;
  auto add = [&](cyclone::cli::Runner (*fn)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    cyclone::cli::Runner r = fn(app);
    runners[app.get_subcommands({})[before]] = r;
  };
  add(cyclone::cli::add_lr_find);
  add(cyclone::cli::add_train);
  add(cyclone::cli::add_finetune);
  add(cyclone::cli::add_eval);
  add(cyclone::cli::add_schedule);
  add(cyclone::cli::add_info);
  add(cyclone::cli::add_verify);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cyclone: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
