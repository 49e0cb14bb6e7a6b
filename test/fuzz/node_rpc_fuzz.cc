// Fuzz target: a JSON-RPC request body through the NODE's own method table (src/node's
// register_rpc_methods, with the access rules of ADR 0095) against a real store and engine,
// where jsonrpc_request_fuzz drives the Dispatcher with stand-in handlers.
//
// Setup (once per process): a temp dir holds a one-validator genesis with three member banks
// (fixed test keys) and the validator's key file; Node::Impl::init() opens the store and builds
// the replica, Node::Impl::wire() builds the transport (never started: no port, no peer) and the
// method table. The harness thread runs the consensus, storage and I/O loops itself (poll);
// the reader and crypto pools are the node's own threads. Seed transactions (two FRONTED
// partnerships, a loan, a repayment, a rejected proposal) go in through submitTransaction and
// are committed by the node's own path — the one validator proposes, the replica commits, the
// storage loop executes and writes — so the reads have real loans, receipts and proofs to serve.
// Then blocks stop being cut (block_interval_ms set to an hour), and every fuzz input meets the
// same ledger: what an input put in the pool, its subscriptions and its signature-cache entries
// are dropped after it.
//
// Input: byte 0 picks the caller as the RPC server would pass it — bits 0-1: no token, or the
// token of WEBANK, HUARUI or BANKC; bit 3 (over bits 0-1): the auditor's token (ADR 0097);
// bit 2: a WebSocket connection (a notification sink) — and the rest is the request body.
//
// Properties, for every input: the reply comes (within 10 s) exactly once; it is JSON-RPC 2.0
// with result xor error and a documented code; a single request with a valid id gets it back.
// Access (ADR 0095), judged from the method table's own x-token-access: with a bank's token, a
// tokenless method never succeeds, an own-bank method with another bank_id is FORBIDDEN, a full
// block or the receipts topic is never served, a transaction read by hash succeeds only for the
// bank's own transactions, and submitTransaction succeeds only for the bank's own envelopes.
// With the auditor's token, judged from the table's x-auditor-access: a refused method never
// succeeds, an any-bank method without bank_id is FORBIDDEN, a full block, the receipts topic
// and submitTransaction never succeed.
// Admission: a successful submitTransaction names an envelope that parses strictly, is for this
// chain, is signed by a registered key of its sender with a signature that verifies, and is
// then in the pool (PENDING) or in the ledger (COMMITTED). Seeds: corpus/node_rpc_fuzz.
#include <jc/core/assert.h>
#include <jc/core/key_file.h>
#include <jc/core/log.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "node_impl.h"

