// jointclear tx sign|inspect|submit: build, sign, check and submit transaction envelopes (API.md).
#include "cli_util.h"
#include "node_target.h"

#include <CLI/CLI.hpp>

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

// Whether --timeout-ms was given on the command line (its default is not a choice).
bool submit_timeout_given(const CLI::App& submit) { return submit.get_option("--timeout-ms")->count() > 0; }

// The options that describe a transaction to sign, shared by `tx sign` and `tx submit`.
struct SignOptions {
    std::string key;
    std::string type;
    std::string body;
    std::string chain_id;
    std::string sender;
    std::string client_ref;

    void add_options(CLI::App* cmd, bool required) {
        auto* k = cmd->add_option("--key", key, "Signing key file (mode 0600)");
        auto* t = cmd->add_option("--type", type, "Transaction type, e.g. loan.repay");
        auto* b = cmd->add_option("--body", body, "Body as a JSON object");
        if (required) {
            k->required();
            t->required();
            b->required();
        }
        cmd->add_option("--chain-id", chain_id, required ? "Chain id from genesis" : "Chain id (default: the node's)");
        cmd->add_option("--sender", sender, "Sender bank (default: the key file's bank_id)");
        cmd->add_option("--client-ref", client_ref, "Idempotency key (default: fresh)");
    }

    [[nodiscard]] ledger::Transaction sign() const {
        auto key_file = crypto::load_key_file(key);
        if (!key_file) {
            throw CliExit(kExitFailure, "--key " + key_file.error().message());
        }
        json::Value parsed_body = parse_json_arg(body, "--body");
        if (!parsed_body.is_object()) {
            throw CliExit(kExitFailure, "--body must be a JSON object");
        }
        ledger::UnsignedTx unsigned_tx;
        unsigned_tx.chain_id = chain_id;
        unsigned_tx.type = type;
        unsigned_tx.sender = sender;
        if (unsigned_tx.sender.empty()) {
            auto it = key_file->extra.find("bank_id");
            if (it == key_file->extra.end()) {
                throw CliExit(kExitFailure, "--sender is required: the key file has no bank_id");
            }
            unsigned_tx.sender = it->second;
        }
        unsigned_tx.client_ref = client_ref.empty() ? fresh_client_ref() : client_ref;
        unsigned_tx.body = std::move(parsed_body);
        auto signed_tx = ledger::Transaction::sign(unsigned_tx, key_file->secret_key);
        if (!signed_tx) {
            throw CliExit(kExitFailure, signed_tx.error().message());
        }
        return std::move(*signed_tx);
    }
};

// Prints a submitTransaction answer; REJECTED receipts end the program with kExitRejected.
void print_submission(const json::Value& answer, bool as_json) {
    if (as_json) {
        std::cout << answer.dump() << "\n";
    } else {
        std::cout << "tx_hash  " << answer.value("tx_hash", "") << "\n";
        const std::string status = answer.value("status", "");
        std::cout << "status   " << status;
        if (answer.contains("height")) {
            std::cout << "  (height " << answer["height"].dump() << ", index " << answer.value("index", json::Value()).dump() << ")";
        }
        if (status == "REJECTED" || status == "DUPLICATE") {
            std::cout << "  " << answer.value("code", json::Value()).dump() << " " << answer.value("error", "");
        }
        std::cout << "\n";
        if (answer.contains("detail") && !answer["detail"].is_null()) {
            std::cout << "detail   " << answer["detail"].dump() << "\n";
        }
        if (answer.contains("result") && !answer["result"].is_null()) {
            std::cout << "result   " << answer["result"].dump(2) << "\n";
        }
        if (answer.contains("receipt")) {
            std::cout << "receipt  " << answer["receipt"].dump(2) << "\n";
        }
    }
    const json::Value& receipt = answer.contains("receipt") ? answer["receipt"] : answer;
    if (receipt.value("status", "") == "REJECTED") {
        throw CliExit(kExitRejected, "transaction " + receipt.value("tx_hash", "") + " was REJECTED: " +
                                         receipt.value("code", json::Value()).dump() + " " + receipt.value("error", ""));
    }
}

}  // namespace

