// Goal: write-off (with approvals or pre-authorisation), recovery and correction (co-signed by
// the affected partners once the original's cycle closed) compute exactly what DOMAIN.md
// B.2-B.5 and ADRs 0061/0063 say, on every bank's books, and every new rejection changes
// nothing.
// Method: the E2 loan (800000 fen, WB 30 % / HR 70 %, 0.05 %/day, penalty 0.075 %/day REPLACE)
// pays instalment #1 and then nothing. Expected figures are worked by hand from the rules and
// re-derived in the test by a separate exact reference (Fraction-free integer formulas written
// here, not the engine's code): accrual by segments between due dates, largest remainder with
// its tie-break. Every block runs twice (replay determinism) with T1-T8 on; rejections compare
// the whole state before and after.
#include "chain.h"

#include <jc/contracts/arith/date.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

namespace jc::contracts::test {
namespace {

// ---- independent reference arithmetic (kept apart from the engine's kernel; the test's
// amounts are small enough for int64 products) ----

std::int64_t ref_round_half_up(std::int64_t n, std::int64_t d) { return static_cast<std::int64_t>((2 * n + d) / (2 * d)); }

std::vector<std::int64_t> ref_lrm(std::int64_t amount, const std::vector<std::int64_t>& w) {
    std::int64_t W = 0;
    for (auto x : w) W += x;
    std::vector<std::int64_t> out(w.size());
    std::vector<std::int64_t> rem(w.size());
    std::int64_t given = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        out[i] = static_cast<std::int64_t>(static_cast<std::int64_t>(amount) * w[i] / W);
        rem[i] = static_cast<std::int64_t>(amount) * w[i] % W;
        given += out[i];
    }
    std::vector<std::size_t> order(w.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (rem[a] != rem[b]) return rem[a] > rem[b];
        if (w[a] != w[b]) return w[a] > w[b];
        return a < b;
    });
    for (std::int64_t j = 0; j < amount - given; ++j) out[order[static_cast<std::size_t>(j)]] += 1;
    return out;
}