namespace {

namespace asio = boost::asio;
using jc::json::Value;
using Clock = std::chrono::steady_clock;

constexpr const char* kChainId = "jc-node-rpc-fuzz";
// Fixed test keys (never used outside tests): the validator and one signing key per bank.
constexpr const char* kValidatorSecret = "1111111111111111111111111111111111111111111111111111111111111111";
const std::map<std::string, std::string>& bank_secrets() {
    static const std::map<std::string, std::string> m = {
        {"WEBANK", "2222222222222222222222222222222222222222222222222222222222222222"},
        {"HUARUI", "3333333333333333333333333333333333333333333333333333333333333333"},
        {"BANKC", "4444444444444444444444444444444444444444444444444444444444444444"}};
    return m;
}
constexpr const char* kBanks[] = {"", "WEBANK", "HUARUI", "BANKC"};

jc::crypto::SecretKey secret(const std::string& hex) { return jc::crypto::SecretKey::from_hex(hex).value(); }

// Counts what the node pushes to a WebSocket; nothing commits while fuzzing, so nothing should.
class Sink : public jc::rpc::NotificationSink {
public:
    bool push(std::string) override { return true; }
};

class Harness {
public:
    Harness() {
        jc::log::Options lo;
        lo.node = "fuzz";
        lo.level = spdlog::level::warn;
        jc::log::init(lo);
        char dir_template[] = "/tmp/jc-node-rpc-fuzz-XXXXXX";
        JC_ASSERT(mkdtemp(dir_template) != nullptr, "fuzz.node_rpc.tempdir");
        dir_ = dir_template;
        write_genesis();
        jc::node::NodeConfig c;
        c.node_name = "fuzz";
        c.genesis = dir_ + "/genesis.json";
        c.data_dir = dir_ + "/data";
        c.consensus_key = dir_ + "/consensus_key.json";
        c.p2p.listen = "127.0.0.1:0";
        c.rpc.wait_timeout_ms_default = 5;  // submitTransaction with wait times out fast:
        c.rpc.wait_timeout_ms_max = 10;     // nothing commits while fuzzing
        c.rpc.reader_threads = 1;
        c.pool.verify_threads = 1;
        c.pool.txs_max = 1000;
        c.consensus.block_interval_ms = 0;  // seeding: every submission is cut into a block at once
        impl_ = std::make_unique<jc::node::Node::Impl>(c);
        if (auto s = impl_->init(); !s) {
            std::fprintf(stderr, "node_rpc_fuzz: init: %s\n", s.error().message().c_str());
            std::abort();
        }
        if (auto s = impl_->wire(); !s) {
            std::fprintf(stderr, "node_rpc_fuzz: wire: %s\n", s.error().message().c_str());
            std::abort();
        }
        guards_.emplace_back(impl_->consensus_io_.get_executor());
        guards_.emplace_back(impl_->storage_io_.get_executor());
        guards_.emplace_back(impl_->io_.get_executor());
        seed_ledger();
        impl_->config_.consensus.block_interval_ms = 3'600'000;  // fuzzing: the ledger stays as seeded
        const auto doc = call(R"({"jsonrpc":"2.0","id":1,"method":"rpc.discover"})", {});
        const Value discovered = Value::parse(*doc);
        for (const auto& m : discovered["result"]["methods"]) {
            access_[m["name"].get<std::string>()] = m["x-token-access"].get<std::string>();
            auditor_access_[m["name"].get<std::string>()] = m["x-auditor-access"].get<std::string>();
        }
        JC_ASSERT(access_.count("submitTransaction") == 1 && access_.count("getInvariantDigest") == 1,
                  "fuzz.node_rpc.method_table");
    }

    // Stops the node's threads before the process's statics go, and removes the temp dir.
    void shut_down() {
        for (auto* pool : {impl_->crypto_pool_.get(), impl_->reader_pool_.get(), impl_->proposal_pool_.get()}) {
            pool->stop();
            pool->join();
        }
        impl_->store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // Handles one body as the RPC server would for `ctx`; runs the node's loops until the reply.
    std::optional<std::string> call(std::string_view body, const jc::rpc::CallContext& ctx) {
        struct Done {
            std::mutex mutex;
            int calls = 0;
            std::optional<std::string> text;
        };
        auto done = std::make_shared<Done>();
        impl_->dispatcher_->handle(body, ctx, [done](std::optional<std::string> response) {
            std::lock_guard lock(done->mutex);
            ++done->calls;
            done->text = std::move(response);
        });
        const bool answered = pump_until(
            [&] {
                std::lock_guard lock(done->mutex);
                return done->calls > 0;
            },
            std::chrono::seconds(10));
        JC_ASSERT(answered, "fuzz.node_rpc.reply_within_10s");
        // A second reply would come from the same loops or pools: give them a moment to show it.
        pump_until([] { return false; }, std::chrono::milliseconds(0));
        std::lock_guard lock(done->mutex);
        JC_ASSERT(done->calls == 1, "fuzz.node_rpc.done_exactly_once");
        return done->text;
    }

    // Back to the seeded state: the pool, the gossip queue, subscriptions and the verified-
    // transaction cache as before the input (the ledger itself never changes while fuzzing).
    void reset() {
        auto& n = *impl_;
        std::vector<jc::Hash> pooled;
        for (const auto& tx : n.pool_->oldest(n.pool_->size())) {
            pooled.push_back(tx->hash());
        }
        n.pool_->remove(pooled);
        JC_ASSERT(n.pool_->size() == 0, "fuzz.node_rpc.pool_cleared");
        n.pool_nonempty_since_ms_ = -1;
        n.gossip_queue_.clear();
        n.gossip_timer_->cancel();
        pump_until([] { return false; }, std::chrono::milliseconds(0));
        {
            std::lock_guard lock(n.subscriptions_mutex_);
            n.subscriptions_.clear();
            n.next_subscription_ = 1;
        }
        // A fresh verified-transaction cache: an envelope an input verified must not skip the
        // signature check of a later input (within one input, a batch, it may: that is the
        // node's behaviour). Built as the node builds it (its recently-committed window too),
        // and told what the seeding committed, as the node's cache was.
        n.tx_cache_ = n.make_tx_cache();
        for (const auto& tx : seeded_) {
            n.tx_cache_->erase_committed(tx);
        }
        JC_ASSERT(n.waiters_.size() == 0, "fuzz.node_rpc.no_waiter_outlives_its_reply");
    }

    [[nodiscard]] const std::string& access(const std::string& method) const {
        static const std::string none;
        const auto it = access_.find(method);
        return it == access_.end() ? none : it->second;
    }
    [[nodiscard]] const std::string& auditor_access(const std::string& method) const {
        static const std::string none;
        const auto it = auditor_access_.find(method);
        return it == auditor_access_.end() ? none : it->second;
    }
    jc::node::Node::Impl& node() { return *impl_; }

private:
    template <typename Cond>
    bool pump_until(Cond cond, Clock::duration deadline) {
        const auto end = Clock::now() + deadline;
        for (;;) {
            std::size_t ran = impl_->consensus_io_.poll();
            ran += impl_->storage_io_.poll();
            ran += impl_->io_.poll();
            if (cond()) {
                return true;
            }
            if (Clock::now() >= end) {
                return false;
            }
            if (ran == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(50));
            }
        }
    }