void add_tx(CLI::App& app) {
    CLI::App* tx = app.add_subcommand("tx", "Sign, inspect and submit transactions");
    tx->require_subcommand(1);

    auto opts = std::make_shared<SignOptions>();
    CLI::App* sign = tx->add_subcommand("sign", "Print a signed transaction envelope");
    opts->add_options(sign, /*required=*/true);
    sign->get_option("--chain-id")->required();
    sign->callback([opts] { std::cout << opts->sign().canonical_json() << "\n"; });

    struct SubmitOptions {
        SignOptions sign;
        NodeTarget target;
        std::string tx_file;
        bool wait = false;
        unsigned timeout_ms = 20'000;
        bool json = false;
    };
    auto so = std::make_shared<SubmitOptions>();
    CLI::App* submit = tx->add_subcommand(
        "submit", "Submit a transaction: a signed envelope (--tx) or one signed here (--key/--type/--body)");
    so->target.add_options(submit);
    submit->add_option("--tx", so->tx_file, "Signed envelope file, or - for standard input");
    so->sign.add_options(submit, /*required=*/false);
    submit->add_flag("--wait", so->wait, "Wait until it is committed and print the receipt");
    submit->add_option("--timeout-ms", so->timeout_ms, "How long --wait waits (default 20000)")
        ->check(CLI::Range(1u, 60'000u));
    submit->add_flag("--json", so->json, "Print the node's answer as one JSON line");
    submit->callback([so, submit] {
        const bool signing = !so->sign.key.empty() || !so->sign.type.empty() || !so->sign.body.empty();
        if (signing == !so->tx_file.empty()) {
            throw CliExit(kExitFailure, "give either --tx FILE or --key, --type and --body");
        }
        // An option that would change nothing is refused rather than ignored.
        if (!signing && (!so->sign.chain_id.empty() || !so->sign.sender.empty() || !so->sign.client_ref.empty())) {
            throw CliExit(kExitFailure, "--chain-id, --sender and --client-ref sign here; an envelope from --tx is "
                                        "sent exactly as it was signed");
        }
        if (!so->wait && submit_timeout_given(*submit)) {
            throw CliExit(kExitFailure, "--timeout-ms is how long --wait waits; give --wait too");
        }
        RpcClient client(so->target.endpoint(), std::chrono::milliseconds(so->timeout_ms + 5000));
        json::Value envelope;
        if (signing) {
            if (so->sign.key.empty() || so->sign.type.empty() || so->sign.body.empty()) {
                throw CliExit(kExitFailure, "signing here needs --key, --type and --body");
            }
            SignOptions s = so->sign;
            if (s.chain_id.empty()) {
                // Check the local inputs before asking the node for its chain id.
                s.chain_id = "local-check";
                (void)s.sign();
                s.chain_id = call_or_exit(client, "getNodeStatus").value("chain_id", "");
            }
            envelope = s.sign().to_value();
        } else {
            envelope = read_json_file(so->tx_file, "--tx", ledger::TxLimits{}.envelope_bytes_max + 2);
            // Check form and signature here, so a broken file gets a precise local error.
            auto parsed = ledger::Transaction::from_value(envelope);
            if (!parsed) {
                throw CliExit(kExitFailure, "--tx " + so->tx_file + ": " + parsed.error().message());
            }
            if (auto st = parsed->verify_signature(); !st) {
                throw CliExit(kExitFailure, "--tx " + so->tx_file + ": " + st.error().message());
            }
        }
        json::Value params{{"tx", envelope}};
        if (so->wait) {
            params["wait"] = true;
            params["timeout_ms"] = so->timeout_ms;
        }
        print_submission(call_or_exit(client, "submitTransaction", params), so->json);
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