// The E2 loan with instalment #1 paid on its due date.
struct PaidE2Loan {
    Chain c{test_params()};
    explicit PaidE2Loan(int preauth_dpd = 0) {
        PartnershipSpec p;
        p.writeoff_preauth_dpd = preauth_dpd;
        c.partnership(p);
        must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
        must_ok(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")));
    }
    // Runs one transaction that must be rejected with `code` and change nothing.
    TxReceipt expect(int code, const std::string& bank, const std::string& type, const json::Value& body,
                     const std::string& date = "2024-06-20") {
        return expect_rejected(c, code, bank, type, body, date);
    }
};

json::Value recover_body(const std::string& date, const std::string& amount, const std::string& channel,
                         const std::string& loan = "L-0001") {
    return json::Value{{"loan_id", loan}, {"value_date", date}, {"amount", amount}, {"channel_ref", channel}};
}

// What the write-off on 2024-06-15 must produce. After #1, principal out 733333 (WB 220000,
// HR 513333); #2..#5 (66667 each) due 03-15, 04-15, 05-15, 06-15; nothing paid since 02-15.
// Accrual over [02-15, 06-15) by segments (REPLACE: contract rate on the not-overdue part,
// penalty rate on the overdue part):
//   [02-15,03-15) 29 d: 733333 not overdue
//   [03-15,04-15) 31 d: 666666 not overdue, 66667 overdue
//   [04-15,05-15) 30 d: 599999 / 133334
//   [05-15,06-15) 31 d: 533332 / 200001 (#5 falls due on 06-15 itself: not overdue yet)
// interest = round(76466565 x 0.0005) = round(38233.2825) = 38233
// penalty  = round(12266728 x 0.00075) = round(9200.046) = 9200
// split by principal 220000 / 513333: interest 11470 / 26763, penalty 2760 / 6440.
struct Expected {
    std::int64_t interest = 0;
    std::int64_t penalty = 0;
    std::vector<std::int64_t> interest_split;
    std::vector<std::int64_t> penalty_split;
};

Expected expected_write_off() {
    struct Seg {
        std::int64_t days, not_overdue, overdue;
    };
    const Seg segs[] = {{29, 733333, 0}, {31, 666666, 66667}, {30, 599999, 133334}, {31, 533332, 200001}};
    std::int64_t in = 0, pe = 0;
    for (const auto& s : segs) {
        in += static_cast<std::int64_t>(s.not_overdue) * 500000 * s.days;
        pe += static_cast<std::int64_t>(s.overdue) * 750000 * s.days;
    }
    Expected e;
    e.interest = ref_round_half_up(in, 1'000'000'000);
    e.penalty = ref_round_half_up(pe, 1'000'000'000);
    e.interest_split = ref_lrm(e.interest, {220000, 513333});
    e.penalty_split = ref_lrm(e.penalty, {220000, 513333});
    return e;
}

void check_written_off(Chain& c, const json::Value& result) {
    const Expected e = expected_write_off();
    // The hand-worked figures and the reference agree.
    REQUIRE(e.interest == 38233);
    REQUIRE(e.penalty == 9200);
    REQUIRE(e.interest_split == std::vector<std::int64_t>{11470, 26763});
    REQUIRE(e.penalty_split == std::vector<std::int64_t>{2760, 6440});

    INFO(json::canonicalize(result));
    CHECK(result["type"] == "WRITE_OFF");
    CHECK(result["status"] == "WRITTEN_OFF");
    CHECK(result["value_date"] == "2024-06-15");
    CHECK(result["amount"] == "733333");
    CHECK(result["accrual"]["days"] == 121);
    CHECK(result["accrual"]["interest"] == "38233");
    CHECK(result["accrual"]["penalty"] == "9200");
    CHECK(result["written_off"]["principal"] == "733333");
    CHECK(result["written_off"]["interest"] == "38233");  // memo accruals zeroed and reported
    CHECK(result["written_off"]["penalty"] == "9200");
    CHECK(result["tranches"][0]["bank_id"] == "WEBANK");
    CHECK(result["tranches"][0]["principal"] == "220000");
    CHECK(result["tranches"][0]["interest"] == "11470");
    CHECK(result["tranches"][0]["penalty"] == "2760");
    CHECK(result["tranches"][1]["principal"] == "513333");
    CHECK(result["tranches"][1]["interest"] == "26763");
    CHECK(result["tranches"][1]["penalty"] == "6440");

    const Loan l = c.loan("L-0001");
    CHECK(l.status == LoanStatus::kWrittenOff);
    CHECK(l.last_event_date == day("2024-06-15"));
    CHECK(l.tranches[0].written_off == 220000);
    CHECK(l.tranches[1].written_off == 513333);
    for (const auto& t : l.tranches) {
        CHECK(t.principal_out == 0);
        CHECK(t.interest_unpaid == 0);
        CHECK(t.penalty_unpaid == 0);
    }
    // B.2: each tranche holder books Dr CREDIT_LOSS_EXPENSE / Cr LOAN_PRINCIPAL; no interbank leg.
    CHECK(c.account("WEBANK", AccountCode::kCreditLossExpense).debits_posted == 220000);
    CHECK(c.account("HUARUI", AccountCode::kCreditLossExpense).debits_posted == 513333);
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).net_debit() == 0);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).net_debit() == 0);
    CHECK(c.pos("WEBANK", "HUARUI") == -504653);  // unchanged since #1 (E2)
    const auto ev = c.event("L-0001", l.event_seq);
    REQUIRE(ev.has_value());
    REQUIRE(ev->postings.size() == 2);
    CHECK(ev->postings[0] == Posting{"WEBANK", AccountCode::kCreditLossExpense, "", AccountCode::kLoanPrincipal, "", 220000});
    CHECK(ev->postings[1] == Posting{"HUARUI", AccountCode::kCreditLossExpense, "", AccountCode::kLoanPrincipal, "", 513333});
    CHECK(ev->obligations.empty());
    CHECK(ev->reason == "borrower insolvent");
    // Partnership usage follows the partner's principal (B4).
    const auto view = query::get_partnership(c.state(), "P-WB-HR");
    REQUIRE(view.ok());
    CHECK((*view)["used"] == "0");
}

}  // namespace

TEST_CASE("write-off past writeoff_preauth_dpd executes at once", "[contracts][credit]") {
    PaidE2Loan b(90);
    // DPD on 2024-06-15 = 06-15 - 03-15 (oldest unpaid due date) = 92 >= 90.
    const auto r = must_ok(b.c.run("2024-06-20", "WEBANK", "loan.write_off", write_off_body("2024-06-15")));
    check_written_off(b.c, r.result_json());
}

