// A test chain for the contract engine: genesis for WEBANK, HUARUI, BANKC (servicer and funder
// roles), REGUL (regulator only) and SUSPBK (SUSPENDED), signed
// transactions, blocks executed at a chosen business date over an in-memory state, and helpers
// to read positions, accounts and loans.
//
// Every block is executed twice from the same parent and the two outputs compared (replay
// determinism, DOMAIN.md B.6 B7) before the writes are applied. Transaction invariants T1-T8
// are on for every test chain.
#pragma once

#include <jc/contracts/engine.h>
#include <jc/contracts/genesis.h>
#include <jc/contracts/query.h>
#include <jc/contracts/records.h>
#include <jc/ledger/state.h>
#include <jc/ledger/transaction.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jc::contracts::test {

inline constexpr const char* kChainId = "jointclear-test";

// Noon CST on `date` ("YYYY-MM-DD"), in ms since the epoch.
std::int64_t noon_cst_ms(const std::string& date);
arith::Date day(const std::string& date);
// "HH:MM" (00:00-24:00) CST on `date`, in ms since the epoch.
std::int64_t cst_ms(const std::string& date, const std::string& hhmm);

struct PartnershipSpec {
    std::string id = "P-WB-HR";
    std::string servicer = "WEBANK";
    std::string partner = "HUARUI";
    std::string funding_mode = "FRONTED";
    int min_share_bps = 3000;
    std::string max_outstanding = "100000000000";
    std::string fronting_limit = "100000000000";
    std::string collection_limit = "100000000000";
    int fee_bps = 0;
    std::string fee_base = "INTEREST_AND_PENALTY";
    bool require_acceptance = false;
    int writeoff_preauth_dpd = 0;  // sent only when non-zero
    int accept_timeout_days = 0;   // sent only when non-zero
};
json::Value partnership_body(const PartnershipSpec& s);

struct LoanSpec {
    std::string loan_id = "L-0001";
    std::string product = "CONSUMER";
    std::string borrower = std::string(64, 'a');
    std::string principal = "800000";
    std::string value_date = "2024-01-15";
    std::string rate = "500000";
    std::string basis = "DAILY";
    std::string penalty_rate = "750000";
    std::string penalty_mode = "REPLACE";
    json::Value schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}};
    // (bank, share, partnership id or "")
    std::vector<std::tuple<std::string, int, std::string>> tranches = {{"WEBANK", 3000, ""},
                                                                       {"HUARUI", 7000, "P-WB-HR"}};
    std::string channel_ref = "DISB-0001";
    std::string mode = "FRONTED";
};
json::Value originate_body(const LoanSpec& s);
// loan.propose's body: originate_body without disbursement.channel_ref (ADR 0062).
json::Value propose_body(const LoanSpec& s);
json::Value repay_body(const std::string& loan_id, const std::string& date, const std::string& amount,
                       const std::string& channel_ref, const std::string& intent = "");

class Chain {
public:
    explicit Chain(Params params = Params{}, EngineOptions options = {.check_tx_invariants = true});

    std::shared_ptr<const ledger::Transaction> tx(const std::string& bank, const std::string& type,
                                                  const json::Value& body, std::string client_ref = "");
    // Executes one block at noon CST on `date`, checks replay determinism, applies the writes.
    BlockOutput block(const std::string& date, const std::vector<std::shared_ptr<const ledger::Transaction>>& txs);
    // Executes without applying (for "the block is refused" tests).
    Result<BlockOutput> try_block(const std::string& date,
                                  const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) const;
    // The same at an exact block timestamp (ms since the epoch).
    BlockOutput block_at(std::int64_t timestamp_ms, const std::vector<std::shared_ptr<const ledger::Transaction>>& txs);
    Result<BlockOutput> try_block_at(std::int64_t timestamp_ms,
                                     const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) const;
    TxReceipt run(const std::string& date, const std::string& bank, const std::string& type, const json::Value& body,
                  std::string client_ref = "");

    // Propose + accept a partnership (both must succeed).
    void partnership(const PartnershipSpec& s, const std::string& date = "2024-01-01");

    const ledger::MemoryState& state() const { return state_; }
    ledger::MemoryState& mutable_state() { return state_; }
    std::uint64_t height() const { return height_; }
    const Hash& state_root() const { return state_root_; }

    // pos(S, i): what S owes i.
    I128 pos(const std::string& servicer, const std::string& partner) const;
    Account account(const std::string& bank, AccountCode code, const std::string& cp = "") const;
    Loan loan(const std::string& loan_id) const;
    std::optional<LoanEvent> event(const std::string& loan_id, std::uint32_t seq) const;
    ObligationAggregate obligation(const std::string& debtor, const std::string& creditor, Category c) const;
    std::string cycle_id() const;

    const crypto::SecretKey& key(const std::string& bank) const { return keys_.at(bank); }

private:
    ledger::MemoryState state_;
    Hash state_root_;
    Engine engine_;
    std::map<std::string, crypto::SecretKey> keys_;
    std::uint64_t height_ = 0;
    std::uint64_t next_ref_ = 1;
};

// Runs one transaction in its own block at noon CST on `date`: it must be REJECTED with `code`
// (number and name), carry a non-empty detail object, write nothing, and leave the whole state
// byte-identical.
TxReceipt expect_rejected(Chain& c, int code, const std::string& bank, const std::string& type,
                          const json::Value& body, const std::string& date, const std::string& client_ref = "");

// Requires an accepted receipt (printing its code, error and detail otherwise) and returns it.
TxReceipt must_ok(const TxReceipt& r);

// loan.write_off's body with the reason the tests use.
json::Value write_off_body(const std::string& date, const std::string& loan = "L-0001");

// A fen amount as the receipts carry it: a JSON string of an integer.
std::int64_t amt(const json::Value& v);

// The digest a governance approver checks: SHA-256(type "\n" RFC 8785 body), computed here
// independently of the engine.
std::string action_digest(const std::string& type, const json::Value& body);

// Params with a CONSUMER product that allows everything and a 24 %-APR-like cap on ACT/365F,
// records in the latest version (a default Params{} chain keeps version 1).
Params test_params();

}  // namespace jc::contracts::test
