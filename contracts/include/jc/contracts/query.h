// Read-only queries over contract state (DOMAIN.md B.9, API.md): the engine functions the RPC
// layer exposes. Each takes any StateReader (a store snapshot at some height, or an in-memory
// state) and returns a JSON answer in the API's conventions (amounts as strings of fen, dates
// "YYYY-MM-DD").
//
// A JSON null answer means "no such thing". An Error with Errc::kInvalidArgument carries a
// domain refusal as "<ERR_NAME> (<code>): <detail JSON>" (e.g. a payoff quote for a loan that is
// already PAID_OFF); other Errors are storage failures or corruption.
//
// quote_payoff runs exactly the code loan.repay runs (accrual -> waterfall -> allocation ->
// fee) on a copy of the loan and discards it, so a quote is what a repayment would do.
//
// Access control (which bank may see which loan) belongs to the RPC layer; these functions
// answer for the whole state.
//
// Thread-safety: pure functions of the reader; safe to call concurrently on a shared reader.
#pragma once

#include <jc/contracts/arith/date.h>
#include <jc/core/canonical_json.h>
#include <jc/core/error.h>
#include <jc/ledger/state.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::contracts::query {

// Terms, tranches, schedule with per-instalment status, DPD and classification as of `as_of`,
// the next due instalment, and (when as_of >= the last accrual date) what is owed as of that
// date by bucket.
Result<json::Value> get_loan(const ledger::StateReader& state, std::string_view loan_id, arith::Date as_of);

// The loan's events (optionally those with value_date in [from, to]) with per-bucket and
// per-tranche allocation, postings, cycle and channel references.
Result<json::Value> get_loan_statement(const ledger::StateReader& state, std::string_view loan_id,
                                       std::optional<arith::Date> from = std::nullopt,
                                       std::optional<arith::Date> to = std::nullopt);
// One event of the loan by its event_id ("<tx_hash>-<item index>"), as get_loan_statement
// renders it; null when the loan or the event does not exist.
Result<json::Value> get_loan_event(const ledger::StateReader& state, std::string_view loan_id,
                                   std::string_view event_id);

// Payoff at value_date: amount by bucket and by tranche, as loan.repay with intent PAYOFF would
// allocate it.
Result<json::Value> quote_payoff(const ledger::StateReader& state, std::string_view loan_id,
                                 arith::Date value_date);

Result<json::Value> get_partnership(const ledger::StateReader& state, std::string_view partnership_id);

// The banks party to a loan (its servicer and every tranche holder) or a partnership (servicer
// and partner), sorted and unique; nullopt when there is no such record. The RPC read policy
// (ADR 0095) lets a bank's token read exactly the loans and partnerships it is party to.
Result<std::optional<std::vector<std::string>>> loan_parties(const ledger::StateReader& state,
                                                              std::string_view loan_id);
Result<std::optional<std::vector<std::string>>> partnership_parties(const ledger::StateReader& state,
                                                                     std::string_view partnership_id);

// The member register as the state holds it (genesis members as changed by member.* transactions),
// in bank_id order: {"members": [{bank_id, name, cnaps_code, bic?, lei?, keys, roles, status}]}.
Result<json::Value> list_members(const ledger::StateReader& state);

// Per counterparty: INTERBANK net and open-cycle obligations by category; per partnership:
// usage against caps; the bank's income and expense accounts.
Result<json::Value> get_positions(const ledger::StateReader& state, std::string_view bank_id);

// The original result of (bank_id, client_ref), or null.
Result<json::Value> get_event_by_client_ref(const ledger::StateReader& state, std::string_view bank_id,
                                            std::string_view client_ref);

// Settlement (ADR 0053). get_cycle: status, cutoff, settlement date, obligation totals by
// category and instruction counts by status of `cycle_id` (empty: the open cycle), or null.
Result<json::Value> get_cycle(const ledger::StateReader& state, std::string_view cycle_id);

// Instructions matching every non-empty field, in instruction-id order, at most
// kListInstructionsMax (then "truncated": true). An unknown status is kInvalidArgument.
struct InstructionFilter {
    std::string cycle_id;
    std::string status;   // PENDING | SENT | SETTLED | FAILED | ROLLED
    std::string bank_id;  // as debtor or creditor
    std::string instruction_id = {};  // one instruction, read directly (a bank_events reference)
};
inline constexpr std::size_t kListInstructionsMax = 1000;
Result<json::Value> list_instructions(const ledger::StateReader& state, const InstructionFilter& filter);

// The camt.053-like statement of one cycle for one bank: per counterparty the entries by
// category (credit: owed to the bank, debit: owed by it; gross and count), the closing net, the
// control sums NbOfTxs / CtrlSum, the obligations digest of ADR 0050, the events digest
// (SHA-256 of the ordered event ids, one per line), rolled-in instructions and the instruction.
// Null when the cycle or the bank is unknown.
Result<json::Value> get_cycle_report(const ledger::StateReader& state, std::string_view cycle_id,
                                     std::string_view bank_id);

// Governance (ADR 0060). get_governance_proposal: the proposal as receipts show it (id, type,
// action_digest, proposer, created_date, expires_after, approvals, quorum and voters now) plus
// the action body the approvers sign up to, with status OPEN, EXECUTED or — for an open
// proposal whose expires_after is before `as_of` — EXPIRED; null when unknown.
// list_governance_proposals: the same for every proposal with the given status (empty: all), in
// proposal-id order, at most kListProposalsMax (then "truncated": true). An unknown status is
// kInvalidArgument.
Result<json::Value> get_governance_proposal(const ledger::StateReader& state, std::string_view proposal_id,
                                            arith::Date as_of);
inline constexpr std::size_t kListProposalsMax = 1000;
Result<json::Value> list_governance_proposals(const ledger::StateReader& state, std::string_view status,
                                              arith::Date as_of);

// Per-bank ledger totals (debits, credits, LOAN_PRINCIPAL net, tranche principal outstanding,
// INTERBANK net) and the ledger-wide totals. The caller adds the state root and height.
Result<json::Value> get_invariant_digest(const ledger::StateReader& state);

}  // namespace jc::contracts::query