TEST_CASE("write-off below writeoff_preauth_dpd waits for the partner's approval", "[contracts][credit]") {
    PaidE2Loan b(93);  // DPD 92 < 93: HR must approve
    const auto pending = must_ok(b.c.run("2024-06-20", "WEBANK", "loan.write_off", write_off_body("2024-06-15")));
    CHECK(pending.result_json()["status"] == "PENDING_APPROVAL");
    CHECK(pending.result_json()["dpd"] == 92);
    CHECK(pending.result_json()["waiting_for"] == json::Value::array({"HUARUI"}));
    CHECK(b.c.loan("L-0001").status == LoanStatus::kActive);
    CHECK(b.c.account("HUARUI", AccountCode::kCreditLossExpense).debits_posted == 0);
    // A second request while one is pending, and an approval by the servicer: 5101.
    b.expect(5101, "WEBANK", "loan.write_off", write_off_body("2024-06-16"));
    b.expect(5101, "WEBANK", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}});
    // BANKC holds no tranche: 2004.
    b.expect(2004, "BANKC", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}});
    // HR approves (in a later block): the write-off executes at the requested value date.
    const auto approve_tx = b.c.tx("HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}}, "HR-AWO-1");
    const auto done = b.c.block("2024-06-21", {approve_tx}).receipts.at(0);
    must_ok(done);
    check_written_off(b.c, done.result_json());
    // DUPLICATE: the same approval again returns the write-off event and changes nothing.
    const auto before = b.c.state().entries();
    const auto dup = b.c.block("2024-06-22", {approve_tx}).receipts.at(0);
    CHECK(dup.status == TxStatus::kDuplicate);
    CHECK(dup.result == done.result);
    CHECK(b.c.state().entries() == before);
    // Approving again with a new client_ref: the loan is no longer ACTIVE.
    b.expect(5002, "HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}});
}

TEST_CASE("write-off with preauth 0 (always approval) and a stale request", "[contracts][credit]") {
    PaidE2Loan b(0);
    must_ok(b.c.run("2024-03-20", "WEBANK", "loan.write_off", write_off_body("2024-03-20")));
    // Any later loan event makes the pending request stale.
    must_ok(b.c.run("2024-03-21", "WEBANK", "loan.repay", repay_body("L-0001", "2024-03-21", "1000", "PAY-2")));
    b.expect(5101, "HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}}, "2024-03-22");
    // A fresh request replaces the stale one and the approval executes it.
    must_ok(b.c.run("2024-03-22", "WEBANK", "loan.write_off", write_off_body("2024-03-22")));
    const auto done = must_ok(b.c.run("2024-03-23", "HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}}));
    CHECK(done.result_json()["status"] == "WRITTEN_OFF");
    CHECK(done.result_json()["value_date"] == "2024-03-22");
}

TEST_CASE("write-off errors change nothing", "[contracts][credit][errors]") {
    PaidE2Loan b(90);
    b.expect(1001, "WEBANK", "loan.write_off", json::Value{{"loan_id", "L-0001"}, {"value_date", "2024-06-15"}});
    b.expect(1001, "WEBANK", "loan.write_off", json::Value{{"loan_id", "L-0001"}, {"value_date", "2024-06-15"}, {"reason", ""}});
    b.expect(1005, "WEBANK", "loan.write_off", write_off_body("2024-06-31"));
    b.expect(2003, "HUARUI", "loan.write_off", write_off_body("2024-06-15"));
    b.expect(5001, "WEBANK", "loan.write_off", write_off_body("2024-06-15", "L-NONE"));
    b.expect(5003, "WEBANK", "loan.write_off", write_off_body("2024-02-14"));
    b.expect(5004, "WEBANK", "loan.write_off", write_off_body("2024-06-21"));
    b.expect(5101, "HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}});  // nothing pending
    b.expect(5001, "HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-NONE"}});
    // A paid-off loan cannot be written off.
    PaidE2Loan paid(0);
    must_ok(paid.c.run("2024-02-20", "WEBANK", "loan.repay",
                       repay_body("L-0001", "2024-02-20", "735166", "PAY-OFF", "PAYOFF")));
    paid.expect(5002, "WEBANK", "loan.write_off", write_off_body("2024-02-20"));
}

TEST_CASE("write-off of a three-bank loan: approvals only from partners not pre-authorised", "[contracts][credit]") {
    Chain c(test_params());
    PartnershipSpec hr;
    hr.writeoff_preauth_dpd = 30;
    c.partnership(hr);
    PartnershipSpec bc;
    bc.id = "P-WB-BC";
    bc.partner = "BANKC";
    c.partnership(bc);  // preauth 0: BANKC must approve
    LoanSpec l;
    l.principal = "100";
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    l.tranches = {{"WEBANK", 3333, ""}, {"HUARUI", 3333, "P-WB-HR"}, {"BANKC", 3334, "P-WB-BC"}};
    must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)));
    // DPD on 2024-04-15 = 60 >= 30: HR pre-authorised, BANKC not.
    const auto pending = must_ok(c.run("2024-04-15", "WEBANK", "loan.write_off", write_off_body("2024-04-15")));
    CHECK(pending.result_json()["required_approvals"] == json::Value::array({"BANKC"}));
    const auto before = c.state().entries();
    const auto r = c.block("2024-04-15", {c.tx("HUARUI", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}})});
    CHECK(r.receipts[0].code == 5101);
    CHECK(c.state().entries() == before);
    const auto done = must_ok(c.run("2024-04-16", "BANKC", "loan.approve_write_off", json::Value{{"loan_id", "L-0001"}}));
    // E1: 100 at 3333/3333/3334 = 33 / 33 / 34.
    CHECK(done.result_json()["tranches"][0]["principal"] == "33");
    CHECK(done.result_json()["tranches"][1]["principal"] == "33");
    CHECK(done.result_json()["tranches"][2]["principal"] == "34");
    CHECK(c.account("BANKC", AccountCode::kCreditLossExpense).debits_posted == 34);
}

