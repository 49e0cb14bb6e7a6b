#include "servicing.h"

#include <jc/contracts/arith/allocate.h>
#include <jc/contracts/arith/day_count.h>
#include <jc/core/assert.h>

#include <algorithm>
#include <span>

namespace jc::contracts::servicing {

namespace {

// Splits `amount` over the loan's tranches by `weight(t)`, writing into `out`.
template <typename Weight>
void split(const Loan& loan, std::int64_t amount, Weight weight, TrancheAmounts& out) {
    const std::size_t k = loan.tranches.size();
    std::array<std::int64_t, kTranchesMax> w{};
    for (std::size_t i = 0; i < k; ++i) {
        w[i] = weight(loan.tranches[i]);
    }
    const auto status = arith::allocate_lrm(amount, std::span<const std::int64_t>(w.data(), k),
                                            std::span<std::int64_t>(out.data(), k));
    // Callers only split amounts no larger than the claims they are weighted by, and a positive
    // amount always has a positive claim behind it: an invalid split is an engine bug.
    JC_ASSERT(status == arith::AllocateStatus::kOk, "contracts.servicing.split_valid");
}

bool add_to(std::int64_t& field, std::int64_t delta) {
    const auto r = arith::add_checked(field, delta);
    if (!r) {
        return false;
    }
    field = *r;
    return true;
}

}  // namespace

Exec<Accrual> accrue(Loan& loan, Date t) {
    JC_ASSERT(t >= loan.last_accrual_date, "contracts.servicing.accrual_forward");
    Accrual a;
    a.days = t - loan.last_accrual_date;
    if (a.days == 0) {
        return a;
    }
    const std::int64_t principal_out = loan.principal_out();
    arith::InterestAccrual interest(loan.rate_ppb, loan.basis);
    arith::InterestAccrual penalty(loan.penalty_rate_ppb, loan.basis);

    // Walk segments [s, e) between due dates. `overdue` is the unpaid principal of instalments
    // due on or before s; it changes only when a due date is crossed.
    Date s = loan.last_accrual_date;
    std::size_t next = 0;
    std::int64_t overdue = 0;
    const auto& inst = loan.installments;
    while (next < inst.size() && inst[next].due_date <= s) {
        overdue += inst[next].unpaid();
        ++next;
    }
    while (s < t) {
        const Date e = next < inst.size() ? std::min<Date>(t, inst[next].due_date) : t;
        const std::int64_t days = e - s;
        const std::int64_t not_overdue = principal_out - overdue;
        if (loan.penalty_mode == PenaltyMode::kReplace) {
            interest.add(not_overdue, days);
        } else {
            interest.add(principal_out, days);
        }
        penalty.add(overdue, days);
        s = e;
        while (next < inst.size() && inst[next].due_date <= s) {
            overdue += inst[next].unpaid();
            ++next;
        }
    }
    const auto interest_total = interest.rounded(loan.rounding);
    const auto penalty_total = penalty.rounded(loan.rounding);
    if (!interest_total || !penalty_total) {
        return overflow("accrual");
    }
    a.interest = *interest_total;
    a.penalty = *penalty_total;
    // Interest and penalty accrue to each tranche in proportion to its principal over the
    // period, which is constant between events (accrual always runs before principal changes).
    split(loan, a.interest, [](const Tranche& tr) { return tr.principal_out; }, a.tranche_interest);
    split(loan, a.penalty, [](const Tranche& tr) { return tr.principal_out; }, a.tranche_penalty);
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        if (!add_to(loan.tranches[i].interest_unpaid, a.tranche_interest[i]) ||
            !add_to(loan.tranches[i].penalty_unpaid, a.tranche_penalty[i])) {
            return overflow("accrual");
        }
    }
    // The loan-level sums must stay representable too: owed() adds them.
    I128 interest_sum = 0;
    I128 penalty_sum = 0;
    for (const auto& tr : loan.tranches) {
        interest_sum += tr.interest_unpaid;
        penalty_sum += tr.penalty_unpaid;
    }
    if (!arith::narrow(interest_sum) || !arith::narrow(penalty_sum)) {
        return overflow("accrual");
    }
    loan.last_accrual_date = t;
    return a;
}

Owed owed(const Loan& accrued, Date t) {
    Owed o;
    o.fees = accrued.fees_unpaid;
    o.penalty = accrued.penalty_unpaid();
    o.interest = accrued.interest_unpaid();
    for (const auto& i : accrued.installments) {
        if (i.due_date <= t) {
            o.principal_due += i.unpaid();
        }
    }
    o.principal_not_due = accrued.principal_out() - o.principal_due;
    o.total = static_cast<I128>(o.fees) + o.penalty + o.interest + o.principal_due + o.principal_not_due;
    return o;
}

