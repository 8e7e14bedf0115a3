// The `cyclone` subcommands; each registers itself on the app and runs when chosen
// (lr_find.cpp, train.cpp, eval.cpp, finetune.cpp, interpret.cpp, verify.cpp, commands.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace cyclone::cli {

using Runner = std::function<int()>;
Runner add_lr_find(CLI::App& app);
Runner add_train(CLI::App& app);
Runner add_finetune(CLI::App& app);
Runner add_eval(CLI::App& app);
Runner add_schedule(CLI::App& app);
Runner add_info(CLI::App& app);
Runner add_verify(CLI::App& app);  // verify.cpp
Runner add_interpret(CLI::App& app);  // interpret.cpp

}  // namespace cyclone::cli
