// Goal: servicing rules on cases worked out by hand from DOMAIN.md (independently of the
// engine's code): penalty REPLACE vs ADD, a partial payment in arrears applied bucket-first
// across overdue instalments, SHORTEN prepayment, an exact half fen under half-up and
// half-even, leap-year and month-end due dates, the three funding modes' postings and bounds,
// three-way splits, the early-cycle-close flag and non-atomic batches.
// Method: each case's expected numbers are derived in the comments; the engine must match.
#include "chain.h"

#include <jc/contracts/arith/date.h>

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {


Chain chain_with_loan(LoanSpec l, Params params = test_params()) {
    Chain c(std::move(params));
    c.partnership(PartnershipSpec{});
    REQUIRE(c.run(l.value_date, "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    return c;
}

}  // namespace

TEST_CASE("penalty REPLACE and ADD on a bullet paid ten days late", "[contracts][servicing]") {
    // 100000 fen bullet from 2024-01-15 due 2024-02-15 (31 days), 0.05 %/day, penalty 0.075 %/day,
    // paid 2024-02-25 (10 days overdue; the due date itself counts as overdue day 1 of 10).
    //   REPLACE: interest 100000 x 0.0005 x 31 = 1550; penalty 100000 x 0.00075 x 10 = 750.
    //   ADD:     interest 100000 x 0.0005 x 41 = 2050; penalty 750.
    for (const auto& [mode, interest, total] : {std::tuple{"REPLACE", 1550, 102300}, std::tuple{"ADD", 2050, 102800}}) {
        INFO(mode);
        LoanSpec l;
        l.principal = "100000";
        l.penalty_mode = mode;
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
        Chain c = chain_with_loan(l);
        const auto loan_view = query::get_loan(c.state(), "L-0001", day("2024-02-25"));
        REQUIRE(loan_view.ok());
        CHECK((*loan_view)["dpd"] == 10);
        CHECK((*loan_view)["classification"] == "PERFORMING");
        CHECK((*loan_view)["owed_as_of"]["total"] == std::to_string(total));
        const auto r = c.run("2024-02-25", "WEBANK", "loan.repay",
                             repay_body("L-0001", "2024-02-25", std::to_string(total), "PAY-1", "PAYOFF"));
        REQUIRE(r.status == TxStatus::kOk);
        CHECK(amt(r.result_json()["allocation"]["interest"]) == interest);
        CHECK(amt(r.result_json()["allocation"]["penalty"]) == 750);
        // Split by principal 30000 / 70000: penalty 225 / 525.
        CHECK(amt(r.result_json()["tranches"][0]["penalty"]) == 225);
        CHECK(amt(r.result_json()["tranches"][1]["penalty"]) == 525);
        CHECK(c.account("HUARUI", AccountCode::kPenaltyIncome).credits_posted == 525);
        CHECK(c.obligation("WEBANK", "HUARUI", Category::kPenalty).amount == 525);
    }
}

TEST_CASE("partial payment in arrears goes bucket-first across overdue instalments", "[contracts][servicing]") {
    // 90000 in 3 instalments of 30000 due 02-15, 03-15, 04-15 (REPLACE). Nothing paid until 04-20.
    //   [01-15,02-15) 31 d: normal 90000                 -> interest 90000*31
    //   [02-15,03-15) 29 d: overdue 30000, normal 60000  -> interest 60000*29, penalty 30000*29
    //   [03-15,04-15) 31 d: overdue 60000, normal 30000  -> interest 30000*31, penalty 60000*31
    //   [04-15,04-20)  5 d: overdue 90000                -> penalty 90000*5
    //   interest = 5,460,000 * 0.0005 = 2730; penalty = 3,180,000 * 0.00075 = 2385.
    // Paying 50000: penalty 2385, interest 2730, principal 44885 = #1 30000 + #2 14885.
    LoanSpec l;
    l.principal = "90000";
    l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 3}, {"first_due_date", "2024-02-15"}};
    Chain c = chain_with_loan(l);
    const auto r = c.run("2024-04-20", "WEBANK", "loan.repay", repay_body("L-0001", "2024-04-20", "50000", "PAY-1"));
    REQUIRE(r.status == TxStatus::kOk);
    CHECK(amt(r.result_json()["accrual"]["interest"]) == 2730);
    CHECK(amt(r.result_json()["accrual"]["penalty"]) == 2385);
    CHECK(amt(r.result_json()["allocation"]["penalty"]) == 2385);
    CHECK(amt(r.result_json()["allocation"]["interest"]) == 2730);
    CHECK(amt(r.result_json()["allocation"]["principal_due"]) == 44885);
    CHECK(amt(r.result_json()["allocation"]["principal_prepaid"]) == 0);
    const Loan loan = c.loan("L-0001");
    CHECK(loan.installments[0].principal_paid == 30000);
    CHECK(loan.installments[1].principal_paid == 14885);
    CHECK(loan.installments[2].principal_paid == 0);
    const auto view = *query::get_loan(c.state(), "L-0001", day("2024-04-20"));
    CHECK(view["dpd"] == 36);  // oldest unpaid due date 03-15
    CHECK(view["schedule"][1]["status"] == "OVERDUE");
    CHECK(view["schedule"][2]["status"] == "OVERDUE");
    // Same day, the rest: 15115 + 30000 = 45115 with no further accrual: paid off.
    const auto q = *query::quote_payoff(c.state(), "L-0001", day("2024-04-20"));
    CHECK(q["payoff_amount"] == "45115");
    const auto r2 = c.run("2024-04-20", "WEBANK", "loan.repay", repay_body("L-0001", "2024-04-20", "45115", "PAY-2"));
    REQUIRE(r2.status == TxStatus::kOk);
    CHECK(r2.result_json()["status"] == "PAID_OFF");
    CHECK(r2.result_json()["accrual"]["days"] == 0);
    // 91 days past due makes a loan non-performing.
    Chain c2 = chain_with_loan(l);
    CHECK((*query::get_loan(c2.state(), "L-0001", day("2024-05-16")))["classification"] == "NON_PERFORMING");  // 91 d
    CHECK((*query::get_loan(c2.state(), "L-0001", day("2024-05-15")))["classification"] == "PERFORMING");      // 90 d
}

