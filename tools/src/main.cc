// jointclear: the operator CLI (API.md "Binaries").
#include "commands.h"

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"jointclear - operator CLI for a JointClear consortium"};
    app.require_subcommand(1);
    jc::tools::add_keygen(app);
    jc::tools::add_tx(app);
    jc::tools::add_init(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const jc::tools::CliExit& e) {
        std::cerr << "jointclear: " << e.what() << "\n";
        return e.code;
    }
    return 0;
}
