// Loan servicing arithmetic as pure functions on a Loan value: lazy accrual, the amount owed,
// and the repayment plan (accrual -> waterfall -> per-tranche allocation -> service fee).
// loan.repay applies a plan; quotePayoff and getLoan compute the same plan and discard it, so a
// quote is by construction what a repayment would do (DOMAIN.md B.10).
//
// Rules (DOMAIN.md A.2-A.5, B.3; docs/spec/contracts.md "Servicing"):
// - Accrual over [last_accrual_date, t) in segments split at due dates. On day d, unpaid
//   principal of instalments with due_date <= d is overdue. REPLACE: contract rate on the rest,
//   penalty rate on the overdue part. ADD: contract rate on all, plus penalty on the overdue
//   part. Interest and penalty are each rounded ONCE per accrual and split across tranches by
//   largest remainder weighted by tranche principal_out.
// - Waterfall: fees -> penalty -> interest -> principal due (instalments due on or before t,
//   oldest first) -> prepayment (SHORTEN: latest instalment first). Each bucket is split across
//   tranches by largest remainder weighted by the tranche's outstanding claim in that bucket.
// - Service fee per partner tranche with cumulative half-up rounding of fee_base_cum.
//
// Private to jc_contracts. Thread-safety: pure functions.
#pragma once

#include "exec.h"

#include <jc/contracts/records.h>

#include <array>
#include <optional>

namespace jc::contracts::servicing {

using TrancheAmounts = std::array<std::int64_t, kTranchesMax>;

struct Accrual {
    std::int64_t days = 0;
    std::int64_t interest = 0;
    std::int64_t penalty = 0;
    TrancheAmounts tranche_interest{};
    TrancheAmounts tranche_penalty{};
};

// Accrues `loan` to `t` in place. REQUIRES: t >= loan.last_accrual_date.
// Rejects with ERR_ARITHMETIC_OVERFLOW when an amount leaves int64.
Exec<Accrual> accrue(Loan& loan, Date t);

struct Owed {
    std::int64_t fees = 0;
    std::int64_t penalty = 0;
    std::int64_t interest = 0;
    std::int64_t principal_due = 0;      // instalments due on or before t
    std::int64_t principal_not_due = 0;
    I128 total = 0;
};

// What an accrued loan owes at t (no accrual is done here).
Owed owed(const Loan& accrued, Date t);

struct Plan {
    Loan after;                          // the loan after the repayment
    Accrual accrual;
    Owed owed;                           // at t, after accrual, before the payment
    std::int64_t amount = 0;
    std::int64_t fees = 0;
    std::int64_t penalty = 0;
    std::int64_t interest = 0;
    std::int64_t principal_due = 0;
    std::int64_t principal_prepaid = 0;
    TrancheAmounts tranche_penalty{};
    TrancheAmounts tranche_interest{};
    TrancheAmounts tranche_principal_due{};
    TrancheAmounts tranche_principal_prepaid{};
    TrancheAmounts tranche_fee{};
    std::vector<InstallmentApplication> applied;  // principal per instalment, in schedule order
};

// The repayment of `amount` on `t`, in B.5 order: ERR_LOAN_STATE (not ACTIVE),
// ERR_VALUE_DATE_BEFORE_LAST_EVENT, ERR_VALUE_DATE_IN_FUTURE (only when business_date is given:
// executions pass it, quotes do not), ERR_OVERPAYMENT, ERR_PAYOFF_AMOUNT_MISMATCH.
Exec<Plan> plan_repayment(const Loan& loan, Date t, std::int64_t amount, RepayIntent intent,
                          std::optional<Date> business_date);

// The full payoff at t: plan_repayment with amount = total owed and intent PAYOFF.
Exec<Plan> plan_payoff(const Loan& loan, Date t);

// Fills a repayment event's allocation (accrual, buckets, per-tranche parts and fees, principal
// before/after, status) from a plan. Used by loan.repay and by quotePayoff alike.
void fill_event(const Loan& before, const Plan& plan, LoanEvent& ev);

// Days past due at t: t - oldest unpaid due date when that is before t, else 0.
std::int64_t days_past_due(const Loan& loan, Date t);

}  // namespace jc::contracts::servicing
