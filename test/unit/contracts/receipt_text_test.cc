// Goal: the receipt text the engine writes directly (canon_text.h, render::event_result_text,
// ADR 0120) is byte-identical to what the previous path stored: json::canonicalize of the
// nlohmann tree the old renderer built. Receipts are hashed into the receipt root, so one
// different byte would fork a mixed-version consortium.
// Method: the old tree renderer is kept here verbatim as the reference. Thousands of synthetic
// loans and events (a fixed-seed generator: every event type, 1-4 tranches with and without the
// servicer's own, negative and 2^53-sized amounts, ids and reasons containing '"' and '\') are
// rendered both ways and compared byte for byte. The writer's own rules (ascending keys
// enforced, escaping, integers) are checked directly. Every receipt of every other contracts
// test is also checked to be canonical text by the test chain (chain.cc, Chain::try_block_at).
#include "../../../contracts/src/canon_text.h"
#include "../../../contracts/src/render.h"

#include <jc/contracts/arith/date.h>
#include <jc/core/canonical_json.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace jc::contracts::test {
namespace {

// ---- The reference: the tree renderer as it was before ADR 0120 (render.cc at 179e34e). ----
namespace ref {

std::string amount(std::int64_t v) { return std::to_string(v); }

json::Value originate_result(const Loan& loan, const LoanEvent& ev) {
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        tranches.push_back(json::Value{{"bank_id", loan.tranches[i].bank_id},
                                       {"share_bps", loan.tranches[i].share_bps},
                                       {"principal", amount(ev.tranches[i].funded)}});
    }
    json::Value schedule = json::Value::array();
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        schedule.push_back(json::Value{{"seq", i + 1},
                                       {"due_date", arith::format_date(loan.installments[i].due_date)},
                                       {"principal", amount(loan.installments[i].principal_due)}});
    }
    return json::Value{{"loan_id", loan.loan_id},
                       {"event_seq", ev.event_seq},
                       {"value_date", arith::format_date(ev.value_date)},
                       {"principal", amount(ev.amount)},
                       {"status", std::string(name(ev.status_after))},
                       {"cycle_id", ev.cycle_id},
                       {"tranches", std::move(tranches)},
                       {"schedule", std::move(schedule)}};
}

json::Value repay_result(const Loan& loan, const LoanEvent& ev) {
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loan.tranches[i].bank_id;
        json::Value t{{"bank_id", bank},
                      {"principal", amount(a.principal())},
                      {"interest", amount(a.interest)},
                      {"penalty", amount(a.penalty)},
                      {"fee", amount(a.fee)}};
        if (bank != loan.servicer) {
            t["servicer_owes"] = amount(a.principal() + a.interest + a.penalty - a.fee);
        }
        tranches.push_back(std::move(t));
    }
    return json::Value{{"loan_id", loan.loan_id},
                       {"event_seq", ev.event_seq},
                       {"value_date", arith::format_date(ev.value_date)},
                       {"amount", amount(ev.amount)},
                       {"accrual",
                        json::Value{{"days", ev.accrual_days},
                                    {"interest", amount(ev.interest_accrued)},
                                    {"penalty", amount(ev.penalty_accrued)}}},
                       {"allocation",
                        json::Value{{"fees", amount(ev.fees)},
                                    {"penalty", amount(ev.penalty)},
                                    {"interest", amount(ev.interest)},
                                    {"principal_due", amount(ev.principal_due)},
                                    {"principal_prepaid", amount(ev.principal_prepaid)}}},
                       {"tranches", std::move(tranches)},
                       {"principal_out_after", amount(ev.principal_out_after)},
                       {"status", std::string(name(ev.status_after))},
                       {"early_cycle_close", ev.early_close_flag}};
}

