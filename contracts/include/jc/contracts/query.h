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

#include <optional>
#include <string_view>

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

// Payoff at value_date: amount by bucket and by tranche, as loan.repay with intent PAYOFF would
// allocate it.
Result<json::Value> quote_payoff(const ledger::StateReader& state, std::string_view loan_id,
                                 arith::Date value_date);

Result<json::Value> get_partnership(const ledger::StateReader& state, std::string_view partnership_id);

// Per counterparty: INTERBANK net and open-cycle obligations by category; per partnership:
// usage against caps; the bank's income and expense accounts.
Result<json::Value> get_positions(const ledger::StateReader& state, std::string_view bank_id);

// The original result of (bank_id, client_ref), or null.
Result<json::Value> get_event_by_client_ref(const ledger::StateReader& state, std::string_view bank_id,
                                            std::string_view client_ref);

// Per-bank ledger totals (debits, credits, LOAN_PRINCIPAL net, tranche principal outstanding,
// INTERBANK net) and the ledger-wide totals. The caller adds the state root and height.
Result<json::Value> get_invariant_digest(const ledger::StateReader& state);

}  // namespace jc::contracts::query