    void write_genesis() {
        const auto validator = secret(kValidatorSecret);
        Value members = Value::array();
        int cnaps = 1;
        for (const auto& [bank, hex] : bank_secrets()) {
            members.push_back(Value{{"bank_id", bank},
                                    {"name", bank},
                                    {"cnaps_code", "10000000000" + std::to_string(cnaps++)},
                                    {"keys", Value::array({secret(hex).public_key().hex()})},
                                    {"roles", Value::array({"SERVICER", "FUNDER"})}});
        }
        const Value genesis{
            {"chain_id", kChainId},
            {"genesis_time_ms", 1795764428242},
            {"validators", Value::array({Value{{"index", 0},
                                               {"name", "node0"},
                                               {"consensus_key", validator.public_key().hex()},
                                               {"tls_key", std::string(64, 'a')},
                                               {"address", "127.0.0.1:1"}}})},
            {"members", members}};
        std::ofstream(dir_ + "/genesis.json") << genesis.dump(2);
        JC_ASSERT(jc::crypto::write_key_file(dir_ + "/consensus_key.json", validator).ok(), "fuzz.node_rpc.key_file");
    }

    static Value loan_body(const std::string& loan_id, const std::string& servicer, const std::string& partner,
                           const std::string& partnership) {
        return Value{{"loan_id", loan_id},
                     {"product_code", "CONSUMER"},
                     {"borrower_ref", std::string(64, 'b')},
                     {"principal", "100000000"},
                     {"currency", "CNY"},
                     {"value_date", "2024-01-15"},
                     {"rate_ppb", "500000"},
                     {"basis", "DAILY"},
                     {"interest_method", "ACTUAL_DAYS"},
                     {"penalty_rate_ppb", "750000"},
                     {"penalty_mode", "REPLACE"},
                     {"schedule", Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}}},
                     {"prepay_mode", "SHORTEN"},
                     {"tranches", Value::array({Value{{"bank_id", servicer}, {"share_bps", 3000}},
                                                Value{{"bank_id", partner},
                                                      {"share_bps", 7000},
                                                      {"partnership_id", partnership}}})},
                     {"disbursement", Value{{"channel_ref", "D-" + loan_id}, {"mode", "FRONTED"}}}};
    }

    static Value partnership_terms(const std::string& id, const std::string& servicer, const std::string& partner) {
        return Value{{"partnership_id", id},
                     {"servicer_bank", servicer},
                     {"partner_bank", partner},
                     {"agreement_ref", std::string(64, 'c')},
                     {"funding_mode", "FRONTED"},
                     {"min_tranche_share_bps", 3000},
                     {"max_outstanding_principal", "100000000000000"},
                     {"fronting_limit", "100000000000000"},
                     {"collection_limit", "100000000000000"},
                     {"service_fee_bps", 1250},
                     {"fee_base", "INTEREST_AND_PENALTY"},
                     {"require_partner_acceptance", false}};
    }

    // Submits each seed envelope through the method table and lets the node commit it.
    void seed_ledger() {
        struct Seed {
            std::string bank, type, client_ref;
            Value body;
            const char* status;
        };
        const std::vector<Seed> seeds = {
            {"WEBANK", "partnership.propose", "seed-1", partnership_terms("P-1", "WEBANK", "HUARUI"), "OK"},
            {"HUARUI", "partnership.accept", "seed-2", Value{{"partnership_id", "P-1"}}, "OK"},
            {"HUARUI", "partnership.propose", "seed-3", partnership_terms("P-2", "HUARUI", "BANKC"), "OK"},
            {"BANKC", "partnership.accept", "seed-4", Value{{"partnership_id", "P-2"}}, "OK"},
            {"WEBANK", "loan.originate", "seed-5", loan_body("L-1", "WEBANK", "HUARUI", "P-1"), "OK"},
            {"WEBANK", "loan.repay", "seed-6",
             Value{{"loan_id", "L-1"}, {"value_date", "2024-02-15"}, {"amount", "5000"}, {"channel_ref", "R-1"}}, "OK"},
            {"BANKC", "partnership.propose", "seed-7", Value{{"partnership_id", "P-BAD"}}, "REJECTED"},
        };
        for (const auto& s : seeds) {
            jc::ledger::UnsignedTx u{kChainId, s.type, s.bank, s.client_ref, s.body};
            auto tx = jc::ledger::Transaction::sign(u, secret(bank_secrets().at(s.bank)));
            JC_ASSERT(tx.ok(), "fuzz.node_rpc.seed_signs");
            const Value request{{"jsonrpc", "2.0"},
                                {"id", 1},
                                {"method", "submitTransaction"},
                                {"params", Value{{"tx", tx->to_value()}}}};
            const auto answer = call(request.dump(), {});
            JC_ASSERT(answer && Value::parse(*answer).contains("result"), "fuzz.node_rpc.seed_admitted");
            const jc::Hash h = tx->hash();
            std::optional<jc::ledger::Receipt> receipt;
            const bool committed = pump_until(
                [&] {
                    auto r = impl_->store_->snapshot()->receipt(h);
                    if (r.ok() && r->has_value()) {
                        receipt = **r;
                    }
                    return receipt.has_value();
                },
                std::chrono::seconds(20));
            if (!committed || jc::ledger::receipt_status_name(receipt->status) != s.status) {
                std::fprintf(stderr, "node_rpc_fuzz: seed %s %s: %s\n", s.type.c_str(), h.hex().c_str(),
                             committed ? receipt->error.c_str() : "not committed within 20 s");
                std::abort();
            }
            seeded_.push_back(*tx);
            std::fprintf(stderr, "node_rpc_fuzz: seeded %s %s at height %llu\n", s.type.c_str(), h.hex().c_str(),
                         static_cast<unsigned long long>(receipt->height));
        }
    }

    std::string dir_;
    std::unique_ptr<jc::node::Node::Impl> impl_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::map<std::string, std::string> access_;          // x-token-access by method
    std::map<std::string, std::string> auditor_access_;  // x-auditor-access by method
    std::vector<jc::ledger::Transaction> seeded_;        // committed by seed_ledger()
};