json::Value credit_result(const Loan& loan, const LoanEvent& ev) {
    json::Value tranches = json::Value::array();
    std::int64_t interest_written_off = 0;
    std::int64_t penalty_written_off = 0;
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loan.tranches[i].bank_id;
        json::Value t{{"bank_id", bank}};
        switch (ev.type) {
            case EventType::kWriteOff:
                t["principal"] = amount(a.written_off);
                t["interest"] = amount(a.interest_written_off);
                t["penalty"] = amount(a.penalty_written_off);
                interest_written_off += a.interest_written_off;
                penalty_written_off += a.penalty_written_off;
                break;
            case EventType::kRecover:
                t["recovered"] = amount(a.recovered);
                if (bank != loan.servicer) {
                    t["servicer_owes"] = amount(a.recovered);
                }
                break;
            default:
                t["principal"] = amount(a.principal());
                t["interest"] = amount(a.interest);
                t["penalty"] = amount(a.penalty);
                t["fee"] = amount(a.fee);
                t["recovered"] = amount(a.recovered);
                if (bank != loan.servicer) {
                    t["owed_back_to_servicer"] = amount(a.principal() + a.interest + a.penalty - a.fee + a.recovered);
                }
                break;
        }
        tranches.push_back(std::move(t));
    }
    json::Value r{{"loan_id", loan.loan_id},
                  {"event_seq", ev.event_seq},
                  {"type", std::string(name(ev.type))},
                  {"value_date", arith::format_date(ev.value_date)},
                  {"amount", amount(ev.amount)}};
    if (ev.type == EventType::kWriteOff) {
        r["reason"] = ev.reason;
        r["accrual"] = json::Value{{"days", ev.accrual_days},
                                   {"interest", amount(ev.interest_accrued)},
                                   {"penalty", amount(ev.penalty_accrued)}};
        r["written_off"] = json::Value{{"principal", amount(ev.amount)},
                                       {"interest", amount(interest_written_off)},
                                       {"penalty", amount(penalty_written_off)}};
    } else if (ev.type == EventType::kCorrect) {
        r["reason"] = ev.reason;
        r["corrects_event_seq"] = ev.corrects_seq;
        r["allocation"] = json::Value{{"fees", amount(ev.fees)},
                                      {"penalty", amount(ev.penalty)},
                                      {"interest", amount(ev.interest)},
                                      {"principal_due", amount(ev.principal_due)},
                                      {"principal_prepaid", amount(ev.principal_prepaid)}};
    }
    r["tranches"] = std::move(tranches);
    r["principal_out_after"] = amount(ev.principal_out_after);
    r["status"] = std::string(name(ev.status_after));
    return r;
}

json::Value event_result(const Loan& loan, const LoanEvent& ev) {
    switch (ev.type) {
        case EventType::kOriginate: return originate_result(loan, ev);
        case EventType::kRepay: return repay_result(loan, ev);
        default: return credit_result(loan, ev);
    }
}

}  // namespace ref