TEST_CASE("prepayment SHORTEN and an exact half fen under both rounding modes", "[contracts][servicing]") {
    // 100000 in 4 x 25000 from 2024-02-15. On 02-15 pay 25000 + 1550 interest + 30000 extra:
    // the extra retires #4 (25000) and 5000 of #3. On 03-15 interest is 45000 * 29 * 0.0005 =
    // 652.5 fen: half-up 653, half-even 652.
    for (const auto& [rounding, interest] : {std::pair{arith::Rounding::kHalfUp, 653}, std::pair{arith::Rounding::kHalfEven, 652}}) {
        LoanSpec l;
        l.principal = "100000";
        l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 4}, {"first_due_date", "2024-02-15"}};
        Params params = test_params();
        params.rounding = rounding;
        Chain c = chain_with_loan(l, params);
        const auto r = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "56550", "PAY-1"));
        REQUIRE(r.status == TxStatus::kOk);
        CHECK(amt(r.result_json()["allocation"]["principal_due"]) == 25000);
        CHECK(amt(r.result_json()["allocation"]["principal_prepaid"]) == 30000);
        const Loan loan = c.loan("L-0001");
        CHECK(loan.installments[0].principal_paid == 25000);
        CHECK(loan.installments[1].principal_paid == 0);
        CHECK(loan.installments[2].principal_paid == 5000);
        CHECK(loan.installments[3].principal_paid == 25000);
        const auto r2 = c.run("2024-03-15", "WEBANK", "loan.repay",
                              repay_body("L-0001", "2024-03-15", std::to_string(25000 + interest), "PAY-2"));
        REQUIRE(r2.status == TxStatus::kOk);
        CHECK(amt(r2.result_json()["allocation"]["interest"]) == interest);
        CHECK(amt(r2.result_json()["allocation"]["principal_due"]) == 25000);
        CHECK(c.loan("L-0001").principal_out() == 20000);
    }
}