Harness& harness() {
    // Built once and kept: the store, the replica and the node's thread pools are process-wide.
    static Harness* h = [] {
        auto* x = new Harness;
        std::atexit([] { harness().shut_down(); });
        return x;
    }();
    return *h;
}

// The JSON-RPC codes and the stable server codes of docs/rpc.md, through the last one
// dispatcher.h defines.
bool known_code(std::int64_t code) {
    return code == -32700 || code == -32600 || code == -32601 || code == -32602 || code == -32603 ||
           (code <= jc::rpc::kTxRefused && code >= jc::rpc::kQueryRefused);
}

void check_shape(const Value& r) {
    JC_ASSERT(r.is_object(), "fuzz.node_rpc.response_object");
    JC_ASSERT(r.contains("jsonrpc") && r["jsonrpc"] == "2.0", "fuzz.node_rpc.response_version");
    JC_ASSERT(r.contains("id"), "fuzz.node_rpc.response_id");
    JC_ASSERT(r.contains("result") != r.contains("error"), "fuzz.node_rpc.result_xor_error");
    if (r.contains("error")) {
        JC_ASSERT(r["error"].contains("code") && r["error"]["code"].is_number_integer() &&
                      known_code(r["error"]["code"].get<std::int64_t>()),
                  "fuzz.node_rpc.error_code_known");
    }
}

