// jointclear: the operator CLI (API.md "Binaries"). Exit codes: cli_util.h.
#include "cli_util.h"
#include "commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"jointclear - operator CLI for a JointClear consortium"};
    app.require_subcommand(1);
    jc::tools::add_keygen(app);
    jc::tools::add_init(app);
    jc::tools::add_cluster(app);
    jc::tools::add_tx(app);
    jc::tools::add_call(app);
    jc::tools::add_demo(app);
    jc::tools::add_bench(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, like every other error; --help has the details.
        std::cerr << "jointclear: " << e.what() << " (see --help)\n";
        return jc::tools::kExitUsage;
    } catch (const jc::tools::CliExit& e) {
        std::cerr << "jointclear: " << e.what() << "\n";
        return e.code;
    } catch (const std::exception& e) {
        std::cerr << "jointclear: unexpected error: " << e.what() << "\n";
        return jc::tools::kExitFailure;
    }
    return 0;
}
