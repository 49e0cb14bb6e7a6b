// Invariant checks of DOMAIN.md B.6.
//
// Per transaction (T1-T8), when EngineOptions::check_tx_invariants is set (tests, simulator,
// the debug flag): the loan before/after, the event, and the touched accounts.
// Per block (B1-B4), always, incrementally: only what the block touched is examined, by
// comparing the overlay's new records with the parent's. The pass also maintains the per-bank
// aggregate records (ag/<bank>) that make B1 and B3 checkable without scanning the world.
//
// A violation is an engine bug: it is reported as an Error naming ERR_INVARIANT_VIOLATION
// (9900), the invariant and the height, and the node halts rather than diverge.
//
// Private to jc_contracts.
#pragma once

#include "overlay.h"
#include "parent_loans.h"
#include "tx_env.h"

#include <jc/contracts/records.h>

#include <optional>
#include <string>

namespace jc::contracts::invariants {

// T4, T5, T6 on one loan; nullopt when they hold.
std::optional<std::string> check_loan(const Loan& loan);

// T1-T8 for one loan event. `before` is null for an origination.
Status check_loan_event(const Loan* before, const Loan& after, const LoanEvent& ev, const Overlay& ov);

// B1-B4 over everything the block touched; writes the updated ag/<bank> records. A written
// loan's parent record is taken from `parent_loans` when a handler noted it, else read from
// the parent.
Status check_block(Overlay& ov, const BlockContext& block, const ParentLoans& parent_loans);

// B4 for pending reservations (ADR 0062): each rs/ record moves by exactly what the proposals
// written in the block reserve or release. Called by check_block.
Status check_reservations(Overlay& ov, const BlockContext& block);

// B5 (INTERBANK = open-cycle obligations + unsettled instructions, per pair; a closed cycle's
// instructions = its bilateral nets) and B6 (per-bank multilateral nets of a closed cycle sum to
// zero and equal its instructions'), over what the block touched (ADR 0054).
Status check_settlement(Overlay& ov, const BlockContext& block);

// B7: two executions of the same block from the same parent agree byte for byte.
Status check_replay(const BlockOutput& first, const BlockOutput& second, std::uint64_t height);

Error violation(std::uint64_t height, const std::string& what);

}  // namespace jc::contracts::invariants