// The sender of a committed transaction, or nullopt when the ledger does not hold it.
std::optional<std::string> committed_sender(jc::node::Node::Impl& node, const Value& tx_hash) {
    if (!tx_hash.is_string()) {
        return std::nullopt;
    }
    auto h = jc::Hash::from_hex(tx_hash.get<std::string>());
    if (!h) {
        return std::nullopt;
    }
    auto t = node.store_->snapshot()->transaction(*h);
    if (!t || !t->has_value()) {
        return std::nullopt;
    }
    return (*t)->tx->sender();
}

// The access and admission properties for one request object and its response.
void check_request(Harness& h, const Value& request, const Value& response, const jc::rpc::CallContext& ctx) {
    const std::string& bank = ctx.bank;
    // Only requests the dispatcher hands to a method: the checks below judge the method table.
    if (!request.is_object() || request.value("jsonrpc", Value()) != Value("2.0") || !request.contains("method") ||
        !request["method"].is_string() || (request.contains("params") && !request["params"].is_object())) {
        return;
    }
    for (auto it = request.begin(); it != request.end(); ++it) {
        if (it.key() != "jsonrpc" && it.key() != "id" && it.key() != "method" && it.key() != "params") {
            return;
        }
    }
    const auto method = request["method"].get<std::string>();
    const Value params = request.contains("params") && request["params"].is_object() ? request["params"] : Value::object();
    const bool ok = response.contains("result");
    const auto code = ok ? 0 : response["error"].value("code", 0);
    const std::string& access = h.access(method);
    if (!bank.empty()) {
        if (access == "tokenless") {
            JC_ASSERT(!ok, "fuzz.node_rpc.tokenless_refused_to_banks");
        }
        if (access == "own-bank" && params.contains("bank_id") && params["bank_id"] != bank) {
            JC_ASSERT(code == jc::rpc::kForbidden, "fuzz.node_rpc.own_bank_only");
        }
        if (method == "getBlock" && params.value("full", Value(false)) == Value(true)) {
            JC_ASSERT(!ok, "fuzz.node_rpc.no_full_blocks_for_banks");
        }
        if (method == "subscribe" && params.value("topic", Value()) == Value("receipts")) {
            JC_ASSERT(!ok, "fuzz.node_rpc.no_receipts_topic_for_banks");
        }
        if (ok && (method == "getTransaction" || method == "getReceipt" || method == "getProof") &&
            !response["result"].is_null()) {
            const auto sender = committed_sender(h.node(), params.value("tx_hash", Value()));
            JC_ASSERT(sender && *sender == bank, "fuzz.node_rpc.own_transactions_only");
        }
    }
    if (ctx.auditor) {
        const std::string& reach = h.auditor_access(method);
        if (reach == "refused") {
            JC_ASSERT(!ok, "fuzz.node_rpc.auditor_refused_method");
        }
        if (reach == "any-bank" && !params.contains("bank_id")) {
            JC_ASSERT(code == jc::rpc::kForbidden, "fuzz.node_rpc.auditor_names_the_bank");
        }
        if (method == "getBlock" && params.value("full", Value(false)) == Value(true)) {
            JC_ASSERT(!ok, "fuzz.node_rpc.no_full_blocks_for_auditor");
        }
        if (method == "subscribe" && params.value("topic", Value()) == Value("receipts")) {
            JC_ASSERT(!ok, "fuzz.node_rpc.no_receipts_topic_for_auditor");
        }
        JC_ASSERT(!(ok && method == "submitTransaction"), "fuzz.node_rpc.auditor_never_submits");
    }
    if (method == "submitTransaction" && ok) {
        JC_ASSERT(params.contains("tx"), "fuzz.node_rpc.submitted_has_tx");
        auto tx = jc::ledger::Transaction::from_value(params["tx"]);
        JC_ASSERT(tx.ok(), "fuzz.node_rpc.submitted_envelope_parses");
        JC_ASSERT(tx->chain_id() == kChainId, "fuzz.node_rpc.submitted_chain");
        JC_ASSERT(bank.empty() || tx->sender() == bank, "fuzz.node_rpc.submit_as_own_bank_only");
        JC_ASSERT(tx->verify_signature().ok(), "fuzz.node_rpc.submitted_signature_verifies");
        const auto reg = h.node().members_.current();
        const auto member = reg->members.find(tx->sender());
        JC_ASSERT(member != reg->members.end() &&
                      std::find(member->second.keys.begin(), member->second.keys.end(), tx->signer()) !=
                          member->second.keys.end(),
                  "fuzz.node_rpc.submitted_signer_registered");
        const Value& result = response["result"];
        const auto committed = committed_sender(h.node(), Value(tx->hash().hex()));
        if (result.is_object() && result.value("status", Value()) == Value("PENDING")) {
            JC_ASSERT(h.node().pool_->contains(tx->hash()), "fuzz.node_rpc.pending_is_pooled");
        } else {
            // COMMITTED (no wait) or the receipt itself (wait): only a transaction the ledger holds.
            JC_ASSERT(committed.has_value(), "fuzz.node_rpc.committed_is_in_ledger");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Harness& h = harness();
    if (size == 0) {
        return 0;
    }
    jc::rpc::CallContext ctx;
    if ((data[0] & 8) != 0) {
        ctx.auditor = true;  // the auditor's token: no bank
    } else {
        ctx.bank = kBanks[data[0] & 3];
    }
    if ((data[0] & 4) != 0) {
        ctx.sink = std::make_shared<Sink>();
    }
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto sent = h.call(body, ctx);
    if (std::getenv("JC_FUZZ_PRINT") != nullptr) {  // to see what a corpus is served
        std::fprintf(stderr, "[%s%s] %.*s\n  -> %.600s\n",
                     ctx.auditor ? "auditor" : ctx.bank.empty() ? "no token" : ctx.bank.c_str(),
                     ctx.sink ? ", ws" : "", static_cast<int>(body.size()), body.data(),
                     sent ? sent->c_str() : "(nothing: notifications only)");
    }
    if (sent) {
        const auto out = Value::parse(*sent, nullptr, /*allow_exceptions=*/false);
        JC_ASSERT(!out.is_discarded(), "fuzz.node_rpc.response_is_json");
        // The request as the dispatcher saw it: its own strict parser (nlohmann's would accept
        // what the dispatcher refuses, e.g. trailing NUL bytes, and judge a request never run).
        jc::json::ParseLimits limits;
        limits.document_bytes_max = h.node().config_.rpc.body_bytes_max;
        limits.depth_max = 32;
        const auto strict = jc::json::parse_strict(body, limits);
        const Value in = strict ? *strict : Value(Value::value_t::discarded);
        if (out.is_array()) {
            JC_ASSERT(!out.empty(), "fuzz.node_rpc.batch_response_not_empty");
            // Members are matched by id where the batch's ids are distinct.
            std::map<std::string, const Value*> by_id;
            std::set<std::string> repeated;
            if (!in.is_discarded() && in.is_array()) {
                for (const auto& r : in) {
                    if (r.is_object() && r.contains("id")) {
                        const auto id = r["id"].dump();
                        if (!by_id.emplace(id, &r).second) {
                            repeated.insert(id);
                        }
                    }
                }
            }
            for (const auto& r : out) {
                check_shape(r);
                const auto id = r["id"].dump();
                if (const auto it = by_id.find(id); it != by_id.end() && repeated.count(id) == 0) {
                    check_request(h, *it->second, r, ctx);
                }
            }
        } else {
            check_shape(out);
            if (!in.is_discarded() && in.is_object()) {
                if (in.contains("id") && (in["id"].is_number_integer() || in["id"].is_string()) &&
                    !out.contains("error")) {
                    JC_ASSERT(out["id"] == in["id"], "fuzz.node_rpc.id_echoed");
                }
                check_request(h, in, out, ctx);
            }
        }
    }
    h.reset();
    return 0;
}
