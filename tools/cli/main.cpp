// cyclone: the command-line front door (lr-find, train, finetune, eval, interpret,
// schedule, info, verify). Any error becomes one line on stderr (and a JSON object under
// --json), with exit status 2 for a bad command line and 1 for anything else.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "option_checks.h"

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
  add(cyclone::cli::add_interpret);
  add(cyclone::cli::add_schedule);
  add(cyclone::cli::add_info);
  add(cyclone::cli::add_verify);
  // Errors are one line on stderr, and with --json also a JSON object as stdout's last line.
  const bool json = std::find_if(argv + 1, argv + argc, [](const char* a) { return std::strcmp(a, "--json") == 0; }) !=
                    argv + argc;
  auto fail = [&](const std::string& message, int status) {
    std::fprintf(stderr, "cyclone: error: %s\n", message.c_str());
    if (json) {
      std::string command;
      for (auto& [sub, run] : runners) {
        if (sub->parsed()) command = sub->get_name();
      }
      nlohmann::json j{{"error", message}, {"status", status}};
      j["command"] = command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command);
      std::printf("%s\n", j.dump().c_str());
    }
    return status;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(cyclone::cli::parse_error_message(e), 2);
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  return 0;
}