TEST_CASE("month-end due dates in a leap year", "[contracts][servicing]") {
    // First due 2024-01-31, four months: 01-31, 02-29, 03-31, 04-30 (days 31, 29, 31, 30 from
    // 2023-12-31). On-time interest: 400000*31, 300000*29, 200000*31, 100000*30 at 0.0005.
    LoanSpec l;
    l.principal = "400000";
    l.value_date = "2023-12-31";
    l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 4}, {"first_due_date", "2024-01-31"}};
    Chain c(test_params());
    c.partnership(PartnershipSpec{}, "2023-12-01");
    REQUIRE(c.run("2023-12-31", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    const char* dues[] = {"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"};
    const std::int64_t days[] = {31, 29, 31, 30};
    const std::int64_t interest[] = {6200, 4350, 3100, 1500};
    for (int k = 0; k < 4; ++k) {
        CHECK(arith::format_date(c.loan("L-0001").installments[static_cast<std::size_t>(k)].due_date) == dues[k]);
        const auto r = c.run(dues[k], "WEBANK", "loan.repay",
                             repay_body("L-0001", dues[k], std::to_string(100000 + interest[k]), "PAY-" + std::to_string(k)));
        REQUIRE(r.status == TxStatus::kOk);
        CHECK(r.result_json()["accrual"]["days"] == days[k]);
        CHECK(amt(r.result_json()["allocation"]["interest"]) == interest[k]);
        CHECK(amt(r.result_json()["allocation"]["penalty"]) == 0);
    }
    CHECK(c.loan("L-0001").status == LoanStatus::kPaidOff);
}

TEST_CASE("DIRECT funding: no interbank leg at origination", "[contracts][servicing]") {
    Chain c(test_params());
    PartnershipSpec p;
    p.funding_mode = "DIRECT";
    c.partnership(p);
    LoanSpec l;
    l.mode = "DIRECT";
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
    CHECK(c.account("HUARUI", AccountCode::kSettlementCash).credits_posted == 560000);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).debits_posted == 560000);
    CHECK(c.account("WEBANK", AccountCode::kBorrowerClearing).credits_posted == 240000);
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kFunding).amount == 0);
    // Repayments still create what the servicer owes the partner.
    REQUIRE(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")).status ==
            TxStatus::kOk);
    CHECK(c.pos("WEBANK", "HUARUI") == 55347);
}

TEST_CASE("PREFUNDED_RESERVE: disbursement bounded by what the servicer holds for the partner", "[contracts][servicing]") {
    // A FRONTED loan paid off leaves WB owing HR its interest: pos(WB,HR) = 8680 after a bullet
    // of 800000 at 30/70 (HR interest 12400 * 0.7 = 8680). A prefunded loan may draw on that.
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    PartnershipSpec pre;
    pre.id = "P-WB-HR-PRE";
    pre.funding_mode = "PREFUNDED_RESERVE";
    c.partnership(pre);
    LoanSpec l;
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    REQUIRE(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812400", "PAY-1")).status ==
            TxStatus::kOk);
    CHECK(c.pos("WEBANK", "HUARUI") == 8680);
    LoanSpec p2;
    p2.loan_id = "L-0002";
    p2.channel_ref = "DISB-2";
    p2.mode = "PREFUNDED_RESERVE";
    p2.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-WB-HR-PRE"}};
    p2.principal = "12401";  // HR tranche 8681 > 8680
    CHECK(c.run("2024-02-16", "WEBANK", "loan.originate", originate_body(p2)).code == 4403);
    p2.principal = "12400";  // HR tranche exactly 8680
    REQUIRE(c.run("2024-02-16", "WEBANK", "loan.originate", originate_body(p2)).status == TxStatus::kOk);
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
}

