#include "bench_workload.h"

#include "cli_util.h"
#include "money.h"

#include <jc/core/secp256k1.h>
#include <jc/core/sha256.h>
#include <jc/ledger/transaction.h>

#include <array>
#include <chrono>

namespace jc::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct Bank {
    std::string id;
    crypto::SecretKey key;
    std::string partner;
    std::string partnership;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

ledger::Transaction sign(const Consortium& c, const Bank& bank, const std::string& type, json::Value body,
                         const std::string& client_ref) {
    ledger::UnsignedTx u{c.chain_id(), type, bank.id, client_ref, std::move(body)};
    return must(ledger::Transaction::sign(u, bank.key), "bench: signing " + type);
}

// Submits with wait in JSON-RPC batches of at most 100 and requires every receipt to be OK.
void submit_all(RpcClient& client, const std::vector<ledger::Transaction>& txs, const std::string& what) {
    for (std::size_t at = 0; at < txs.size(); at += 100) {
        std::string body = "[";
        const std::size_t end = std::min(txs.size(), at + 100);
        for (std::size_t i = at; i < end; ++i) {
            body += (i == at ? "" : ",") +
                    rpc_request(static_cast<std::int64_t>(i), "submitTransaction",
                                json::Value{{"tx", txs[i].to_value()}, {"wait", true}, {"timeout_ms", 30000}})
                        .dump();
        }
        body += "]";
        auto doc = client.post_raw(body, std::chrono::seconds(60));
        if (!doc) {
            throw CliExit(kExitUnreachable, "bench setup (" + what + "): " + doc.error().message());
        }
        if (!doc->is_array() || doc->size() != end - at) {
            throw CliExit(kExitRpcError, "bench setup (" + what + "): unexpected answer " + doc->dump().substr(0, 200));
        }
        for (const auto& item : *doc) {
            auto reply = decode_rpc_reply(item);
            if (!reply || !reply->ok() || reply->result.value("status", "") != "OK") {
                throw CliExit(kExitRpcError, "bench setup (" + what + ") failed: " + item.dump().substr(0, 300));
            }
        }
    }
}

json::Value loan_body(const std::string& loan_id, const Bank& servicer, std::int64_t principal) {
    return json::Value{
        {"loan_id", loan_id},
        {"product_code", "CONSUMER"},
        {"borrower_ref", sha256("bench borrower " + loan_id).hex()},
        {"principal", std::to_string(principal)},
        {"currency", "CNY"},
        {"value_date", "2024-01-15"},
        {"rate_ppb", "500000"},
        {"basis", "DAILY"},
        {"interest_method", "ACTUAL_DAYS"},
        {"penalty_rate_ppb", "750000"},
        {"penalty_mode", "REPLACE"},
        {"schedule", json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}}},
        {"prepay_mode", "SHORTEN"},
        {"tranches", json::Value::array({json::Value{{"bank_id", servicer.id}, {"share_bps", 3000}},
                                         json::Value{{"bank_id", servicer.partner},
                                                     {"share_bps", 7000},
                                                     {"partnership_id", servicer.partnership}}})},
        {"disbursement", json::Value{{"channel_ref", "D-" + loan_id}, {"mode", "FRONTED"}}}};
}

}  // namespace

