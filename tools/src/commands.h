// Subcommands of the `jointclear` operator CLI. Each `add_*` registers its subcommand (options
// and callback) on the app; callbacks print results to stdout and errors as one line to stderr
// and set the process exit code through CliExit.
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;  // <CLI/CLI.hpp> costs ~10 s per translation unit: only the files that build commands include it
}  // namespace CLI

namespace jc::tools {

// Thrown by a command to end the program with a message and exit code (caught in main).
struct CliExit : std::runtime_error {
    int code;
    CliExit(int exit_code, const std::string& message) : std::runtime_error(message), code(exit_code) {}
};

void add_keygen(CLI::App& app);
void add_tx(CLI::App& app);
void add_init(CLI::App& app);
void add_cluster(CLI::App& app);
void add_call(CLI::App& app);
void add_demo(CLI::App& app);
void add_bench(CLI::App& app);

}  // namespace jc::tools