Exec<Plan> plan_repayment(const Loan& loan, Date t, std::int64_t amount, RepayIntent intent,
                          std::optional<Date> business_date) {
    if (loan.status != LoanStatus::kActive) {
        return reject(Code::kLoanState, json::Value{{"loan_id", loan.loan_id},
                                                    {"status", std::string(name(loan.status))},
                                                    {"reason", "repayment needs an ACTIVE loan"}});
    }
    if (t < loan.last_event_date) {
        return reject(Code::kValueDateBeforeLastEvent,
                      json::Value{{"value_date", arith::format_date(t)},
                                  {"last_event_date", arith::format_date(loan.last_event_date)}});
    }
    if (business_date && t > *business_date) {
        return reject(Code::kValueDateInFuture, json::Value{{"value_date", arith::format_date(t)},
                                                            {"business_date", arith::format_date(*business_date)}});
    }
    Plan p;
    p.after = loan;
    Loan& l = p.after;
    JC_EXEC_ASSIGN(p.accrual, accrue(l, t));
    p.owed = owed(l, t);
    p.amount = amount;
    if (static_cast<I128>(amount) > p.owed.total) {
        return reject(Code::kOverpayment,
                      json::Value{{"amount", std::to_string(amount)},
                                  {"owed", arith::to_string_i128(p.owed.total)},
                                  {"value_date", arith::format_date(t)}});
    }
    if (intent == RepayIntent::kPayoff && static_cast<I128>(amount) != p.owed.total) {
        return reject(Code::kPayoffAmountMismatch,
                      json::Value{{"amount", std::to_string(amount)},
                                  {"payoff_amount", arith::to_string_i128(p.owed.total)},
                                  {"value_date", arith::format_date(t)}});
    }
    const std::size_t k = l.tranches.size();
    std::int64_t rest = amount;
    auto take = [&rest](std::int64_t bucket) {
        const std::int64_t paid = std::min(rest, bucket);
        rest -= paid;
        return paid;
    };
    // v1 has no fee-charging transaction, so the fee bucket is always empty (docs/spec).
    JC_ASSERT(l.fees_unpaid == 0, "contracts.servicing.no_fees_in_v1");
    p.fees = take(p.owed.fees);
    p.penalty = take(p.owed.penalty);
    split(l, p.penalty, [](const Tranche& tr) { return tr.penalty_unpaid; }, p.tranche_penalty);
    p.interest = take(p.owed.interest);
    split(l, p.interest, [](const Tranche& tr) { return tr.interest_unpaid; }, p.tranche_interest);
    for (std::size_t i = 0; i < k; ++i) {
        Tranche& tr = l.tranches[i];
        tr.penalty_unpaid -= p.tranche_penalty[i];
        tr.penalty_paid += p.tranche_penalty[i];
        tr.interest_unpaid -= p.tranche_interest[i];
        tr.interest_paid += p.tranche_interest[i];
    }
    // Principal due: instalments due on or before t, oldest first.
    p.principal_due = take(p.owed.principal_due);
    {
        std::int64_t left = p.principal_due;
        for (std::size_t i = 0; i < l.installments.size(); ++i) {
            auto& inst = l.installments[i];
            if (left == 0 || inst.due_date > t) {
                break;
            }
            const std::int64_t pay = std::min(left, inst.unpaid());
            if (pay > 0) {
                inst.principal_paid += pay;
                p.applied.push_back(InstallmentApplication{static_cast<std::uint32_t>(i), pay});
            }
            left -= pay;
        }
        JC_ASSERT(left == 0, "contracts.servicing.principal_due_applied");
    }
    split(l, p.principal_due, [](const Tranche& tr) { return tr.principal_out; }, p.tranche_principal_due);
    for (std::size_t i = 0; i < k; ++i) {
        l.tranches[i].principal_out -= p.tranche_principal_due[i];
        l.tranches[i].principal_paid += p.tranche_principal_due[i];
    }
    // Prepayment (SHORTEN): the rest reduces the latest instalments first, so the term shortens
    // and the nearer instalments keep their amounts.
    p.principal_prepaid = take(p.owed.principal_not_due);
    JC_ASSERT(rest == 0, "contracts.servicing.payment_fully_applied");
    {
        std::int64_t left = p.principal_prepaid;
        std::vector<InstallmentApplication> prepaid;
        for (std::size_t i = l.installments.size(); i > 0 && left > 0; --i) {
            auto& inst = l.installments[i - 1];
            const std::int64_t pay = std::min(left, inst.unpaid());
            if (pay > 0) {
                inst.principal_paid += pay;
                prepaid.push_back(InstallmentApplication{static_cast<std::uint32_t>(i - 1), pay});
            }
            left -= pay;
        }
        // Schedule order: prepaid instalments are all later than the due ones.
        p.applied.insert(p.applied.end(), prepaid.rbegin(), prepaid.rend());
        JC_ASSERT(left == 0, "contracts.servicing.prepayment_applied");
    }
    split(l, p.principal_prepaid, [](const Tranche& tr) { return tr.principal_out; },
          p.tranche_principal_prepaid);
    for (std::size_t i = 0; i < k; ++i) {
        l.tranches[i].principal_out -= p.tranche_principal_prepaid[i];
        l.tranches[i].principal_paid += p.tranche_principal_prepaid[i];
    }
    // Service fee: cumulative rounding on the partner's collected fee base (DOMAIN.md A.3).
    for (std::size_t i = 0; i < k; ++i) {
        Tranche& tr = l.tranches[i];
        if (tr.bank_id == l.servicer) {
            continue;
        }
        std::int64_t base = p.tranche_interest[i];
        if (tr.fee_base == FeeBase::kInterestAndPenalty) {
            base += p.tranche_penalty[i];
        }
        if (!add_to(tr.fee_base_cum, base)) {
            return overflow("service fee base");
        }
        const auto fee_cum = arith::narrow(arith::round_half_up(arith::wide_mul(tr.fee_base_cum, tr.fee_bps), 10000));
        if (!fee_cum) {
            return overflow("service fee");
        }
        p.tranche_fee[i] = *fee_cum - tr.fee_cum;
        tr.fee_cum = *fee_cum;
    }
    l.last_event_date = t;
    l.event_seq += 1;
    if (l.principal_out() == 0) {
        l.status = LoanStatus::kPaidOff;
    }
    return p;
}