TEST_CASE("three tranches: E1's 3333/3333/3334 through the engine", "[contracts][servicing]") {
    Chain c(test_params());
    PartnershipSpec hr;
    hr.min_share_bps = 3000;
    c.partnership(hr);
    PartnershipSpec bc;
    bc.id = "P-WB-BC";
    bc.partner = "BANKC";
    c.partnership(bc);
    LoanSpec l;
    l.tranches = {{"WEBANK", 3333, ""}, {"HUARUI", 3333, "P-WB-HR"}, {"BANKC", 3334, "P-WB-BC"}};
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    const Loan loan = c.loan("L-0001");
    CHECK(loan.tranches[0].principal_orig == 266640);
    CHECK(loan.tranches[1].principal_orig == 266640);
    CHECK(loan.tranches[2].principal_orig == 266720);
    CHECK(c.pos("WEBANK", "BANKC") == -266720);
    // Payoff clears every tranche exactly.
    const auto q = *query::quote_payoff(c.state(), "L-0001", day("2024-03-01"));
    const auto r = c.run("2024-03-01", "WEBANK", "loan.repay",
                         repay_body("L-0001", "2024-03-01", q["payoff_amount"].get<std::string>(), "PAY-1", "PAYOFF"));
    REQUIRE(r.status == TxStatus::kOk);
    for (const auto& t : c.loan("L-0001").tranches) {
        CHECK(t.principal_out == 0);
        CHECK(t.interest_unpaid == 0);
        CHECK(t.penalty_unpaid == 0);
    }
    // The servicer need not be the first tranche.
    LoanSpec l2;
    l2.loan_id = "L-0002";
    l2.channel_ref = "DISB-2";
    l2.borrower = std::string(64, 'd');
    l2.tranches = {{"HUARUI", 7000, "P-WB-HR"}, {"WEBANK", 3000, ""}};
    REQUIRE(c.run("2024-03-01", "WEBANK", "loan.originate", originate_body(l2)).status == TxStatus::kOk);
    REQUIRE(c.run("2024-04-01", "WEBANK", "loan.repay", repay_body("L-0002", "2024-04-01", "100000", "PAY-2")).status ==
            TxStatus::kOk);
}

TEST_CASE("collection above the partnership's collection_limit flags an early cycle close", "[contracts][servicing]") {
    Chain c(test_params());
    PartnershipSpec p;
    p.funding_mode = "DIRECT";
    p.collection_limit = "50000";
    c.partnership(p);
    LoanSpec l;
    l.mode = "DIRECT";
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    const auto r = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"));
    REQUIRE(r.status == TxStatus::kOk);
    CHECK(r.result_json()["early_cycle_close"] == true);  // pos 55347 > 50000
    CHECK((*query::get_positions(c.state(), "WEBANK"))["early_close_requested"] == true);
}

TEST_CASE("non-atomic batch: items succeed or fail independently; replays are DUPLICATE", "[contracts][servicing]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    LoanSpec a;
    a.loan_id = "L-A";
    a.channel_ref = "D-A";
    LoanSpec b = a;
    b.loan_id = "L-B";
    b.channel_ref = "D-B";
    b.borrower = std::string(64, 'e');
    b.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 6999, "P-WB-HR"}};
    const json::Value batch{{"atomic", false},
                            {"items", {json::Value{{"type", "loan.originate"}, {"body", originate_body(a)}},
                                       json::Value{{"type", "loan.originate"}, {"body", originate_body(b)}}}}};
    const auto tx = c.tx("WEBANK", "batch", batch, "BATCH-1");
    const auto out = c.block("2024-01-15", {tx});
    const TxReceipt& r = out.receipts[0];
    REQUIRE(r.status == TxStatus::kOk);
    CHECK(r.result_json()["items"][0]["status"] == "OK");
    CHECK(r.result_json()["items"][0]["result"]["loan_id"] == "L-A");
    CHECK(r.result_json()["items"][1]["status"] == "REJECTED");
    CHECK(r.result_json()["items"][1]["code"] == 4102);
    CHECK(c.state().get(keys::loan("L-A"))->has_value());
    CHECK_FALSE(c.state().get(keys::loan("L-B"))->has_value());
    const auto again = c.block("2024-01-16", {tx});
    CHECK(again.receipts[0].status == TxStatus::kDuplicate);
    CHECK(again.receipts[0].result == r.result);
    // Nested batches and unknown item types are malformed.
    const json::Value nested{{"atomic", true}, {"items", {json::Value{{"type", "batch"}, {"body", json::Value::object()}}}}};
    CHECK(c.run("2024-01-16", "WEBANK", "batch", nested).code == 1001);
}

}  // namespace jc::contracts::test
