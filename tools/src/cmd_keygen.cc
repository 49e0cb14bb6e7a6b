// jointclear keygen --out FILE [--bank-id BANK]: writes a fresh secp256k1 key file (mode 0600).
#include "commands.h"

#include <CLI/CLI.hpp>

#include <jc/core/key_file.h>

#include <iostream>
#include <memory>

namespace jc::tools {

void add_keygen(CLI::App& app) {
    struct Options {
        std::string out;
        std::string bank_id;
    };
    auto opts = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("keygen", "Generate a secp256k1 key file (mode 0600)");
    cmd->add_option("--out", opts->out, "Path of the key file to create (never overwritten)")->required();
    cmd->add_option("--bank-id", opts->bank_id, "Record the bank this signing key belongs to");
    cmd->callback([opts] {
        auto key = crypto::SecretKey::generate();
        if (!key) {
            throw CliExit(1, key.error().to_string());
        }
        std::map<std::string, std::string> extra;
        if (!opts->bank_id.empty()) {
            extra["bank_id"] = opts->bank_id;
        }
        if (auto s = crypto::write_key_file(opts->out, *key, extra); !s) {
            throw CliExit(1, s.error().to_string());
        }
        std::cout << key->public_key().hex() << "\n";
    });
}

}  // namespace jc::tools
