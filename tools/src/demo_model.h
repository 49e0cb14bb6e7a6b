// The demo's independent model of DOMAIN.md's money rules: what the engine's numbers must be.
//
// It is written from DOMAIN.md (A.2 interest, A.3 rounding, A.4 largest remainder, A.5 dates,
// B.2 postings, B.3 waterfall) without using the contract engine's code, so that the demo's
// checks compare two implementations, not one with itself. Exact integers only: amounts in
// fen (int64), intermediate products in 128-bit integers.
//
// Rules as modelled (the engine's documented conventions, docs/spec and contracts/servicing.h):
// - tranche principal = largest-remainder split of the principal by share bps;
// - EQUAL_PRINCIPAL instalments = split_evenly(P, n), due monthly on first_due_date's day
//   (clamped to month end);
// - accrual over [last, t) in segments cut at due dates; with REPLACE the contract rate runs on
//   principal not yet overdue and the penalty rate on overdue principal; each of interest and
//   penalty is rounded half-up ONCE per accrual and split over tranches by principal_out;
// - waterfall fees -> penalty -> interest -> principal due (oldest first) -> prepayment (latest
//   instalment first); each bucket split by the tranches' claims in that bucket;
// - partner service fee by cumulative half-up rounding of its collected fee base.
//
// Thread-safety: values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace jc::tools::model {

using Fen = std::int64_t;
using Days = std::int64_t;  // days since 1970-01-01
__extension__ using Wide = __int128;

Days days_from_civil(std::int64_t y, unsigned m, unsigned d);
Days parse_date(const std::string& yyyy_mm_dd);  // REQUIRES: a valid date
std::string format_date(Days days);
// The same day `months` months after `date`, clamped to the end of the month.
Days add_months(Days date, int months);

// round_half_up(n / d) for n >= 0, d > 0.
Fen round_half_up(Wide n, Wide d);
// DOMAIN.md A.4: parts summing exactly to `amount`, tie-break (remainder desc, weight desc,
// index asc). REQUIRES: amount == 0 or sum(weights) > 0.
std::vector<Fen> allocate(Fen amount, const std::vector<Fen>& weights);
// DOMAIN.md A.3: q = P / n, the first P mod n instalments get q + 1.
std::vector<Fen> split_evenly(Fen principal, int n);

struct TrancheTerms {
    std::string bank_id;
    int share_bps = 0;
    int fee_bps = 0;  // service fee this partner pays the servicer (0 for the servicer)
};

struct LoanTerms {
    std::string loan_id;
    std::string servicer;
    Fen principal = 0;
    std::string value_date;
    std::int64_t rate_ppb = 0;          // DAILY basis
    std::int64_t penalty_rate_ppb = 0;  // DAILY basis, REPLACE mode
    int installments = 1;
    std::string first_due_date;
    std::vector<TrancheTerms> tranches;  // servicer first
};

// One tranche's part of a repayment (a DOMAIN.md E2 row, per bank).
struct TranchePart {
    std::string bank_id;
    Fen principal = 0;
    Fen interest = 0;
    Fen penalty = 0;
    Fen fee = 0;            // paid by this partner to the servicer
    Fen servicer_owes = 0;  // principal + interest + penalty - fee (partners only)
};

struct Repayment {
    Days accrual_days = 0;
    Fen interest_accrued = 0;
    Fen penalty_accrued = 0;
    Fen penalty = 0;
    Fen interest = 0;
    Fen principal_due = 0;
    Fen principal_prepaid = 0;
    std::vector<TranchePart> parts;
    Fen principal_out_after = 0;
    bool paid_off = false;
};

struct Owed {
    Fen penalty = 0;
    Fen interest = 0;
    Fen principal_due = 0;
    Fen principal_not_due = 0;
    [[nodiscard]] Fen due() const { return penalty + interest + principal_due; }
    [[nodiscard]] Fen total() const { return due() + principal_not_due; }
};

class Loan {
public:
    explicit Loan(LoanTerms terms);

    [[nodiscard]] const LoanTerms& terms() const { return terms_; }
    [[nodiscard]] Fen tranche_principal(std::size_t i) const { return orig_[i]; }
    [[nodiscard]] const std::vector<Fen>& schedule() const { return due_; }
    [[nodiscard]] std::vector<Days> due_dates() const;
    [[nodiscard]] Fen principal_out() const;
    // Days past due at t (0 on the due date itself).
    [[nodiscard]] Days dpd(Days t) const;
    // What the borrower owes at t, accrued to t.
    [[nodiscard]] Owed owed(Days t) const;
    // Applies a repayment of `amount` at t. REQUIRES: t >= the last event, amount <= owed(t).total().
    Repayment repay(Days t, Fen amount);

private:
    struct Accrued {
        Fen interest = 0;
        Fen penalty = 0;
        std::vector<Fen> tranche_interest;
        std::vector<Fen> tranche_penalty;
    };
    [[nodiscard]] Accrued accrue(Days t) const;

    LoanTerms terms_;
    std::vector<Fen> orig_;  // tranche principal at origination
    std::vector<Fen> out_;   // tranche principal outstanding
    std::vector<Fen> interest_unpaid_;
    std::vector<Fen> penalty_unpaid_;
    std::vector<Fen> fee_base_cum_;
    std::vector<Fen> fee_cum_;
    std::vector<Fen> due_;   // instalment principal
    std::vector<Fen> paid_;  // instalment principal paid
    std::vector<Days> due_date_;
    Days last_accrual_ = 0;
};

// Bilateral obligations of one cycle: amount owed debtor -> creditor by category
// ("FUNDING", "PRINCIPAL", "INTEREST", "PENALTY", "SERVICE_FEE").
class Obligations {
public:
    void add(const std::string& debtor, const std::string& creditor, const std::string& category, Fen amount);
    void originated(const Loan& loan);
    void repaid(const Loan& loan, const Repayment& r);

    // Σ debtor -> creditor in one category.
    [[nodiscard]] Fen get(const std::string& debtor, const std::string& creditor, const std::string& category) const;
    // What `counterparty` owes `bank` net: the INTERBANK[counterparty] balance in bank's books.
    [[nodiscard]] Fen interbank_net(const std::string& bank, const std::string& counterparty) const;
    [[nodiscard]] const std::map<std::tuple<std::string, std::string, std::string>, Fen>& all() const { return by_key_; }

private:
    std::map<std::tuple<std::string, std::string, std::string>, Fen> by_key_;
};

}  // namespace jc::tools::model
