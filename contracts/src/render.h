// JSON views of contract records: receipt results and query answers. Amounts are strings of
// integer fen, dates "YYYY-MM-DD", shares and counts JSON integers (API.md).
//
// Rendering of a loan event uses only the event and the loan's immutable parts (ids, tranche
// banks and shares, instalment due dates and amounts), so re-rendering an old event for a
// DUPLICATE receipt reproduces the original result exactly.
//
// Private to jc_contracts.
#pragma once

#include <jc/contracts/records.h>
#include <jc/core/canonical_json.h>

#include <string>

namespace jc::contracts::render {

std::string amount(std::int64_t v);
std::string amount(I128 v);
std::string amount(U128 v);

json::Value terms(const PartnershipTerms& t);
json::Value partnership(const Partnership& p);
json::Value member(const Member& m);

// The receipt result of a loan event (origination, repayment, write-off, recovery, correction)
// as canonical JSON text: the bytes a receipt stores (canon_text.h, ADR 0120).
std::string event_result_text(const Loan& loan, const LoanEvent& ev);
// The same as a tree (queries): event_result_text parsed back, so the two cannot differ.
json::Value event_result(const Loan& loan, const LoanEvent& ev);
// The statement line: the result plus postings and per-tranche detail.
json::Value event_statement(const Loan& loan, const LoanEvent& ev);

json::Value tranche(const Tranche& t);

// A two-step origination's proposal (ADR 0062): dates, outcome and each tranche's principal and
// acceptance, plus the loan's principal, value date and schedule.
json::Value proposal(const Loan& loan, const LoanProposal& p);

}  // namespace jc::contracts::render
