#include "model.h"

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>
#include <chrono>

namespace jc::contracts::model {

using Big = boost::multiprecision::cpp_int;

namespace {

std::int64_t to_i64(const Big& v) { return v.convert_to<std::int64_t>(); }

// round(n / d), n >= 0, d > 0.
Big round_div(const Big& n, const Big& d, bool half_even) {
    const Big q = n / d;
    const Big r = n % d;
    if (r * 2 > d) {
        return q + 1;
    }
    if (r * 2 < d) {
        return q;
    }
    if (!half_even) {
        return q + 1;
    }
    return (q % 2 == 0) ? q : Big(q + 1);
}

struct Accrued {
    std::int64_t days = 0, interest = 0, penalty = 0;
    std::vector<std::int64_t> ti, tp;
};

Accrued accrue(Loan& l, int t) {
    Accrued a;
    a.days = t - l.last_accrual;
    Big ni = 0;
    Big np = 0;
    std::int64_t out = 0;
    for (const auto& tr : l.tranches) {
        out += tr.out;
    }
    for (int d = l.last_accrual; d < t; ++d) {
        std::int64_t overdue = 0;
        for (const auto& i : l.installments) {
            if (i.due <= d) {
                overdue += i.amount - i.paid;
            }
        }
        ni += Big(l.replace ? out - overdue : out) * l.rate_ppb;
        np += Big(overdue) * l.penalty_rate_ppb;
    }
    a.interest = to_i64(round_div(ni, l.denominator, l.half_even));
    a.penalty = to_i64(round_div(np, l.denominator, l.half_even));
    std::vector<std::int64_t> w;
    for (const auto& tr : l.tranches) {
        w.push_back(tr.out);
    }
    a.ti = lrm(a.interest, w);
    a.tp = lrm(a.penalty, w);
    for (std::size_t k = 0; k < l.tranches.size(); ++k) {
        l.tranches[k].interest_unpaid += a.ti[k];
        l.tranches[k].penalty_unpaid += a.tp[k];
    }
    l.last_accrual = t;
    return a;
}

}  // namespace

std::vector<std::int64_t> lrm(std::int64_t amount, const std::vector<std::int64_t>& weights) {
    Big total = 0;
    for (auto w : weights) {
        total += w;
    }
    std::vector<std::int64_t> out(weights.size(), 0);
    if (amount == 0) {
        return out;
    }
    std::vector<Big> rem(weights.size());
    Big given = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const Big p = Big(amount) * weights[i];
        out[i] = to_i64(p / total);
        rem[i] = p % total;
        given += out[i];
    }
    std::vector<bool> used(weights.size(), false);
    for (Big left = Big(amount) - given; left > 0; --left) {
        std::size_t best = weights.size();
        for (std::size_t i = 0; i < weights.size(); ++i) {
            if (!used[i] && (best == weights.size() || rem[i] > rem[best] ||
                             (rem[i] == rem[best] && weights[i] > weights[best]))) {
                best = i;
            }
        }
        used[best] = true;
        ++out[best];
    }
    return out;
}

std::optional<std::vector<int>> monthly_dates(int first, int n) {
    using namespace std::chrono;
    const year_month_day f{sys_days{days{first}}};
    std::vector<int> out;
    for (int k = 0; k < n; ++k) {
        const year_month ym = year_month{f.year(), f.month()} + months{k};
        if (static_cast<int>(ym.year()) > 9999) {
            return std::nullopt;
        }
        const unsigned last = static_cast<unsigned>(year_month_day_last{ym.year(), month_day_last{ym.month()}}.day());
        const unsigned d = std::min(static_cast<unsigned>(f.day()), last);
        out.push_back(static_cast<int>(sys_days{year_month_day{ym.year(), ym.month(), day{d}}}.time_since_epoch().count()));
    }
    return out;
}

std::int64_t payoff(const Loan& loan, int t) {
    Loan l = loan;
    accrue(l, t);
    std::int64_t total = 0;
    for (const auto& tr : l.tranches) {
        total += tr.out + tr.interest_unpaid + tr.penalty_unpaid;
    }
    return total;
}

std::int64_t due_now(const Loan& loan, int t) {
    Loan l = loan;
    accrue(l, t);
    std::int64_t total = 0;
    for (const auto& tr : l.tranches) {
        total += tr.interest_unpaid + tr.penalty_unpaid;
    }
    for (const auto& i : l.installments) {
        if (i.due <= t) {
            total += i.amount - i.paid;
        }
    }
    return total;
}