Exec<Plan> plan_payoff(const Loan& loan, Date t) {
    if (loan.status != LoanStatus::kActive || t < loan.last_event_date) {
        // plan_repayment reports these with their codes.
        return plan_repayment(loan, t, 0, RepayIntent::kPayoff, std::nullopt);
    }
    Loan accrued = loan;
    JC_EXEC_TRY(accrue(accrued, t));
    const auto total = arith::narrow(owed(accrued, t).total);
    if (!total) {
        return overflow("payoff amount");
    }
    return plan_repayment(loan, t, *total, RepayIntent::kPayoff, std::nullopt);
}

void fill_event(const Loan& before, const Plan& plan, LoanEvent& ev) {
    const Loan& after = plan.after;
    ev.type = EventType::kRepay;
    ev.event_seq = after.event_seq;
    ev.amount = plan.amount;
    ev.accrual_days = plan.accrual.days;
    ev.interest_accrued = plan.accrual.interest;
    ev.penalty_accrued = plan.accrual.penalty;
    ev.fees = plan.fees;
    ev.penalty = plan.penalty;
    ev.interest = plan.interest;
    ev.principal_due = plan.principal_due;
    ev.principal_prepaid = plan.principal_prepaid;
    ev.principal_out_before = before.principal_out();
    ev.principal_out_after = after.principal_out();
    ev.status_after = after.status;
    ev.applied = plan.applied;
    ev.tranches.clear();
    for (std::size_t i = 0; i < after.tranches.size(); ++i) {
        const Tranche& tr = after.tranches[i];
        TrancheAllocation a;
        a.interest_accrued = plan.accrual.tranche_interest[i];
        a.penalty_accrued = plan.accrual.tranche_penalty[i];
        a.penalty = plan.tranche_penalty[i];
        a.interest = plan.tranche_interest[i];
        a.principal_due = plan.tranche_principal_due[i];
        a.principal_prepaid = plan.tranche_principal_prepaid[i];
        a.fee = plan.tranche_fee[i];
        a.fee_base_cum = tr.fee_base_cum;
        a.fee_cum = tr.fee_cum;
        a.principal_out_after = tr.principal_out;
        ev.tranches.push_back(a);
    }
}

std::int64_t days_past_due(const Loan& loan, Date t) {
    for (const auto& inst : loan.installments) {
        if (inst.unpaid() > 0) {
            return inst.due_date < t ? t - inst.due_date : 0;
        }
    }
    return 0;
}

}  // namespace jc::contracts::servicing
