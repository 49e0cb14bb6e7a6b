// An independent exact-integer model of a joint loan, written from DOMAIN.md's rules for the
// differential tests. It shares no code with the engine: dates come from std::chrono, quotas
// and rounding from boost::multiprecision::cpp_int, accrual is integrated DAY BY DAY (the
// engine integrates segments between due dates), and largest remainder hands out the leftover
// fen one at a time by linear scans (the engine sorts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jc::contracts::model {

struct Tranche {
    std::string bank;
    std::int64_t share_bps = 0;
    bool servicer = false;
    int fee_bps = 0;
    bool fee_on_penalty = true;
    std::int64_t orig = 0, out = 0, interest_unpaid = 0, penalty_unpaid = 0;
    std::int64_t principal_paid = 0, interest_paid = 0, penalty_paid = 0, fee_base_cum = 0, fee_cum = 0;
};

struct Installment {
    int due = 0;  // days since 1970-01-01
    std::int64_t amount = 0;
    std::int64_t paid = 0;
};

struct Loan {
    std::int64_t principal = 0;
    std::int64_t rate_ppb = 0;
    std::int64_t penalty_rate_ppb = 0;
    std::int64_t denominator = 1'000'000'000;  // 1e9 x {1, 360, 365}
    bool replace = true;
    bool half_even = false;
    int last_accrual = 0;
    int last_event = 0;
    bool paid_off = false;
    std::uint32_t seq = 1;
    std::vector<Tranche> tranches;
    std::vector<Installment> installments;
};

// Largest remainder (fraction desc, weight desc, index asc).
std::vector<std::int64_t> lrm(std::int64_t amount, const std::vector<std::int64_t>& weights);
// Monthly due dates from `first` with month-end clamping on first's day of month (std::chrono).
std::optional<std::vector<int>> monthly_dates(int first, int n);

struct Repayment {
    int code = 0;  // 0 OK, else the expected rejection code
    std::int64_t days = 0, interest_accrued = 0, penalty_accrued = 0;
    std::int64_t penalty = 0, interest = 0, principal_due = 0, principal_prepaid = 0;
    std::vector<std::int64_t> t_penalty, t_interest, t_principal_due, t_principal_prepaid, t_fee;
};

// Total owed at t (after accrual on a copy).
std::int64_t payoff(const Loan& loan, int t);
// Amount of interest + penalty + principal due on or before t (after accrual on a copy).
std::int64_t due_now(const Loan& loan, int t);
// Applies a repayment (or reports the rejection code it must get, leaving loan unchanged).
Repayment repay(Loan& loan, int t, std::int64_t amount, bool payoff_intent, int business_date);

}  // namespace jc::contracts::model