// A fixed-seed 64-bit LCG (Knuth's MMIX constants): the same cases on every run and build.
class Gen {
public:
    std::uint64_t next() {
        s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return s_ >> 11;
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    std::int64_t amount() {
        switch (below(6)) {
            case 0: return 0;
            case 1: return -static_cast<std::int64_t>(below(1'000'000));
            case 2: return json::kIntegerMax - static_cast<std::int64_t>(below(10));
            case 3: return -json::kIntegerMax + static_cast<std::int64_t>(below(10));
            default: return static_cast<std::int64_t>(below(10'000'000));
        }
    }
    // Printable ASCII, weighted towards the characters that need escaping.
    std::string text(std::size_t max_len) {
        std::string s;
        const std::size_t n = below(max_len + 1);
        for (std::size_t i = 0; i < n; ++i) {
            switch (below(8)) {
                case 0: s.push_back('"'); break;
                case 1: s.push_back('\\'); break;
                default: s.push_back(static_cast<char>(0x20 + below(0x7f - 0x20))); break;
            }
        }
        return s;
    }

private:
    std::uint64_t s_ = 20261127;
};

const char* const kReceiptBanks[] = {"WEBANK", "HUARUI", "BANKC", "B\"Q\\"};

std::pair<Loan, LoanEvent> synthetic(Gen& g, EventType type) {
    Loan loan;
    loan.loan_id = g.below(4) == 0 ? g.text(20) : "L-" + std::to_string(g.below(100000));
    const std::size_t tranches = 1 + g.below(4);
    for (std::size_t i = 0; i < tranches; ++i) {
        Tranche t;
        t.bank_id = kReceiptBanks[i];
        t.share_bps = static_cast<std::uint16_t>(g.below(10001));
        loan.tranches.push_back(t);
    }
    // The servicer holds a tranche (usually the first), or none at all.
    loan.servicer = g.below(5) == 0 ? "NOBANK" : kReceiptBanks[g.below(tranches)];
    const std::size_t installments = g.below(6);
    for (std::size_t i = 0; i < installments; ++i) {
        Installment in;
        in.due_date = static_cast<Date>(19'000 + g.below(20'000));
        in.principal_due = g.amount();
        loan.installments.push_back(in);
    }
    LoanEvent ev;
    ev.type = type;
    ev.event_seq = static_cast<std::uint32_t>(g.next());
    ev.value_date = static_cast<Date>(g.below(40'000));
    ev.amount = g.amount();
    ev.cycle_id = g.text(12);
    ev.accrual_days = static_cast<std::int64_t>(g.below(5000));
    ev.interest_accrued = g.amount();
    ev.penalty_accrued = g.amount();
    ev.fees = g.amount();
    ev.penalty = g.amount();
    ev.interest = g.amount();
    ev.principal_due = g.amount() / 2;
    ev.principal_prepaid = g.amount() / 2;
    ev.principal_out_after = g.amount();
    ev.status_after = static_cast<LoanStatus>(g.below(6));
    ev.early_close_flag = g.below(2) == 1;
    ev.reason = g.text(40);
    ev.corrects_seq = static_cast<std::uint32_t>(g.next());
    for (std::size_t i = 0; i < tranches; ++i) {
        TrancheAllocation a;
        a.funded = g.amount();
        a.penalty = g.amount() / 4;
        a.interest = g.amount() / 4;
        a.principal_due = g.amount() / 4;
        a.principal_prepaid = g.amount() / 4;
        a.fee = g.amount() / 4;
        a.written_off = g.amount();
        a.recovered = g.amount() / 4;
        a.interest_written_off = g.amount() / 8;
        a.penalty_written_off = g.amount() / 8;
        ev.tranches.push_back(a);
    }
    return {std::move(loan), std::move(ev)};
}

TEST_CASE("loan event receipts: the direct text equals canonicalize of the old tree", "[contracts][receipt_text]") {
    Gen g;
    const EventType types[] = {EventType::kOriginate, EventType::kRepay, EventType::kWriteOff, EventType::kRecover,
                               EventType::kCorrect};
    int compared = 0;
    for (const EventType type : types) {
        for (int i = 0; i < 2000; ++i) {
            const auto [loan, ev] = synthetic(g, type);
            const std::string text = render::event_result_text(loan, ev);
            const std::string want = json::canonicalize(ref::event_result(loan, ev));
            if (text != want) {
                FAIL_CHECK(name(type) << " case " << i << "\n got  " << text << "\n want " << want);
                return;
            }
            // The tree view the queries use is the same value.
            CHECK(json::canonicalize(render::event_result(loan, ev)) == want);
            ++compared;
        }
    }
    CHECK(compared == 10'000);
}

TEST_CASE("canon::Obj writes canonicalize's bytes and refuses nothing it should accept",
          "[contracts][receipt_text]") {
    const std::string text = canon::Obj()
                                 .str("a", "x\"y\\z")
                                 .num("b", -json::kIntegerMax)
                                 .amt("c", json::kIntegerMax)
                                 .boolean("d", false)
                                 .raw("e", canon::Arr().str("").raw("{}").raw("[]").take())
                                 .raw("f", canon::Obj().take())
                                 .num("g", 0)
                                 .take();
    const json::Value tree{{"g", 0},
                           {"f", json::Value::object()},
                           {"e", json::Value::array({"", json::Value::object(), json::Value::array()})},
                           {"d", false},
                           {"c", std::to_string(json::kIntegerMax)},
                           {"b", -json::kIntegerMax},
                           {"a", "x\"y\\z"}};
    CHECK(text == json::canonicalize(tree));
    CHECK(canon::Arr().take() == "[]");
    // Keys compare as bytes: "a" < "a_b" < "ab" < "b".
    CHECK(canon::Obj().num("a", 1).num("a_b", 2).num("ab", 3).num("b", 4).take() ==
          R"({"a":1,"a_b":2,"ab":3,"b":4})");
}

}  // namespace
}  // namespace jc::contracts::test