TEST_CASE("recovery splits by unrecovered written-off principal and closes the loan", "[contracts][credit]") {
    PaidE2Loan b(90);
    must_ok(b.c.run("2024-06-20", "WEBANK", "loan.write_off", write_off_body("2024-06-15")));
    // 100001 by 220000 / 513333: quotas 30000.31 / 70000.69 -> 30000 / 70001.
    const auto first = ref_lrm(100001, {220000, 513333});
    REQUIRE(first == std::vector<std::int64_t>{30000, 70001});
    const auto r1 = must_ok(b.c.run("2024-07-01", "WEBANK", "loan.recover", recover_body("2024-07-01", "100001", "REC-1")));
    CHECK(r1.result_json()["type"] == "RECOVER");
    CHECK(r1.result_json()["status"] == "WRITTEN_OFF");
    CHECK(r1.result_json()["tranches"][0]["recovered"] == "30000");
    CHECK(r1.result_json()["tranches"][1]["recovered"] == "70001");
    CHECK(r1.result_json()["tranches"][1]["servicer_owes"] == "70001");
    // B.2: S Dr BORROWER_CLEARING R / Cr RECOVERY_INCOME r_S / Cr INTERBANK[i] r_i;
    //      i Dr INTERBANK[S] r_i / Cr RECOVERY_INCOME r_i.
    const auto ev = b.c.event("L-0001", b.c.loan("L-0001").event_seq);
    REQUIRE(ev.has_value());
    REQUIRE(ev->postings.size() == 3);
    CHECK(ev->postings[0] == Posting{"WEBANK", AccountCode::kBorrowerClearing, "", AccountCode::kRecoveryIncome, "", 30000});
    CHECK(ev->postings[1] == Posting{"WEBANK", AccountCode::kBorrowerClearing, "", AccountCode::kInterbank, "HUARUI", 70001});
    CHECK(ev->postings[2] == Posting{"HUARUI", AccountCode::kInterbank, "WEBANK", AccountCode::kRecoveryIncome, "", 70001});
    CHECK(b.c.pos("WEBANK", "HUARUI") == -504653 + 70001);
    CHECK(b.c.obligation("WEBANK", "HUARUI", Category::kRecovery).amount == 70001);
    // More than the rest (733333 - 100001 = 633332) is refused and changes nothing.
    b.expect(5102, "WEBANK", "loan.recover", recover_body("2024-07-02", "633333", "REC-2"), "2024-07-02");
    b.expect(3003, "WEBANK", "loan.recover", recover_body("2024-07-02", "1", "REC-1"), "2024-07-02");
    b.expect(5003, "WEBANK", "loan.recover", recover_body("2024-06-30", "1", "REC-2"), "2024-07-02");
    b.expect(5004, "WEBANK", "loan.recover", recover_body("2024-07-03", "1", "REC-2"), "2024-07-02");
    b.expect(2003, "HUARUI", "loan.recover", recover_body("2024-07-02", "1", "REC-2"), "2024-07-02");
    b.expect(1003, "WEBANK", "loan.recover", recover_body("2024-07-02", "0", "REC-2"), "2024-07-02");
    // The exact rest: by the remaining losses 190000 / 443332, so each tranche lands exactly on
    // its loss, and the loan is CLOSED.
    const auto r2 = must_ok(b.c.run("2024-07-02", "WEBANK", "loan.recover", recover_body("2024-07-02", "633332", "REC-2")));
    CHECK(r2.result_json()["tranches"][0]["recovered"] == "190000");
    CHECK(r2.result_json()["tranches"][1]["recovered"] == "443332");
    CHECK(r2.result_json()["status"] == "CLOSED");
    const Loan l = b.c.loan("L-0001");
    CHECK(l.tranches[0].recovered == 220000);
    CHECK(l.tranches[1].recovered == 513333);
    CHECK(b.c.account("HUARUI", AccountCode::kRecoveryIncome).credits_posted == 513333);
    CHECK(b.c.account("WEBANK", AccountCode::kRecoveryIncome).credits_posted == 220000);
    b.expect(5002, "WEBANK", "loan.recover", recover_body("2024-07-03", "1", "REC-3"), "2024-07-03");
    // Recovery on an ACTIVE loan is a state error.
    PaidE2Loan active(0);
    active.expect(5002, "WEBANK", "loan.recover", recover_body("2024-03-01", "1", "REC-9"), "2024-03-01");
}

