#include "demo_model.h"

#include <jc/core/assert.h>

#include <algorithm>
#include <numeric>

namespace jc::tools::model {

namespace {

constexpr std::int64_t kPpb = 1'000'000'000;

Fen sum(const std::vector<Fen>& v) { return std::accumulate(v.begin(), v.end(), Fen{0}); }

// Civil date from days since 1970-01-01 (Hinnant's civil_from_days).
void civil_from_days(Days z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Days days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Days parse_date(const std::string& s) {
    JC_ASSERT(s.size() == 10 && s[4] == '-' && s[7] == '-', "tools.model.date_form");
    const std::int64_t y = std::stoll(s.substr(0, 4));
    const auto m = static_cast<unsigned>(std::stoul(s.substr(5, 2)));
    const auto d = static_cast<unsigned>(std::stoul(s.substr(8, 2)));
    JC_ASSERT(m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m), "tools.model.date_valid");
    return days_from_civil(y, m, d);
}

std::string format_date(Days days) {
    std::int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(days, y, m, d);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(y), m, d);
    return buf;
}

Days add_months(Days date, int months) {
    std::int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(date, y, m, d);
    const std::int64_t index = y * 12 + (m - 1) + months;
    const std::int64_t ny = index / 12;
    const auto nm = static_cast<unsigned>(index % 12 + 1);
    return days_from_civil(ny, nm, std::min(d, days_in_month(ny, nm)));
}

Fen round_half_up(Wide n, Wide d) {
    JC_ASSERT(n >= 0 && d > 0, "tools.model.round_args");
    return static_cast<Fen>((2 * n + d) / (2 * d));
}

std::vector<Fen> allocate(Fen amount, const std::vector<Fen>& weights) {
    const Wide total = std::accumulate(weights.begin(), weights.end(), Wide{0});
    std::vector<Fen> parts(weights.size(), 0);
    if (amount == 0) {
        return parts;
    }
    JC_ASSERT(total > 0, "tools.model.allocate_weights");
    std::vector<Wide> rem(weights.size());
    Fen left = amount;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const Wide product = static_cast<Wide>(amount) * weights[i];
        parts[i] = static_cast<Fen>(product / total);
        rem[i] = product % total;
        left -= parts[i];
    }
    std::vector<std::size_t> order(weights.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (rem[a] != rem[b]) {
            return rem[a] > rem[b];
        }
        if (weights[a] != weights[b]) {
            return weights[a] > weights[b];
        }
        return a < b;
    });
    for (std::size_t j = 0; j < static_cast<std::size_t>(left); ++j) {
        parts[order[j]] += 1;
    }
    return parts;
}

std::vector<Fen> split_evenly(Fen principal, int n) {
    const Fen q = principal / n;
    const Fen r = principal % n;
    std::vector<Fen> out(static_cast<std::size_t>(n), q);
    for (Fen i = 0; i < r; ++i) {
        out[static_cast<std::size_t>(i)] += 1;
    }
    return out;
}

Loan::Loan(LoanTerms terms) : terms_(std::move(terms)) {
    std::vector<Fen> shares;
    for (const auto& t : terms_.tranches) {
        shares.push_back(t.share_bps);
    }
    orig_ = allocate(terms_.principal, shares);
    out_ = orig_;
    const std::size_t k = orig_.size();
    interest_unpaid_.assign(k, 0);
    penalty_unpaid_.assign(k, 0);
    fee_base_cum_.assign(k, 0);
    fee_cum_.assign(k, 0);
    due_ = split_evenly(terms_.principal, terms_.installments);
    paid_.assign(due_.size(), 0);
    const Days first = parse_date(terms_.first_due_date);
    for (int i = 0; i < terms_.installments; ++i) {
        due_date_.push_back(add_months(first, i));
    }
    last_accrual_ = parse_date(terms_.value_date);
}

std::vector<Days> Loan::due_dates() const { return due_date_; }

Fen Loan::principal_out() const { return sum(out_); }

Days Loan::dpd(Days t) const {
    for (std::size_t i = 0; i < due_.size(); ++i) {
        if (paid_[i] < due_[i]) {
            return due_date_[i] < t ? t - due_date_[i] : 0;
        }
    }
    return 0;
}

Loan::Accrued Loan::accrue(Days t) const {
    JC_ASSERT(t >= last_accrual_, "tools.model.accrue_forward");
    Wide interest_days = 0;  // Σ principal not yet overdue × days
    Wide penalty_days = 0;   // Σ overdue principal × days
    const Fen out = principal_out();
    Days s = last_accrual_;
    while (s < t) {
        Fen overdue = 0;
        Days next = t;
        for (std::size_t i = 0; i < due_.size(); ++i) {
            if (due_date_[i] <= s) {
                overdue += due_[i] - paid_[i];
            } else {
                next = std::min(next, due_date_[i]);
            }
        }
        interest_days += static_cast<Wide>(out - overdue) * (next - s);
        penalty_days += static_cast<Wide>(overdue) * (next - s);
        s = next;
    }
    Accrued a;
    a.interest = round_half_up(interest_days * terms_.rate_ppb, kPpb);
    a.penalty = round_half_up(penalty_days * terms_.penalty_rate_ppb, kPpb);
    a.tranche_interest = allocate(a.interest, out_);
    a.tranche_penalty = allocate(a.penalty, out_);
    return a;
}

