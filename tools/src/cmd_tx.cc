// jointclear tx sign: builds and signs a transaction envelope (API.md).
#include "commands.h"

#include <jc/core/file_util.h>
#include <jc/core/key_file.h>
#include <jc/core/secp256k1.h>
#include <jc/ledger/transaction.h>

#include <iostream>
#include <iterator>
#include <memory>

namespace jc::tools {
namespace {

// A fresh client_ref: "CLI-" and 16 random hex digits. Banks normally choose and persist their
// own (DOMAIN.md B.7); this default is for hand-made transactions.
std::string fresh_client_ref() {
    std::array<std::uint8_t, 8> random{};
    if (auto s = crypto::random_bytes(random); !s) {
        throw CliExit(1, s.error().to_string());
    }
    return "CLI-" + to_hex(random);
}

}  // namespace

void add_tx(CLI::App& app) {
    CLI::App* tx = app.add_subcommand("tx", "Sign and submit transactions");
    tx->require_subcommand(1);

    struct SignOptions {
        std::string key;
        std::string type;
        std::string body;
        std::string chain_id;
        std::string sender;
        std::string client_ref;
    };
    auto opts = std::make_shared<SignOptions>();
    CLI::App* sign = tx->add_subcommand("sign", "Print a signed transaction envelope");
    sign->add_option("--key", opts->key, "Signing key file (mode 0600)")->required();
    sign->add_option("--type", opts->type, "Transaction type, e.g. loan.repay")->required();
    sign->add_option("--body", opts->body, "Body as a JSON object")->required();
    sign->add_option("--chain-id", opts->chain_id, "Chain id from genesis")->required();
    sign->add_option("--sender", opts->sender, "Sender bank (default: the key file's bank_id)");
    sign->add_option("--client-ref", opts->client_ref, "Idempotency key (default: fresh)");
    sign->callback([opts] {
        auto key_file = crypto::load_key_file(opts->key);
        if (!key_file) {
            throw CliExit(1, key_file.error().to_string());
        }
        auto body = json::parse_strict(opts->body);
        if (!body) {
            throw CliExit(1, "--body: " + body.error().message());
        }
        ledger::UnsignedTx unsigned_tx;
        unsigned_tx.chain_id = opts->chain_id;
        unsigned_tx.type = opts->type;
        unsigned_tx.sender = opts->sender;
        if (unsigned_tx.sender.empty()) {
            auto it = key_file->extra.find("bank_id");
            if (it == key_file->extra.end()) {
                throw CliExit(1, "--sender is required: the key file has no bank_id");
            }
            unsigned_tx.sender = it->second;
        }
        unsigned_tx.client_ref = opts->client_ref.empty() ? fresh_client_ref() : opts->client_ref;
        unsigned_tx.body = std::move(*body);
        auto signed_tx = ledger::Transaction::sign(unsigned_tx, key_file->secret_key);
        if (!signed_tx) {
            throw CliExit(1, signed_tx.error().to_string());
        }
        std::cout << signed_tx->canonical_json() << "\n";
    });

    auto inspect_path = std::make_shared<std::string>();
    CLI::App* inspect = tx->add_subcommand(
        "inspect", "Check an envelope's form and signature; print its tx_hash and signing bytes");
    inspect->add_option("file", *inspect_path, "Envelope JSON file, or - for standard input")
        ->required();
    inspect->callback([inspect_path] {
        std::string text;
        if (*inspect_path == "-") {
            text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        } else {
            auto content = file::read_all(*inspect_path, ledger::TxLimits{}.envelope_bytes_max + 1);
            if (!content) {
                throw CliExit(1, content.error().to_string());
            }
            text = std::move(*content);
        }
        // Tolerate one trailing newline, as left by shells and editors.
        if (!text.empty() && text.back() == '\n') {
            text.pop_back();
        }
        auto parsed = ledger::Transaction::parse(text);
        if (!parsed) {
            throw CliExit(1, parsed.error().to_string());
        }
        if (auto s = parsed->verify_signature(); !s) {
            throw CliExit(1, s.error().to_string());
        }
        std::cout << "tx_hash " << parsed->hash().hex() << "\nsigning_bytes "
                  << parsed->signing_bytes() << "\n";
    });
}

}  // namespace jc::tools
