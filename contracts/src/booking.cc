#include "tx_env.h"

#include "settle.h"

#include <jc/core/assert.h>

#include <algorithm>
#include <iterator>

namespace jc::contracts {

void Booking::post(const std::string& bank, AccountCode debit, const std::string& debit_cp, AccountCode credit,
                   const std::string& credit_cp, std::int64_t amount) {
    JC_ASSERT(amount >= 0, "contracts.booking.amount_non_negative");
    if (amount == 0) {
        return;
    }
    if (postings_.empty()) {
        // A repayment of a two-tranche loan posts ~8-12: one allocation, not five.
        postings_.reserve(16);
    }
    postings_.push_back(Posting{bank, debit, debit_cp, credit, credit_cp, amount});
}

void Booking::pair(const std::string& bank, const std::vector<Leg>& debits, const std::vector<Leg>& credits) {
    std::size_t d = 0;
    std::size_t c = 0;
    std::int64_t d_left = debits.empty() ? 0 : debits[0].amount;
    std::int64_t c_left = credits.empty() ? 0 : credits[0].amount;
    while (true) {
        while (d < debits.size() && d_left == 0) {
            if (++d < debits.size()) {
                d_left = debits[d].amount;
            }
        }
        while (c < credits.size() && c_left == 0) {
            if (++c < credits.size()) {
                c_left = credits[c].amount;
            }
        }
        if (d == debits.size() || c == credits.size()) {
            break;
        }
        const std::int64_t amount = std::min(d_left, c_left);
        post(bank, debits[d].code, debits[d].counterparty, credits[c].code, credits[c].counterparty, amount);
        d_left -= amount;
        c_left -= amount;
    }
    JC_ASSERT(d == debits.size() && c == credits.size(), "contracts.booking.legs_balance");
}

void Booking::oblige(const std::string& debtor, const std::string& creditor, Category category,
                     std::int64_t amount, const std::string& partnership_id) {
    JC_ASSERT(amount >= 0, "contracts.booking.obligation_non_negative");
    if (amount == 0) {
        return;
    }
    if (obligations_.empty()) {
        obligations_.reserve(8);
        obligation_partnerships_.reserve(8);
    }
    obligations_.push_back(ObligationLine{debtor, creditor, category, amount});
    obligation_partnerships_.push_back(partnership_id);
}

void Booking::set_event(std::string event_id, std::uint64_t height, Date business_date) {
    event_id_ = std::move(event_id);
    height_ = height;
    business_date_ = business_date;
}

ExecStatus Booking::apply(Overlay& ov, const std::string& cycle_id) const {
    // Net the event's movements per account first: one read and one write per account. Accounts
    // are matched by their parts and the key is built once per distinct account (ADR 0140).
    struct Delta {
        const std::string* bank;
        AccountCode code;
        const std::string* counterparty;
        U128 debits = 0;
        U128 credits = 0;
    };
    std::vector<Delta> deltas;
    deltas.reserve(postings_.size() * 2);
    auto delta_for = [&deltas](const std::string& bank, AccountCode code, const std::string& cp) -> Delta& {
        for (auto& d : deltas) {
            if (d.code == code && *d.bank == bank && *d.counterparty == cp) {
                return d;
            }
        }
        return deltas.emplace_back(Delta{&bank, code, &cp});
    };
    for (const auto& p : postings_) {
        delta_for(p.bank_id, p.debit, p.debit_counterparty).debits += static_cast<U128>(p.amount);
        delta_for(p.bank_id, p.credit, p.credit_counterparty).credits += static_cast<U128>(p.amount);
    }
    std::string key;  // one buffer for every key built below
    for (const auto& d : deltas) {
        auto add = [&d](Account& a) {
            const auto debits = arith::add_checked(a.debits_posted, d.debits);
            const auto credits = arith::add_checked(a.credits_posted, d.credits);
            if (!debits || !credits) {
                return false;  // an overflow: the account is left as it was
            }
            a.debits_posted = *debits;
            a.credits_posted = *credits;
            return true;
        };
        keys::account_into(key, *d.bank, d.code, *d.counterparty);
        JC_EXEC_ASSIGN(const bool posted, load(ov.update_account(key, add)));
        if (!posted) {
            return overflow("account counter");
        }
    }
    // GROSS partnerships (ADR 0056): their lines become instructions, grouped per partnership in
    // first-appearance order; the rest nets in the cycle.
    std::vector<std::pair<std::string, std::vector<ObligationLine>>> gross;
    std::vector<const ObligationLine*> net;
    // Partnership id -> GROSS, read once per apply. An event names a few partnerships at most
    // (one per tranche), so a list searched in order serves.
    std::vector<std::pair<const std::string*, bool>> is_gross(known_partnerships_);
    for (std::size_t i = 0; i < obligations_.size(); ++i) {
        const std::string& pid = obligation_partnerships_[i];
        if (pid.empty()) {
            net.push_back(&obligations_[i]);
            continue;
        }
        auto known = std::find_if(is_gross.begin(), is_gross.end(),
                                  [&](const auto& k) { return *k.first == pid; });
        if (known == is_gross.end()) {
            JC_EXEC_ASSIGN(const auto p, load(store::partnership(ov, pid)));
            known = is_gross.emplace(is_gross.end(), &pid,
                                     p && p->terms.settlement_mode == SettlementMode::kGross);
        }
        if (!known->second) {
            net.push_back(&obligations_[i]);
            continue;
        }
        auto group = std::find_if(gross.begin(), gross.end(), [&](const auto& g) { return g.first == pid; });
        if (group == gross.end()) {
            gross.emplace_back(pid, std::vector<ObligationLine>{});
            group = std::prev(gross.end());
        }
        group->second.push_back(obligations_[i]);
    }
    for (const auto& [pid, lines] : gross) {
        JC_ASSERT(!event_id_.empty(), "contracts.booking.gross_needs_event");
        JC_EXEC_TRY(settle::book_gross(ov, cycle_id, pid, lines, event_id_, height_, business_date_));
    }
    for (const ObligationLine* line : net) {
        const ObligationLine& o = *line;
        auto add = [&o](ObligationAggregate& agg) {
            const auto total = arith::add_checked(agg.amount, static_cast<U128>(o.amount));
            if (!total) {
                return false;  // an overflow: the aggregate is left as it was
            }
            agg.amount = *total;
            agg.count += 1;
            return true;
        };
        keys::obligation_into(key, cycle_id, o.debtor, o.creditor, o.category);
        JC_EXEC_ASSIGN(const bool added, load(ov.update_obligation(key, add)));
        if (!added) {
            return overflow("obligation total");
        }
    }
    return exec_ok();
}

}  // namespace jc::contracts
