#include "chain.h"

#include <catch2/catch.hpp>

#include <jc/contracts/arith/date.h>
#include <jc/core/sha256.h>
#include <jc/ledger/results.h>

namespace jc::contracts::test {

std::int64_t noon_cst_ms(const std::string& date) {
    const auto d = arith::parse_date(date);
    REQUIRE(d.has_value());
    return static_cast<std::int64_t>(*d) * 86'400'000 + 4 * 3'600'000;  // 12:00 CST = 04:00 UTC
}

arith::Date day(const std::string& date) {
    const auto d = arith::parse_date(date);
    REQUIRE(d.has_value());
    return *d;
}

std::int64_t cst_ms(const std::string& date, const std::string& hhmm) {
    REQUIRE(hhmm.size() == 5);
    const int minutes = std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
    return static_cast<std::int64_t>(day(date)) * 86'400'000 - 8 * 3'600'000 + minutes * 60'000;
}

json::Value partnership_body(const PartnershipSpec& s) {
    json::Value b{{"partnership_id", s.id},
                       {"servicer_bank", s.servicer},
                       {"partner_bank", s.partner},
                       {"agreement_ref", std::string(64, '1')},
                       {"funding_mode", s.funding_mode},
                       {"min_tranche_share_bps", s.min_share_bps},
                       {"max_outstanding_principal", s.max_outstanding},
                       {"fronting_limit", s.funding_mode == "FRONTED" ? s.fronting_limit : "0"},
                       {"collection_limit", s.collection_limit},
                       {"service_fee_bps", s.fee_bps},
                       {"fee_base", s.fee_base},
                       {"require_partner_acceptance", s.require_acceptance}};
    if (s.writeoff_preauth_dpd != 0) {
        b["writeoff_preauth_dpd"] = s.writeoff_preauth_dpd;
    }
    if (s.accept_timeout_days != 0) {
        b["accept_timeout_days"] = s.accept_timeout_days;
    }
    return b;
}

json::Value propose_body(const LoanSpec& s) {
    json::Value b = originate_body(s);
    b["disbursement"].erase("channel_ref");
    return b;
}

TxReceipt must_ok(const TxReceipt& r) {
    INFO(r.code << " " << r.error << " " << r.detail);
    REQUIRE(r.status == TxStatus::kOk);
    return r;
}

json::Value write_off_body(const std::string& date, const std::string& loan) {
    return json::Value{{"loan_id", loan}, {"value_date", date}, {"reason", "borrower insolvent"}};
}

std::int64_t amt(const json::Value& v) {
    REQUIRE(v.is_string());
    return std::stoll(v.get<std::string>());
}

std::string action_digest(const std::string& type, const json::Value& body) {
    return sha256(type + "\n" + json::canonicalize(body)).hex();
}

TxReceipt expect_rejected(Chain& c, int code, const std::string& bank, const std::string& type,
                          const json::Value& body, const std::string& date, const std::string& client_ref) {
    const auto before = c.state().entries();
    const auto out = c.block(date, {c.tx(bank, type, body, client_ref)});
    const TxReceipt& r = out.receipts.at(0);
    INFO(type << " " << json::canonicalize(body) << " -> " << r.code << " " << r.detail);
    CHECK(r.status == TxStatus::kRejected);
    CHECK(r.code == code);
    CHECK(r.error == std::string(code_name(static_cast<Code>(code))));
    CHECK(r.result == "null");
    CHECK(r.detail_json().is_object());
    CHECK_FALSE(r.detail_json().empty());
    CHECK(out.writes.empty());
    CHECK(c.state().entries() == before);
    return r;
}

json::Value originate_body(const LoanSpec& s) {
    json::Value tranches = json::Value::array();
    for (const auto& [bank, share, pid] : s.tranches) {
        json::Value t{{"bank_id", bank}, {"share_bps", share}};
        if (!pid.empty()) {
            t["partnership_id"] = pid;
        }
        tranches.push_back(t);
    }
    return json::Value{{"loan_id", s.loan_id},
                       {"product_code", s.product},
                       {"borrower_ref", s.borrower},
                       {"principal", s.principal},
                       {"currency", "CNY"},
                       {"value_date", s.value_date},
                       {"rate_ppb", s.rate},
                       {"basis", s.basis},
                       {"interest_method", "ACTUAL_DAYS"},
                       {"penalty_rate_ppb", s.penalty_rate},
                       {"penalty_mode", s.penalty_mode},
                       {"schedule", s.schedule},
                       {"prepay_mode", "SHORTEN"},
                       {"tranches", tranches},
                       {"disbursement", json::Value{{"channel_ref", s.channel_ref}, {"mode", s.mode}}}};
}

json::Value repay_body(const std::string& loan_id, const std::string& date, const std::string& amount,
                       const std::string& channel_ref, const std::string& intent) {
    json::Value b{{"loan_id", loan_id}, {"value_date", date}, {"amount", amount}, {"channel_ref", channel_ref}};
    if (!intent.empty()) {
        b["intent"] = intent;
    }
    return b;
}

Params test_params() {
    Params p;
    ProductTerms consumer;
    consumer.product_code = "CONSUMER";
    consumer.max_principal = 20'000'000;  // 200,000 CNY
    consumer.max_bullet_term_days = 366;
    consumer.max_rate_ppb = {1'000'000, 300'000'000, 300'000'000};
    p.products.push_back(consumer);
    p.default_product.max_principal = arith::kMaxAmount;
    p.record_version = kRecordVersionLatest;  // as a chain `jointclear init` founds (ADR 0175)
    return p;
}

namespace {
crypto::SecretKey fixed_key(char fill) {
    auto k = crypto::SecretKey::from_hex(std::string(63, fill) + "1");
    REQUIRE(k.ok());
    return *k;
}
}  // namespace

Chain::Chain(Params params, EngineOptions options) : engine_(options) {
    keys_.emplace("WEBANK", fixed_key('1'));
    keys_.emplace("HUARUI", fixed_key('2'));
    keys_.emplace("BANKC", fixed_key('3'));
    keys_.emplace("REGUL", fixed_key('4'));
    keys_.emplace("SUSPBK", fixed_key('5'));
    GenesisMembers members;
    const char* cnaps[] = {"313100000013", "323100000017", "104100000004", "000000000001", "999900000001"};
    int i = 0;
    for (const auto& [bank, key] : keys_) {
        GenesisMember m;
        m.bank_id = bank;
        m.name = bank + " bank";
        m.cnaps_code = cnaps[i++];
        m.keys = {key.public_key()};
        if (bank == "REGUL") {
            m.roles = {Role::kRegulator};
        } else {
            m.roles = {Role::kServicer, Role::kFunder};
        }
        if (bank == "SUSPBK") {
            m.status = MemberStatus::kSuspended;
        }
        members.members.push_back(m);
    }
    GenesisParams gp;
    gp.genesis_time_ms = noon_cst_ms("2024-01-01");
    gp.params = std::move(params);
    auto writes = genesis_writes(members, gp);
    REQUIRE(writes.ok());
    state_root_ = ledger::genesis_state_root(*writes);
    state_.apply(*writes);
}

std::shared_ptr<const ledger::Transaction> Chain::tx(const std::string& bank, const std::string& type,
                                                     const json::Value& body, std::string client_ref) {
    if (client_ref.empty()) {
        client_ref = bank + "-REF-" + std::to_string(next_ref_++);
    }
    ledger::UnsignedTx u;
    u.chain_id = kChainId;
    u.type = type;
    u.sender = bank;
    u.client_ref = client_ref;
    u.body = body;
    const auto it = keys_.find(bank);
    auto signed_tx = ledger::Transaction::sign(u, it != keys_.end() ? it->second : keys_.at("BANKC"));
    REQUIRE(signed_tx.ok());
    return std::make_shared<const ledger::Transaction>(std::move(signed_tx).value());
}

Result<BlockOutput> Chain::try_block(const std::string& date,
                                     const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) const {
    return try_block_at(noon_cst_ms(date), txs);
}

Result<BlockOutput> Chain::try_block_at(std::int64_t timestamp_ms,
                                        const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) const {
    return engine_.execute_block(state_, BlockContext::at(height_ + 1, timestamp_ms), txs);
}

BlockOutput Chain::block(const std::string& date, const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) {
    return block_at(noon_cst_ms(date), txs);
}

BlockOutput Chain::block_at(std::int64_t timestamp_ms,
                            const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) {
    auto first = try_block_at(timestamp_ms, txs);
    if (!first.ok()) {
        FAIL("block refused: " << first.error().to_string());
    }
    // Replay determinism: the same parent and block give identical receipts, writes and state
    // root (the ledger's hash chain over the ordered writes, ADR 0020).
    auto second = try_block_at(timestamp_ms, txs);
    REQUIRE(second.ok());
    REQUIRE(second->writes == first->writes);
    REQUIRE(ledger::next_state_root(state_root_, second->writes) == ledger::next_state_root(state_root_, first->writes));
    REQUIRE(second->receipts.size() == first->receipts.size());
    for (std::size_t i = 0; i < first->receipts.size(); ++i) {
        const TxReceipt& r = first->receipts[i];
        REQUIRE(second->receipts[i].result == r.result);
        REQUIRE(second->receipts[i].detail == r.detail);
        REQUIRE(second->receipts[i].code == r.code);
        // The engine writes receipt texts directly (ADR 0120): each must be exactly the
        // canonical form of the value it denotes, as json::canonicalize used to produce.
        REQUIRE(json::canonicalize(r.result_json()) == r.result);
        REQUIRE((r.detail.empty() || json::canonicalize(r.detail_json()) == r.detail));
        REQUIRE((r.status != TxStatus::kOk || r.detail.empty()));
    }
    state_root_ = ledger::next_state_root(state_root_, first->writes);
    state_.apply(first->writes);
    ++height_;
    return std::move(first).value();
}

TxReceipt Chain::run(const std::string& date, const std::string& bank, const std::string& type,
                     const json::Value& body, std::string client_ref) {
    auto out = block(date, {tx(bank, type, body, std::move(client_ref))});
    return out.receipts.at(0);
}

void Chain::partnership(const PartnershipSpec& s, const std::string& date) {
    const auto proposed = run(date, s.servicer, "partnership.propose", partnership_body(s));
    REQUIRE(proposed.status == TxStatus::kOk);
    const auto accepted = run(date, s.partner, "partnership.accept", json::Value{{"partnership_id", s.id}});
    REQUIRE(accepted.status == TxStatus::kOk);
}

I128 Chain::pos(const std::string& servicer, const std::string& partner) const {
    return -account(servicer, AccountCode::kInterbank, partner).net_debit();
}

Account Chain::account(const std::string& bank, AccountCode code, const std::string& cp) const {
    auto raw = state_.get(keys::account(bank, code, cp));
    REQUIRE(raw.ok());
    if (!raw->has_value()) {
        return {};
    }
    auto a = decode_account(**raw);
    REQUIRE(a.ok());
    return *a;
}

Loan Chain::loan(const std::string& loan_id) const {
    auto raw = state_.get(keys::loan(loan_id));
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    auto l = decode_loan(**raw);
    REQUIRE(l.ok());
    return *l;
}

std::optional<LoanEvent> Chain::event(const std::string& loan_id, std::uint32_t seq) const {
    auto raw = state_.get(keys::event(loan_id, seq));
    REQUIRE(raw.ok());
    if (!raw->has_value()) {
        return std::nullopt;
    }
    auto e = decode_loan_event(**raw);
    REQUIRE(e.ok());
    return *e;
}

std::string Chain::cycle_id() const {
    auto raw = state_.get(keys::current_cycle());
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    auto id = decode_current_cycle(**raw);
    REQUIRE(id.ok());
    return *id;
}

ObligationAggregate Chain::obligation(const std::string& debtor, const std::string& creditor, Category c) const {
    auto raw = state_.get(keys::obligation(cycle_id(), debtor, creditor, c));
    REQUIRE(raw.ok());
    if (!raw->has_value()) {
        return {};
    }
    auto o = decode_obligation(**raw);
    REQUIRE(o.ok());
    return *o;
}

}  // namespace jc::contracts::test