Workload prepare_workload(const Consortium& c, const BenchOptions& o, std::ostream& log) {
    const auto setup_started = Clock::now();
    std::vector<Bank> banks;
    for (const auto& id : c.bank_ids()) {
        if (auto key = c.bank_key(id)) {
            banks.push_back(Bank{id, key->secret_key, "", ""});
        }
    }
    if (banks.size() < 2) {
        throw CliExit(kExitFailure, "bench needs at least two member banks with key files in " + c.dir() + "/banks");
    }
    RpcClient client(c.nodes().front().rpc, std::chrono::seconds(60));
    const auto head = call_or_exit(client, "getHeight");
    std::array<std::uint8_t, 3> random{};
    must(crypto::random_bytes(random));
    Workload w;
    w.tag = "B" + std::to_string(head.value("height", 0)) + to_hex(random);

    // One partnership per servicer bank: bank i lends with bank i+1.
    std::vector<ledger::Transaction> proposals;
    std::vector<ledger::Transaction> accepts;
    for (std::size_t i = 0; i < banks.size(); ++i) {
        Bank& b = banks[i];
        b.partner = banks[(i + 1) % banks.size()].id;
        b.partnership = "P-" + w.tag + "-" + std::to_string(i);
        const json::Value terms{{"partnership_id", b.partnership},
                                {"servicer_bank", b.id},
                                {"partner_bank", b.partner},
                                {"agreement_ref", sha256("bench agreement " + b.partnership).hex()},
                                {"funding_mode", "FRONTED"},
                                {"min_tranche_share_bps", 3000},
                                {"max_outstanding_principal", "100000000000000"},
                                {"fronting_limit", "100000000000000"},
                                {"collection_limit", "100000000000000"},
                                {"service_fee_bps", 1250},
                                {"fee_base", "INTEREST_AND_PENALTY"},
                                {"require_partner_acceptance", false}};
        proposals.push_back(sign(c, b, "partnership.propose", terms, w.tag + "-PP-" + std::to_string(i)));
        accepts.push_back(sign(c, banks[(i + 1) % banks.size()], "partnership.accept",
                               json::Value{{"partnership_id", b.partnership}}, w.tag + "-PA-" + std::to_string(i)));
    }
    submit_all(client, proposals, "partnership.propose");
    submit_all(client, accepts, "partnership.accept");
    w.partnerships = banks.size();

    // Base loans of 1,000,000.00 CNY for the repayments.
    w.base_loans = std::max<std::size_t>(1, o.base_loans);
    std::vector<ledger::Transaction> base;
    for (std::size_t j = 0; j < w.base_loans; ++j) {
        const Bank& b = banks[j % banks.size()];
        base.push_back(sign(c, b, "loan.originate", loan_body(w.tag + "-BASE-" + std::to_string(j), b, 100'000'000),
                            w.tag + "-BO-" + std::to_string(j)));
    }
    submit_all(client, base, "base loans");
    w.setup_seconds = seconds_since(setup_started);
    log << "setup: " << w.partnerships << " partnerships and " << w.base_loans << " base loans of 1,000,000.00 CNY ("
        << fixed(w.setup_seconds, 2) << " s), run tag " << w.tag << "\n";

    // The timed transactions, signed now so signing never competes with the load.
    const auto sign_started = Clock::now();
    const std::size_t total = o.warmup + o.txs;
    w.requests.reserve(total);
    w.node.reserve(total);
    const std::string tail = ",\"wait\":true}}";
    for (std::size_t k = 0; k < total; ++k) {
        const std::string ref = w.tag + "-" + std::to_string(k);
        ledger::Transaction tx = [&] {
            if (k % 100 < o.repay_pct) {
                const std::size_t j = k % w.base_loans;
                const Bank& b = banks[j % banks.size()];
                ++w.repays;
                return sign(c, b, "loan.repay",
                            json::Value{{"loan_id", w.tag + "-BASE-" + std::to_string(j)},
                                        {"value_date", "2024-02-15"},
                                        {"amount", "5000"},
                                        {"channel_ref", "R-" + ref}},
                            ref);
            }
            const Bank& b = banks[k % banks.size()];
            ++w.originations;
            return sign(c, b, "loan.originate", loan_body("L-" + ref, b, 800000), ref);
        }();
        w.requests.push_back("{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(k) +
                             ",\"method\":\"submitTransaction\",\"params\":{\"timeout_ms\":" + std::to_string(o.timeout_ms) +
                             ",\"tx\":" + tx.canonical_json() + tail);
        w.node.push_back(k % c.nodes().size());
    }
    w.sign_seconds = seconds_since(sign_started);
    log << "signed " << grouped(total) << " transactions before the clock starts (" << w.repays << " loan.repay, "
        << w.originations << " loan.originate) in " << fixed(w.sign_seconds, 2) << " s\n";
    return w;
}

}  // namespace jc::tools
