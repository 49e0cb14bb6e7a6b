// `jointclear init` as a function, so the demo can create a fresh consortium the same way.
//
// Thread-safety: call from one thread.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace jc::tools {

struct InitOptions {
    std::string out;
    std::size_t validators = 4;
    std::string banks = "WEBANK,HUARUI,BANKC";
    std::string chain_id = "jointclear-local";
    std::uint16_t base_port = 0;
};

// Writes the consortium under options.out (refusing a non-empty directory) and prints a summary
// to `out`. Failures end the command with CliExit.
void init_consortium(const InitOptions& options, std::ostream& out);

}  // namespace jc::tools