Repayment repay(Loan& loan, int t, std::int64_t amount, bool payoff_intent, int business_date) {
    Repayment r;
    if (loan.paid_off) {
        r.code = 5002;
        return r;
    }
    if (t < loan.last_event) {
        r.code = 5003;
        return r;
    }
    if (t > business_date) {
        r.code = 5004;
        return r;
    }
    const std::int64_t owed = payoff(loan, t);
    if (amount > owed) {
        r.code = 5005;
        return r;
    }
    if (payoff_intent && amount != owed) {
        r.code = 5006;
        return r;
    }
    Loan& l = loan;
    const Accrued a = accrue(l, t);
    r.days = a.days;
    r.interest_accrued = a.interest;
    r.penalty_accrued = a.penalty;
    const std::size_t k = l.tranches.size();
    std::int64_t rest = amount;
    // Penalty, then interest, each by outstanding claim.
    std::int64_t pen_total = 0, int_total = 0;
    std::vector<std::int64_t> wp, wi;
    for (const auto& tr : l.tranches) {
        pen_total += tr.penalty_unpaid;
        int_total += tr.interest_unpaid;
        wp.push_back(tr.penalty_unpaid);
        wi.push_back(tr.interest_unpaid);
    }
    r.penalty = std::min(rest, pen_total);
    rest -= r.penalty;
    r.t_penalty = lrm(r.penalty, wp);
    r.interest = std::min(rest, int_total);
    rest -= r.interest;
    r.t_interest = lrm(r.interest, wi);
    for (std::size_t i = 0; i < k; ++i) {
        l.tranches[i].penalty_unpaid -= r.t_penalty[i];
        l.tranches[i].penalty_paid += r.t_penalty[i];
        l.tranches[i].interest_unpaid -= r.t_interest[i];
        l.tranches[i].interest_paid += r.t_interest[i];
    }
    // Principal due on or before t, oldest first; then the rest from the last instalment back.
    std::int64_t due = 0;
    for (const auto& i : l.installments) {
        if (i.due <= t) {
            due += i.amount - i.paid;
        }
    }
    r.principal_due = std::min(rest, due);
    rest -= r.principal_due;
    for (std::int64_t left = r.principal_due, idx = 0; left > 0; ++idx) {
        auto& i = l.installments[static_cast<std::size_t>(idx)];
        const std::int64_t pay = std::min(left, i.amount - i.paid);
        i.paid += pay;
        left -= pay;
    }
    auto by_out = [&] {
        std::vector<std::int64_t> w;
        for (const auto& tr : l.tranches) {
            w.push_back(tr.out);
        }
        return w;
    };
    r.t_principal_due = lrm(r.principal_due, by_out());
    for (std::size_t i = 0; i < k; ++i) {
        l.tranches[i].out -= r.t_principal_due[i];
        l.tranches[i].principal_paid += r.t_principal_due[i];
    }
    r.principal_prepaid = rest;
    for (std::int64_t left = rest, idx = static_cast<std::int64_t>(l.installments.size()) - 1; left > 0; --idx) {
        auto& i = l.installments[static_cast<std::size_t>(idx)];
        const std::int64_t pay = std::min(left, i.amount - i.paid);
        i.paid += pay;
        left -= pay;
    }
    r.t_principal_prepaid = lrm(r.principal_prepaid, by_out());
    for (std::size_t i = 0; i < k; ++i) {
        l.tranches[i].out -= r.t_principal_prepaid[i];
        l.tranches[i].principal_paid += r.t_principal_prepaid[i];
    }
    r.t_fee.assign(k, 0);
    for (std::size_t i = 0; i < k; ++i) {
        Tranche& tr = l.tranches[i];
        if (tr.servicer) {
            continue;
        }
        tr.fee_base_cum += r.t_interest[i] + (tr.fee_on_penalty ? r.t_penalty[i] : 0);
        const std::int64_t cum = to_i64(round_div(Big(tr.fee_base_cum) * tr.fee_bps, 10000, false));
        r.t_fee[i] = cum - tr.fee_cum;
        tr.fee_cum = cum;
    }
    l.last_event = t;
    l.seq += 1;
    std::int64_t out = 0;
    for (const auto& tr : l.tranches) {
        out += tr.out;
    }
    l.paid_off = out == 0;
    return r;
}

}  // namespace jc::contracts::model