TEST_CASE("correction reverses the latest repayment with mirror postings", "[contracts][credit]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
    const Loan before_pay = c.loan("L-0001");
    const auto before_hr_interbank = c.account("HUARUI", AccountCode::kInterbank, "WEBANK");
    // A prepayment on the #1 due date: 12400 interest, 66667 due, 220933 prepaid (SHORTEN:
    // #12, #11, #10 in full = 3 x 66666, then 20935 of #9).
    const auto pay_tx = c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "300000", "PAY-1"));
    const auto paid = c.block("2024-02-15", {pay_tx}).receipts.at(0);
    must_ok(paid);
    CHECK(paid.result_json()["allocation"]["principal_prepaid"] == "220933");
    const auto ev = c.event("L-0001", 2);
    REQUIRE(ev.has_value());
    const std::vector<InstallmentApplication> applied = {{0, 66667}, {8, 20935}, {9, 66666}, {10, 66666}, {11, 66666}};
    CHECK(ev->applied == applied);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000 + ev->tranches[1].principal() + ev->tranches[1].interest);

    const auto fix_tx = c.tx("WEBANK", "loan.correct",
                             json::Value{{"loan_id", "L-0001"}, {"original_event_id", ev->event_id()}, {"reason", "misapplied"}});
    const auto fixed = c.block("2024-02-16", {fix_tx}).receipts.at(0);
    must_ok(fixed);
    CHECK(fixed.result_json()["type"] == "CORRECT");
    CHECK(fixed.result_json()["corrects_event_seq"] == 2);
    CHECK(fixed.result_json()["status"] == "ACTIVE");
    CHECK(fixed.result_json()["principal_out_after"] == "800000");
    // The loan is back where it was, except that the interest accrued to 02-15 stays accrued
    // (unpaid) and the event counter moved on.
    Loan l = c.loan("L-0001");
    CHECK(l.installments == before_pay.installments);
    CHECK(l.event_seq == 3);
    CHECK(l.last_accrual_date == day("2024-02-15"));
    CHECK(l.tranches[0].interest_unpaid == 3720);  // 12400 by 240000 / 560000
    CHECK(l.tranches[1].interest_unpaid == 8680);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(l.tranches[i].principal_out == before_pay.tranches[i].principal_out);
        CHECK(l.tranches[i].principal_paid == 0);
        CHECK(l.tranches[i].interest_paid == 0);
    }
    // Positions are back at the origination's; the reversal is a CORRECTION obligation HR -> WB
    // and mirror postings (same banks, debit and credit swapped).
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    const std::int64_t hr_share = ev->tranches[1].principal() + ev->tranches[1].interest;
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kCorrection).amount == static_cast<U128>(hr_share));
    const auto cev = c.event("L-0001", 3);
    REQUIRE(cev.has_value());
    REQUIRE(cev->postings.size() == ev->postings.size());
    for (std::size_t i = 0; i < ev->postings.size(); ++i) {
        const Posting& o = ev->postings[i];
        CHECK(cev->postings[i] == Posting{o.bank_id, o.credit, o.credit_counterparty, o.debit, o.debit_counterparty, o.amount});
    }
    CHECK(c.account("HUARUI", AccountCode::kInterbank, "WEBANK").net_debit() == before_hr_interbank.net_debit());
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).net_debit() == 240000);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).net_debit() == 560000);
    CHECK(c.account("WEBANK", AccountCode::kInterestIncome).net_debit() == 0);
    const auto view = query::get_partnership(c.state(), "P-WB-HR");
    REQUIRE(view.ok());
    CHECK((*view)["used"] == "560000");
    // DUPLICATE replay of the correction: same result, nothing changes.
    {
        const auto before = c.state().entries();
        const auto dup = c.block("2024-02-16", {fix_tx}).receipts.at(0);
        CHECK(dup.status == TxStatus::kDuplicate);
        CHECK(dup.result == fixed.result);
        CHECK(c.state().entries() == before);
    }
    // The payment's channel_ref is free again: applying it as the instalment it was gives E2 row 1.
    const auto again = must_ok(c.run("2024-02-16", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")));
    CHECK(again.result_json()["allocation"]["interest"] == "12400");
    CHECK(again.result_json()["allocation"]["principal_due"] == "66667");
    CHECK(again.result_json()["tranches"][0]["principal"] == "20000");
    CHECK(again.result_json()["tranches"][0]["interest"] == "3720");
    CHECK(again.result_json()["tranches"][1]["servicer_owes"] == "55347");
    CHECK(c.pos("WEBANK", "HUARUI") == -504653);
}

TEST_CASE("correction of a payoff reopens the loan; of a recovery restores the loss", "[contracts][credit]") {
    PaidE2Loan b(90);
    const Loan mid = b.c.loan("L-0001");
    // Payoff on 2024-02-20: 733333 + interest 733333 x 0.0005 x 5 = 1833.3325 -> 1833.
    const auto off = must_ok(b.c.run("2024-02-20", "WEBANK", "loan.repay",
                                     repay_body("L-0001", "2024-02-20", "735166", "PAY-OFF", "PAYOFF")));
    CHECK(off.result_json()["status"] == "PAID_OFF");
    const auto ev = b.c.event("L-0001", 3);
    REQUIRE(ev.has_value());
    must_ok(b.c.run("2024-02-21", "WEBANK", "loan.correct",
                    json::Value{{"loan_id", "L-0001"}, {"original_event_id", ev->event_id()}, {"reason", "bounced"}}));
    Loan l = b.c.loan("L-0001");
    CHECK(l.status == LoanStatus::kActive);
    CHECK(l.installments == mid.installments);
    CHECK(l.principal_out() == 733333);
    CHECK(l.interest_unpaid() == 1833);
    CHECK(b.c.pos("WEBANK", "HUARUI") == -504653);

    // Recovery correction.
    PaidE2Loan w(90);
    must_ok(w.c.run("2024-06-20", "WEBANK", "loan.write_off", write_off_body("2024-06-15")));
    must_ok(w.c.run("2024-07-01", "WEBANK", "loan.recover", recover_body("2024-07-01", "733333", "REC-1")));
    CHECK(w.c.loan("L-0001").status == LoanStatus::kClosed);
    const auto rec = w.c.event("L-0001", w.c.loan("L-0001").event_seq);
    REQUIRE(rec.has_value());
    const auto fixed = must_ok(w.c.run("2024-07-01", "WEBANK", "loan.correct",
                                       json::Value{{"loan_id", "L-0001"}, {"original_event_id", rec->event_id()}, {"reason", "reversed"}}));
    CHECK(fixed.result_json()["status"] == "WRITTEN_OFF");
    CHECK(fixed.result_json()["tranches"][1]["owed_back_to_servicer"] == "513333");
    CHECK(w.c.loan("L-0001").tranches[1].recovered == 0);
    CHECK(w.c.pos("WEBANK", "HUARUI") == -504653);
    CHECK(w.c.account("HUARUI", AccountCode::kRecoveryIncome).net_debit() == 0);
    CHECK(w.c.obligation("HUARUI", "WEBANK", Category::kCorrection).amount == 513333);
    // The correction itself is not correctable (5002), and the write-off before it neither.
    const auto cor = w.c.event("L-0001", w.c.loan("L-0001").event_seq);
    w.expect(5002, "WEBANK", "loan.correct",
             json::Value{{"loan_id", "L-0001"}, {"original_event_id", cor->event_id()}, {"reason", "x"}}, "2024-07-01");
}

TEST_CASE("correction errors change nothing", "[contracts][credit][errors]") {
    PaidE2Loan b(90);
    const auto first = b.c.event("L-0001", 1);
    const auto pay = b.c.event("L-0001", 2);
    REQUIRE(first.has_value());
    REQUIRE(pay.has_value());
    auto body = [](const std::string& id) {
        return json::Value{{"loan_id", "L-0001"}, {"original_event_id", id}, {"reason", "typo"}};
    };
    b.expect(1001, "WEBANK", "loan.correct", json::Value{{"loan_id", "L-0001"}, {"original_event_id", pay->event_id()}});
    b.expect(2003, "HUARUI", "loan.correct", body(pay->event_id()), "2024-02-16");
    b.expect(5001, "WEBANK", "loan.correct", json::Value{{"loan_id", "L-X"}, {"original_event_id", "x"}, {"reason", "r"}},
             "2024-02-16");
    // 5201: not the latest event (the origination), or no such event at all.
    b.expect(5201, "WEBANK", "loan.correct", body(first->event_id()), "2024-02-16");
    b.expect(5201, "WEBANK", "loan.correct", body(std::string(64, '0') + "-0"), "2024-02-16");
    // 5002: the latest event is an origination.
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
    const auto orig = c.event("L-0001", 1);
    const auto before = c.state().entries();
    const auto r = c.block("2024-01-16", {c.tx("WEBANK", "loan.correct", body(orig->event_id()))}).receipts.at(0);
    CHECK(r.code == 5002);
    CHECK(c.state().entries() == before);
}

json::Value correct_body(const std::string& event_id) {
    return json::Value{{"loan_id", "L-0001"}, {"original_event_id", event_id}, {"reason", "posted twice"}};
}

json::Value approve_correction_body(const std::string& event_id, const std::string& loan = "L-0001") {
    return json::Value{{"loan_id", loan}, {"original_event_id", event_id}};
}

TEST_CASE("correction after the cycle closed executes once the affected partner approves", "[contracts][credit]") {
    // E2 #1 paid in cycle C1: HR was credited 46667 + 8680 = 55347 (E2 row 1). C1 closes, so its
    // instruction already nets that into HR -> WB 560000 - 55347 = 504653. Reversing it needs
    // HR's approval; executed, HR owes the 55347 back as a CORRECTION in the cycle open then.
    PaidE2Loan b(90);
    const auto first = b.c.event("L-0001", 1);
    const auto pay = b.c.event("L-0001", 2);
    REQUIRE(pay.has_value());
    const std::string c1 = pay->cycle_id;
    must_ok(b.c.run("2024-02-16", "WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", c1}}));
    const std::string c2 = b.c.cycle_id();
    REQUIRE(c2 != c1);
    CHECK(b.c.pos("WEBANK", "HUARUI") == -504653);
    const Loan before = b.c.loan("L-0001");

    const auto req = must_ok(b.c.run("2024-02-16", "WEBANK", "loan.correct", correct_body(pay->event_id())));
    CHECK(req.result_json()["status"] == "PENDING_APPROVAL");
    CHECK(req.result_json()["type"] == "CORRECTION");
    CHECK(req.result_json()["corrects_event_seq"] == 2);
    CHECK(req.result_json()["original_event_id"] == pay->event_id());
    CHECK(req.result_json()["original_cycle_id"] == c1);
    CHECK(req.result_json()["required_approvals"] == json::Value::array({"HUARUI"}));
    CHECK(req.result_json()["waiting_for"] == json::Value::array({"HUARUI"}));
    CHECK(req.result_json()["value_date"] == "2024-02-15");
    // Nothing moved yet.
    CHECK(b.c.loan("L-0001") == before);
    CHECK_FALSE(b.c.event("L-0001", 3).has_value());
    CHECK(b.c.pos("WEBANK", "HUARUI") == -504653);

    // Every refusal changes nothing.
    b.expect(5203, "WEBANK", "loan.correct", correct_body(pay->event_id()), "2024-02-16");  // already pending
    b.expect(5203, "WEBANK", "loan.approve_correction", approve_correction_body(pay->event_id()), "2024-02-16");
    b.expect(5203, "HUARUI", "loan.approve_correction", approve_correction_body(first->event_id()), "2024-02-16");
    b.expect(2004, "BANKC", "loan.approve_correction", approve_correction_body(pay->event_id()), "2024-02-16");
    b.expect(5001, "HUARUI", "loan.approve_correction", approve_correction_body("x", "L-NONE"), "2024-02-16");
    b.expect(1001, "HUARUI", "loan.approve_correction", json::Value{{"loan_id", "L-0001"}}, "2024-02-16");

    const auto approve_tx = b.c.tx("HUARUI", "loan.approve_correction", approve_correction_body(pay->event_id()));
    const auto done = must_ok(b.c.block("2024-02-17", {approve_tx}).receipts.at(0));
    CHECK(done.result_json()["type"] == "CORRECT");
    CHECK(done.result_json()["corrects_event_seq"] == 2);
    CHECK(done.result_json()["reason"] == "posted twice");
    CHECK(done.result_json()["tranches"][1]["owed_back_to_servicer"] == "55347");
    const auto cev = b.c.event("L-0001", 3);
    REQUIRE(cev.has_value());
    CHECK(cev->cycle_id == c2);
    CHECK(cev->value_date == day("2024-02-15"));
    CHECK(b.c.obligation("HUARUI", "WEBANK", Category::kCorrection).amount == 55347);
    CHECK(b.c.pos("WEBANK", "HUARUI") == -560000);
    const Loan l = b.c.loan("L-0001");
    CHECK(l.principal_out() == 800000);
    CHECK(l.tranches[0].interest_unpaid == 3720);
    CHECK(l.tranches[1].interest_unpaid == 8680);
    for (const auto& inst : l.installments) {
        CHECK(inst.principal_paid == 0);
    }
    CHECK(b.c.account("HUARUI", AccountCode::kInterestIncome).net_debit() == 0);
    // A DUPLICATE of the approval re-renders the correction; a new approval finds nothing pending.
    {
        const auto snapshot = b.c.state().entries();
        const auto dup = b.c.block("2024-02-17", {approve_tx}).receipts.at(0);
        CHECK(dup.status == TxStatus::kDuplicate);
        CHECK(dup.result == done.result);
        CHECK(b.c.state().entries() == snapshot);
    }
    b.expect(5203, "HUARUI", "loan.approve_correction", approve_correction_body(pay->event_id()), "2024-02-17");
    // C2 closes with the reversal as its only obligation: HR pays WB back 55347.
    const auto closed = must_ok(b.c.run("2024-02-17", "WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", c2}}));
    REQUIRE(closed.result_json()["instructions"].size() == 1);
    CHECK(closed.result_json()["instructions"][0]["debtor"] == "HUARUI");
    CHECK(closed.result_json()["instructions"][0]["amount"] == "55347");
}

TEST_CASE("a pending correction goes stale with the loan's next event", "[contracts][credit]") {
    PaidE2Loan b(90);
    const auto pay = b.c.event("L-0001", 2);
    must_ok(b.c.run("2024-02-16", "WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", pay->cycle_id}}));
    must_ok(b.c.run("2024-02-16", "WEBANK", "loan.correct", correct_body(pay->event_id())));
    // E2 #2 on its due date: 66667 + 10633 = 77300.
    must_ok(b.c.run("2024-03-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-03-15", "77300", "PAY-2")));
    const auto r = b.expect(5203, "HUARUI", "loan.approve_correction", approve_correction_body(pay->event_id()), "2024-03-15");
    CHECK(r.detail_json()["reason"].get<std::string>().find("stale") != std::string::npos);
    // The new latest event can be corrected in its own (open) cycle at once, no approval needed.
    const auto pay2 = b.c.event("L-0001", 3);
    const auto fixed = must_ok(b.c.run("2024-03-15", "WEBANK", "loan.correct", correct_body(pay2->event_id())));
    CHECK(fixed.result_json()["type"] == "CORRECT");
    CHECK(b.c.pos("WEBANK", "HUARUI") == -504653);
}

}  // namespace jc::contracts::test
