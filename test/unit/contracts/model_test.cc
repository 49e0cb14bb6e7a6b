// Goal: the engine's servicing arithmetic agrees, field by field, with an independent
// exact-integer model (model.h) on thousands of random loans and event sequences: every
// schedule type, every day-count basis, REPLACE and ADD penalties, half-up and half-even
// rounding, overdue, partial, on-time, prepayment and payoff, leap years and month ends,
// service fees with cumulative rounding, and the rejections 4106, 4301, 5002-5006.
// Method: seeded generators build loans and repayment sequences across 2023-2025; events are
// executed in date order, many loans per block, on a test chain with T1-T8 on, B1-B4 per
// block and every block replayed twice. The model predicts each receipt; after each block
// every touched loan is decoded and compared with the model. Properties checked on the way:
// allocation sums exactly, no tranche is overpaid, payoff clears every tranche.
// Scale: JC_CONTRACTS_MODEL_CHAINS (default 25 chains of 40 loans: 1,000 loans, ~4,000 repayments).
#include "chain.h"
#include "model.h"

#include <jc/contracts/arith/allocate.h>
#include <jc/contracts/arith/date.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>

namespace jc::contracts::test {
namespace {


struct ModelLoan {
    LoanSpec spec;
    model::Loan m;
    bool live = false;
    int value_date = 0;
    int horizon = 0;
    int channel = 0;
};

struct Event {
    int date;
    std::size_t loan;
    int kind;
    std::uint64_t salt;
};

int rand_in(std::mt19937_64& rng, int lo, int hi) {
    return lo + static_cast<int>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

std::int64_t rand_i64(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

const char* kModelPartnerships[] = {"P-HR-0", "P-HR-1250", "P-HR-3333I", "P-BC-0", "P-BC-1250", "P-BC-3333I"};

void setup_partnerships(Chain& c) {
    for (const char* partner : {"HUARUI", "BANKC"}) {
        const std::string tag = std::string(partner) == "HUARUI" ? "HR" : "BC";
        for (const auto& [suffix, fee, base] :
             {std::tuple{"0", 0, "INTEREST_AND_PENALTY"}, std::tuple{"1250", 1250, "INTEREST_AND_PENALTY"},
              std::tuple{"3333I", 3333, "INTEREST"}}) {
            PartnershipSpec p;
            p.id = "P-" + tag + "-" + suffix;
            p.partner = partner;
            p.min_share_bps = 0;
            p.fee_bps = fee;
            p.fee_base = base;
            p.max_outstanding = "1000000000000000";
            p.fronting_limit = "1000000000000000";
            p.collection_limit = "1000000000000000";
            c.partnership(p, "2023-01-01");
        }
    }
}

ModelLoan make_loan(std::mt19937_64& rng, std::size_t index, bool half_even) {
    ModelLoan s;
    LoanSpec& l = s.spec;
    l.loan_id = "L-" + std::to_string(index);
    l.product = "OTHER";
    char hex[65];
    std::snprintf(hex, sizeof hex, "%064zx", index + 1);
    l.borrower = hex;
    l.channel_ref = "D-" + std::to_string(index);
    const int scale = rand_in(rng, 0, 19);
    std::int64_t principal = scale < 16 ? rand_i64(rng, 1, 2'000'000) : (scale < 18 ? rand_i64(rng, 1, 200) : rand_i64(rng, 1, 1'000'000'000'000));
    l.principal = std::to_string(principal);
    s.value_date = rand_in(rng, arith::date_from_civil(2023, 1, 1), arith::date_from_civil(2025, 6, 30));
    l.value_date = arith::format_date(s.value_date);
    const int basis = rand_in(rng, 0, 2);
    l.basis = basis == 0 ? "DAILY" : (basis == 1 ? "ACT/360" : "ACT/365F");
    const std::int64_t rate = basis == 0 ? rand_i64(rng, 0, 1'500'000) : rand_i64(rng, 0, 400'000'000);
    const std::int64_t prate = rng() % 4 == 0 ? 0 : (rate * rand_i64(rng, 10, 20)) / 10;
    l.rate = std::to_string(rate);
    l.penalty_rate = std::to_string(prate);
    l.penalty_mode = rng() % 2 ? "REPLACE" : "ADD";
    // Tranches: WEBANK plus up to two partners, random shares summing to 10000.
    const int partners = rand_in(rng, 0, 2);
    std::vector<std::int64_t> shares;
    if (partners == 0) {
        shares = {10000};
    } else if (partners == 1) {
        const std::int64_t a = rand_i64(rng, 1, 9999);
        shares = {a, 10000 - a};
    } else {
        const std::int64_t a = rand_i64(rng, 1, 9998);
        const std::int64_t b = rand_i64(rng, 1, 9999 - a);
        shares = {a, b, 10000 - a - b};
    }
    l.tranches.clear();
    l.tranches.emplace_back("WEBANK", static_cast<int>(shares[0]), "");
    const bool hr_first = rng() % 2;
    for (int p = 0; p < partners; ++p) {
        const bool hr = (p == 0) == hr_first;
        const int variant = rand_in(rng, 0, 2);
        l.tranches.emplace_back(hr ? "HUARUI" : "BANKC", static_cast<int>(shares[static_cast<std::size_t>(p + 1)]),
                                kModelPartnerships[(hr ? 0 : 3) + variant]);
    }
    // Schedule.
    model::Loan& m = s.m;
    const int type = rand_in(rng, 0, 2);
    std::vector<std::pair<int, std::int64_t>> insts;
    if (type == 0) {
        const int n = rand_in(rng, 1, 24);
        // First due date: often a month end or the 29th-31st to exercise clamping.
        const int first = s.value_date + rand_in(rng, 1, 62);
        l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", n}, {"first_due_date", arith::format_date(first)}};
        const auto dates = model::monthly_dates(first, n);
        REQUIRE(dates.has_value());
        for (int k = 0; k < n; ++k) {
            insts.emplace_back((*dates)[static_cast<std::size_t>(k)], principal / n + (k < principal % n ? 1 : 0));
        }
    } else if (type == 1) {
        const int due = s.value_date + rand_in(rng, 1, 366);
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", arith::format_date(due)}};
        insts.emplace_back(due, principal);
    } else {
        const int n = static_cast<int>(std::min<std::int64_t>(principal, rand_in(rng, 1, 8)));
        json::Value list = json::Value::array();
        int date = s.value_date;
        std::int64_t left = principal;
        for (int k = 0; k < n; ++k) {
            date += rand_in(rng, 1, 45);
            const std::int64_t part = k == n - 1 ? left : rand_i64(rng, 1, left - (n - 1 - k));
            left -= part;
            list.push_back(json::Value{{"due_date", arith::format_date(date)}, {"principal", std::to_string(part)}});
            insts.emplace_back(date, part);
        }
        l.schedule = json::Value{{"type", "CUSTOM"}, {"installments", list}};
    }
    m.principal = principal;
    m.rate_ppb = rate;
    m.penalty_rate_ppb = prate;
    m.denominator = 1'000'000'000LL * (basis == 0 ? 1 : (basis == 1 ? 360 : 365));
    m.replace = l.penalty_mode == "REPLACE";
    m.half_even = half_even;
    m.last_accrual = s.value_date;
    m.last_event = s.value_date;
    std::vector<std::int64_t> weights(shares.begin(), shares.end());
    const auto parts = model::lrm(principal, weights);
    for (std::size_t i = 0; i < l.tranches.size(); ++i) {
        model::Tranche t;
        t.bank = std::get<0>(l.tranches[i]);
        t.share_bps = shares[i];
        t.servicer = i == 0;
        const std::string& pid = std::get<2>(l.tranches[i]);
        t.fee_bps = pid.empty() ? 0 : (pid.find("1250") != std::string::npos ? 1250 : (pid.find("3333") != std::string::npos ? 3333 : 0));
        t.fee_on_penalty = pid.find('I', 5) == std::string::npos;
        t.orig = t.out = parts[i];
        m.tranches.push_back(t);
    }
    for (const auto& [due, amount] : insts) {
        m.installments.push_back(model::Installment{due, amount, 0});
    }
    s.horizon = insts.back().first + rand_in(rng, 0, 120);
    return s;
}

void compare_loan(const Loan& e, const model::Loan& m, const std::string& id) {
    INFO("loan " << id);
    REQUIRE(e.tranches.size() == m.tranches.size());
    for (std::size_t i = 0; i < m.tranches.size(); ++i) {
        const Tranche& a = e.tranches[i];
        const model::Tranche& b = m.tranches[i];
        INFO("tranche " << i);
        REQUIRE(a.principal_orig == b.orig);
        REQUIRE(a.principal_out == b.out);
        REQUIRE(a.interest_unpaid == b.interest_unpaid);
        REQUIRE(a.penalty_unpaid == b.penalty_unpaid);
        REQUIRE(a.principal_paid == b.principal_paid);
        REQUIRE(a.interest_paid == b.interest_paid);
        REQUIRE(a.penalty_paid == b.penalty_paid);
        REQUIRE(a.fee_base_cum == b.fee_base_cum);
        REQUIRE(a.fee_cum == b.fee_cum);
    }
    REQUIRE(e.installments.size() == m.installments.size());
    for (std::size_t i = 0; i < m.installments.size(); ++i) {
        REQUIRE(e.installments[i].due_date == m.installments[i].due);
        REQUIRE(e.installments[i].principal_due == m.installments[i].amount);
        REQUIRE(e.installments[i].principal_paid == m.installments[i].paid);
    }
    REQUIRE(e.last_accrual_date == m.last_accrual);
    REQUIRE(e.last_event_date == m.last_event);
    REQUIRE(e.event_seq == m.seq);
    REQUIRE((e.status == LoanStatus::kPaidOff) == m.paid_off);
}

void run_chain(std::uint64_t seed, std::size_t loans_per_chain, std::size_t& repayments, std::size_t& rejections,
               std::map<int, std::size_t>& codes) {
    std::mt19937_64 rng(seed);
    const bool half_even = seed % 4 == 3;
    Params params = test_params();
    params.rounding = half_even ? arith::Rounding::kHalfEven : arith::Rounding::kHalfUp;
    Chain c(params);
    setup_partnerships(c);
    std::vector<ModelLoan> loans;
    for (std::size_t i = 0; i < loans_per_chain; ++i) {
        loans.push_back(make_loan(rng, seed * 1000 + i, half_even));
    }
    // Originations and repayments in date order; originations first within a day.
    std::vector<Event> events;
    for (std::size_t i = 0; i < loans.size(); ++i) {
        events.push_back(Event{loans[i].value_date, i, -1, 0});
        int date = loans[i].value_date;
        const int count = rand_in(rng, 1, 24);
        for (int k = 0; k < count && date <= loans[i].horizon; ++k) {
            date += rand_in(rng, 0, 1) == 0 ? rand_in(rng, 0, 3) : rand_in(rng, 10, 70);
            events.push_back(Event{date, i, rand_in(rng, 0, 27), rng()});
        }
    }
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
        return a.date != b.date ? a.date < b.date : a.kind < b.kind;
    });
    std::size_t e = 0;
    while (e < events.size()) {
        const int date = events[e].date;
        std::vector<std::shared_ptr<const ledger::Transaction>> txs;
        struct Expect {
            std::size_t loan;
            bool originate;
            model::Repayment r;
            model::Loan model_before;
        };
        std::vector<Expect> expects;
        for (; e < events.size() && events[e].date == date; ++e) {
            const Event& ev = events[e];
            ModelLoan& s = loans[ev.loan];
            if (ev.kind < 0) {
                txs.push_back(c.tx("WEBANK", "loan.originate", originate_body(s.spec)));
                Expect x{ev.loan, true, {}, s.m};
                bool zero = false;
                for (const auto& t : s.m.tranches) {
                    zero = zero || t.orig == 0;
                }
                const bool p_lt_n = s.spec.schedule["type"] == "EQUAL_PRINCIPAL" &&
                                    s.m.principal < s.spec.schedule["n"].get<std::int64_t>();
                x.r.code = zero ? 4106 : (p_lt_n ? 4301 : 0);
                s.live = x.r.code == 0;
                expects.push_back(x);
                continue;
            }
            if (!s.live) {
                continue;
            }
            std::mt19937_64 er(ev.salt);
            if (s.m.paid_off && er() % 4 != 0) {
                continue;  // keep some repayments of paid-off loans (5002), not all
            }
            int value_date = date;
            bool payoff_intent = false;
            const std::int64_t owed = s.m.paid_off ? 0 : model::payoff(s.m, date);
            std::int64_t amount = 1;
            switch (ev.kind) {
                case 0: case 1: case 2: case 3: case 4: case 16: case 17: case 18: case 19: case 20: case 21:
                case 22: case 23: case 24: case 25: case 26: case 27: {  // on time: what is due now
                    const std::int64_t due = s.m.paid_off ? 1 : model::due_now(s.m, date);
                    amount = std::max<std::int64_t>(1, due);
                    break;
                }
                case 5: case 6: {  // partial: less than what is due now (arrears build up)
                    const std::int64_t due = s.m.paid_off ? 1 : model::due_now(s.m, date);
                    amount = rand_i64(er, 1, std::max<std::int64_t>(1, due));
                    break;
                }
                case 7: {  // what is due now plus a prepayment of up to a third of the rest
                    const std::int64_t due = s.m.paid_off ? 1 : model::due_now(s.m, date);
                    amount = due + rand_i64(er, 1, std::max<std::int64_t>(1, (owed - due) / 3));
                    break;
                }
                case 8: case 9:  // payoff
                    amount = std::max<std::int64_t>(1, owed);
                    payoff_intent = ev.kind == 9;
                    break;
                case 10:  // overpayment
                    amount = owed + 1;
                    break;
                case 11:  // PAYOFF with the wrong amount
                    amount = std::max<std::int64_t>(1, owed - 1);
                    payoff_intent = true;
                    break;
                case 12:  // value date before the last event
                    value_date = s.m.last_event - 1;
                    amount = 1;
                    break;
                case 13:  // value date after the business date
                    value_date = date + 1;
                    amount = 1;
                    break;
                default:  // a small payment
                    amount = rand_i64(er, 1, 500);
                    break;
            }
            amount = std::min(amount, arith::kMaxAmount);
            const std::string channel = "C-" + s.spec.loan_id + "-" + std::to_string(++s.channel);
            txs.push_back(c.tx("WEBANK", "loan.repay",
                               repay_body(s.spec.loan_id, arith::format_date(value_date), std::to_string(amount), channel,
                                          payoff_intent ? "PAYOFF" : "")));
            Expect x{ev.loan, false, {}, s.m};
            x.r = model::repay(s.m, value_date, amount, payoff_intent, date);
            expects.push_back(x);
        }
        if (txs.empty()) {
            continue;
        }
        const BlockOutput out = c.block(arith::format_date(date), txs);
        REQUIRE(out.receipts.size() == expects.size());
        for (std::size_t i = 0; i < expects.size(); ++i) {
            const Expect& x = expects[i];
            const TxReceipt& rc = out.receipts[i];
            INFO("seed " << seed << " loan " << loans[x.loan].spec.loan_id << " date " << arith::format_date(date)
                         << " receipt " << rc.detail);
            REQUIRE(rc.code == x.r.code);
            if (x.originate || rc.code != 0) {
                if (rc.code != 0) {
                    ++rejections;
                    ++codes[rc.code];
                }
                continue;
            }
            ++repayments;
            const json::Value res = rc.result_json();
            REQUIRE(res["accrual"]["days"] == x.r.days);
            REQUIRE(amt(res["accrual"]["interest"]) == x.r.interest_accrued);
            REQUIRE(amt(res["accrual"]["penalty"]) == x.r.penalty_accrued);
            REQUIRE(amt(res["allocation"]["penalty"]) == x.r.penalty);
            REQUIRE(amt(res["allocation"]["interest"]) == x.r.interest);
            REQUIRE(amt(res["allocation"]["principal_due"]) == x.r.principal_due);
            REQUIRE(amt(res["allocation"]["principal_prepaid"]) == x.r.principal_prepaid);
            // The receipt carries the E2-row shape; the journal event the due/prepaid split.
            const auto event = c.event(loans[x.loan].spec.loan_id, res["event_seq"].get<std::uint32_t>());
            REQUIRE(event.has_value());
            for (std::size_t t = 0; t < x.r.t_fee.size(); ++t) {
                const json::Value& tj = res["tranches"][t];
                REQUIRE(amt(tj["penalty"]) == x.r.t_penalty[t]);
                REQUIRE(amt(tj["interest"]) == x.r.t_interest[t]);
                REQUIRE(amt(tj["principal"]) == x.r.t_principal_due[t] + x.r.t_principal_prepaid[t]);
                REQUIRE(event->tranches[t].principal_due == x.r.t_principal_due[t]);
                REQUIRE(event->tranches[t].principal_prepaid == x.r.t_principal_prepaid[t]);
                REQUIRE(amt(tj["fee"]) == x.r.t_fee[t]);
                // No tranche is ever paid more than it was owed.
                const model::Tranche& before = x.model_before.tranches[t];
                REQUIRE(x.r.t_penalty[t] <= before.penalty_unpaid + x.r.penalty_accrued);
                REQUIRE(x.r.t_principal_due[t] + x.r.t_principal_prepaid[t] <= before.out);
            }
            if (res["status"] == "PAID_OFF") {
                for (const auto& ta : event->tranches) {
                    REQUIRE(ta.principal_out_after == 0);  // payoff clears every tranche
                }
            }
        }
        // Field-by-field state comparison for every loan the block touched.
        for (const auto& x : expects) {
            if (loans[x.loan].live) {
                compare_loan(c.loan(loans[x.loan].spec.loan_id), loans[x.loan].m, loans[x.loan].spec.loan_id);
            }
        }
    }
    // Quotes agree with the model on every live loan at a later date.
    for (const auto& s : loans) {
        if (!s.live || s.m.paid_off) {
            continue;
        }
        const int t = std::max(s.m.last_event, s.horizon);
        const auto q = query::quote_payoff(c.state(), s.spec.loan_id, t);
        REQUIRE(q.ok());
        REQUIRE(amt((*q)["payoff_amount"]) == model::payoff(s.m, t));
    }
}

}  // namespace

TEST_CASE("differential: engine vs independent model on random loans and events", "[contracts][model]") {
    constexpr std::size_t kLoansPerChain = 40;
    std::size_t chains = 25;
    if (const char* env = std::getenv("JC_CONTRACTS_MODEL_CHAINS")) {
        chains = static_cast<std::size_t>(std::strtoull(env, nullptr, 10));
    }
    std::size_t repayments = 0;
    std::size_t rejections = 0;
    std::map<int, std::size_t> codes;
    for (std::uint64_t seed = 1; seed <= chains; ++seed) {
        run_chain(seed, kLoansPerChain, repayments, rejections, codes);
    }
    std::string breakdown;
    for (const auto& [code, n] : codes) {
        breakdown += " " + std::to_string(code) + "x" + std::to_string(n);
    }
    INFO("repayments " << repayments << ", rejections " << rejections);
    CHECK(repayments > chains * kLoansPerChain * 3);
    CHECK(rejections > chains * kLoansPerChain / 4);
    WARN("model differential: " << chains << " chains, " << repayments << " repayments compared, " << rejections
                                << " expected rejections (" << breakdown << ")");
    // Every rejection the generator aims at was actually exercised.
    for (const int code : {4106, 5002, 5003, 5004, 5005, 5006}) {
        CHECK(codes[code] > 0);
    }
}

}  // namespace jc::contracts::test