Owed Loan::owed(Days t) const {
    const Accrued a = accrue(t);
    Owed o;
    o.penalty = sum(penalty_unpaid_) + a.penalty;
    o.interest = sum(interest_unpaid_) + a.interest;
    for (std::size_t i = 0; i < due_.size(); ++i) {
        if (due_date_[i] <= t) {
            o.principal_due += due_[i] - paid_[i];
        }
    }
    o.principal_not_due = principal_out() - o.principal_due;
    return o;
}

Repayment Loan::repay(Days t, Fen amount) {
    const Owed owed_at_t = owed(t);
    JC_ASSERT(amount > 0 && amount <= owed_at_t.total(), "tools.model.repay_amount");
    const Accrued a = accrue(t);
    const std::size_t k = out_.size();
    for (std::size_t i = 0; i < k; ++i) {
        interest_unpaid_[i] += a.tranche_interest[i];
        penalty_unpaid_[i] += a.tranche_penalty[i];
    }
    Repayment r;
    r.accrual_days = t - last_accrual_;
    r.interest_accrued = a.interest;
    r.penalty_accrued = a.penalty;
    last_accrual_ = t;
    Fen rest = amount;
    auto take = [&rest](Fen bucket) {
        const Fen paid = std::min(rest, bucket);
        rest -= paid;
        return paid;
    };
    r.penalty = take(owed_at_t.penalty);
    const auto pen = allocate(r.penalty, penalty_unpaid_);
    r.interest = take(owed_at_t.interest);
    const auto in = allocate(r.interest, interest_unpaid_);
    r.principal_due = take(owed_at_t.principal_due);
    Fen left = r.principal_due;
    for (std::size_t i = 0; i < due_.size() && left > 0 && due_date_[i] <= t; ++i) {
        const Fen pay = std::min(left, due_[i] - paid_[i]);
        paid_[i] += pay;
        left -= pay;
    }
    const auto pr_due = allocate(r.principal_due, out_);
    for (std::size_t i = 0; i < k; ++i) {
        out_[i] -= pr_due[i];
    }
    r.principal_prepaid = take(owed_at_t.principal_not_due);
    JC_ASSERT(rest == 0, "tools.model.repay_applied");
    left = r.principal_prepaid;
    for (std::size_t i = due_.size(); i-- > 0 && left > 0;) {
        const Fen pay = std::min(left, due_[i] - paid_[i]);
        paid_[i] += pay;
        left -= pay;
    }
    const auto pr_pre = allocate(r.principal_prepaid, out_);
    for (std::size_t i = 0; i < k; ++i) {
        out_[i] -= pr_pre[i];
        penalty_unpaid_[i] -= pen[i];
        interest_unpaid_[i] -= in[i];
        TranchePart part;
        part.bank_id = terms_.tranches[i].bank_id;
        part.principal = pr_due[i] + pr_pre[i];
        part.interest = in[i];
        part.penalty = pen[i];
        if (part.bank_id != terms_.servicer) {
            fee_base_cum_[i] += in[i] + pen[i];  // fee base INTEREST_AND_PENALTY (the default)
            const Fen fee_cum =
                round_half_up(static_cast<Wide>(fee_base_cum_[i]) * terms_.tranches[i].fee_bps, 10'000);
            part.fee = fee_cum - fee_cum_[i];
            fee_cum_[i] = fee_cum;
            part.servicer_owes = part.principal + part.interest + part.penalty - part.fee;
        }
        r.parts.push_back(part);
    }
    r.principal_out_after = principal_out();
    r.paid_off = r.principal_out_after == 0;
    return r;
}

void Obligations::add(const std::string& debtor, const std::string& creditor, const std::string& category, Fen amount) {
    if (amount != 0) {
        by_key_[{debtor, creditor, category}] += amount;
    }
}

void Obligations::originated(const Loan& loan) {
    const auto& t = loan.terms();
    for (std::size_t i = 0; i < t.tranches.size(); ++i) {
        if (t.tranches[i].bank_id != t.servicer) {
            add(t.tranches[i].bank_id, t.servicer, "FUNDING", loan.tranche_principal(i));
        }
    }
}

void Obligations::repaid(const Loan& loan, const Repayment& r) {
    const std::string& servicer = loan.terms().servicer;
    for (const auto& p : r.parts) {
        if (p.bank_id == servicer) {
            continue;
        }
        add(servicer, p.bank_id, "PRINCIPAL", p.principal);
        add(servicer, p.bank_id, "INTEREST", p.interest);
        add(servicer, p.bank_id, "PENALTY", p.penalty);
        add(p.bank_id, servicer, "SERVICE_FEE", p.fee);
    }
}

Fen Obligations::get(const std::string& debtor, const std::string& creditor, const std::string& category) const {
    const auto it = by_key_.find({debtor, creditor, category});
    return it == by_key_.end() ? 0 : it->second;
}

Fen Obligations::interbank_net(const std::string& bank, const std::string& counterparty) const {
    Fen net = 0;
    for (const auto& [key, amount] : by_key_) {
        const auto& [debtor, creditor, category] = key;
        if (debtor == counterparty && creditor == bank) {
            net += amount;
        } else if (debtor == bank && creditor == counterparty) {
            net -= amount;
        }
    }
    return net;
}

}  // namespace jc::tools::model
