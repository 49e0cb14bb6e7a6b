// Goal: automatic cycle closing (DOMAIN.md B.8, ADR 0051) happens in the block prologue exactly
// when the block time reaches the open cycle's scheduled cutoff (or a repayment flagged an early
// close), deterministically and once; an explicit close of the same cycle then gets 7001 and
// changes nothing; settlement dates follow the business-day calendar (weekends, holidays,
// working weekends, the end-of-day cycle settling the next business day).
// Method: a test chain whose governance parameters carry the cutoffs 11:00, 16:30 and 24:00 CST
// and a calendar with New Year's Day 2024, the 2024 Spring Festival holidays (10-17 Feb) and the
// working Sundays 4 and 18 Feb; blocks at exact CST times. Expected cycle ids, cutoffs and
// settlement dates are worked from the rules by hand (weekdays from the 2024 calendar), not
// read from the engine.
#include "chain.h"
#include "settlement_fixture.h"

#include <jc/contracts/settlement.h>

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

Params calendar_params() {
    Params p = test_params();
    p.cycle_cutoffs_minutes = {11 * 60, 16 * 60 + 30, 24 * 60};
    p.holidays = {day("2024-01-01")};
    for (int d = 10; d <= 17; ++d) {
        p.holidays.push_back(day("2024-02-" + std::to_string(d)));
    }
    p.working_weekends = {day("2024-02-04"), day("2024-02-18")};
    return p;
}

// L-0001 of E1 (800000, WB 30 / HR 70) valued on the genesis date.
json::Value new_year_loan() {
    LoanSpec l;
    l.value_date = "2024-01-01";
    l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-01"}};
    return originate_body(l);
}

}  // namespace

TEST_CASE("cutoffs close the open cycle in the block prologue, once, at 11:00, 16:30 and 24:00 CST",
          "[contracts][settlement][cutoff]") {
    Chain c(calendar_params());
    // Genesis at noon on 2024-01-01, a holiday: the first cutoff is Tuesday 2024-01-02 11:00.
    CHECK(cycle(c, "20240101-01").cutoff_ms == cst_ms("2024-01-02", "11:00"));
    c.partnership(PartnershipSpec{});
    ok(c.run("2024-01-01", "WEBANK", "loan.originate", new_year_loan()));  // HR owes WB 560000

    c.block_at(cst_ms("2024-01-02", "10:59"), {});
    CHECK(c.cycle_id() == "20240101-01");

    // At 11:00 exactly the prologue closes it; HUARUI's explicit close of the same cycle in that
    // block then conflicts (7001) and writes nothing: the block's writes equal an empty block's.
    const auto late_close = c.tx("HUARUI", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240101-01"}});
    const auto empty = c.try_block_at(cst_ms("2024-01-02", "11:00"), {});
    REQUIRE(empty.ok());
    const auto out = c.block_at(cst_ms("2024-01-02", "11:00"), {late_close});
    CHECK(out.receipts[0].code == 7001);
    CHECK(out.receipts[0].detail_json()["current_cycle_id"] == "20240102-01");
    CHECK(out.writes == empty->writes);
    const Cycle closed = cycle(c, "20240101-01");
    CHECK(closed.status == CycleStatus::kClosed);
    CHECK(closed.close_trigger == CloseTrigger::kCutoff);
    CHECK(closed.closed_at_height == c.height());
    CHECK(closed.settlement_date == day("2024-01-02"));
    const auto si = instruction(c, "SI-20240101-01-HUARUI-WEBANK");
    CHECK(si.amount == 560000);
    CHECK(si.settlement_date == day("2024-01-02"));
    CHECK(c.cycle_id() == "20240102-01");
    CHECK(cycle(c, "20240102-01").cutoff_ms == cst_ms("2024-01-02", "16:30"));

    // 16:30: the cycle closes with nothing in it (SETTLED at once), settling the same day (16:30
    // is the last intraday cutoff); the next one runs to midnight.
    c.block_at(cst_ms("2024-01-02", "16:29"), {});
    CHECK(c.cycle_id() == "20240102-01");
    c.block_at(cst_ms("2024-01-02", "16:45"), {});
    CHECK(cycle(c, "20240102-01").status == CycleStatus::kSettled);
    CHECK(cycle(c, "20240102-01").settlement_date == day("2024-01-02"));
    CHECK(c.cycle_id() == "20240102-02");
    CHECK(cycle(c, "20240102-02").cutoff_ms == cst_ms("2024-01-03", "00:00"));

    // The end-of-day cycle closes at midnight and settles the next business day, Wednesday.
    c.block_at(cst_ms("2024-01-03", "00:00"), {});
    CHECK(cycle(c, "20240102-02").close_trigger == CloseTrigger::kCutoff);
    CHECK(cycle(c, "20240102-02").settlement_date == day("2024-01-03"));
    CHECK(c.cycle_id() == "20240103-01");
    CHECK(cycle(c, "20240103-01").cutoff_ms == cst_ms("2024-01-03", "11:00"));
}

TEST_CASE("settlement dates skip weekends and holidays; a working Sunday settles; an idle chain closes once",
          "[contracts][settlement][cutoff]") {
    Chain c(calendar_params());
    c.partnership(PartnershipSpec{});
    // The chain is idle until Friday 2024-02-09 17:00: the overdue cutoff (2024-01-02 11:00) closes
    // the genesis cycle once, as of the block time (a later date than the cutoff's): 17:00 is
    // after the last intraday cutoff, so it settles the next business day after Friday 9 Feb:
    // Sat 10 - Sat 17 are holidays or weekend, Sunday 18 Feb is a working day.
    c.block_at(cst_ms("2024-02-09", "17:00"), {});
    CHECK(cycle(c, "20240101-01").status == CycleStatus::kSettled);  // empty
    CHECK(cycle(c, "20240101-01").settlement_date == day("2024-02-18"));
    CHECK(c.cycle_id() == "20240209-01");
    CHECK(cycle(c, "20240209-01").cutoff_ms == cst_ms("2024-02-10", "00:00"));  // Friday's 24:00

    LoanSpec l;
    l.value_date = "2024-02-09";
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-03-09"}};
    c.block_at(cst_ms("2024-02-09", "17:30"), {c.tx("WEBANK", "loan.originate", originate_body(l))});
    // Saturday morning (a holiday): the end-of-day cycle of Friday closes as of its cutoff and
    // settles on Sunday 18 Feb; the next cutoff is that Sunday's 11:00.
    c.block_at(cst_ms("2024-02-10", "09:00"), {});
    const Cycle friday = cycle(c, "20240209-01");
    CHECK(friday.status == CycleStatus::kClosed);
    CHECK(friday.settlement_date == day("2024-02-18"));
    CHECK(instruction(c, "SI-20240209-01-HUARUI-WEBANK").settlement_date == day("2024-02-18"));
    CHECK(c.cycle_id() == "20240210-01");
    CHECK(cycle(c, "20240210-01").cutoff_ms == cst_ms("2024-02-18", "11:00"));
    c.block_at(cst_ms("2024-02-17", "12:00"), {});
    CHECK(c.cycle_id() == "20240210-01");
    c.block_at(cst_ms("2024-02-18", "11:00"), {});
    CHECK(c.cycle_id() == "20240218-01");
    CHECK(cycle(c, "20240210-01").settlement_date == day("2024-02-18"));
    // After Sunday's 11:00 comes Sunday's 16:30.
    CHECK(cycle(c, "20240218-01").cutoff_ms == cst_ms("2024-02-18", "16:30"));
}

TEST_CASE("an explicit close settles today inside HVPS hours and the next business day after them",
          "[contracts][settlement][cutoff]") {
    Chain c(calendar_params());
    c.partnership(PartnershipSpec{});
    ok(c.run("2024-01-01", "WEBANK", "loan.originate", new_year_loan()));
    // Tuesday 10:00 (before the 11:00 cutoff): settles Tuesday.
    auto out = c.block_at(cst_ms("2024-01-02", "10:00"),
                          {c.tx("BANKC", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240101-01"}})});
    ok(out.receipts[0]);
    CHECK(out.receipts[0].result_json()["close_trigger"] == "EXPLICIT");
    CHECK(out.receipts[0].result_json()["settlement_date"] == "2024-01-02");
    CHECK(cycle(c, "20240101-01").close_trigger == CloseTrigger::kExplicit);
    // The new cycle still closes at Tuesday's 11:00.
    CHECK(cycle(c, "20240102-01").cutoff_ms == cst_ms("2024-01-02", "11:00"));
    // Friday 20:00 (after 16:30): the prologue first closes the overdue cycle of Tuesday; an
    // explicit close of the cycle it opened, at 20:30, settles Monday 8 Jan.
    c.block_at(cst_ms("2024-01-05", "20:00"), {});
    CHECK(c.cycle_id() == "20240105-01");
    out = c.block_at(cst_ms("2024-01-05", "20:30"),
                     {c.tx("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240105-01"}})});
    ok(out.receipts[0]);
    CHECK(out.receipts[0].result_json()["settlement_date"] == "2024-01-08");
    CHECK(cycle(c, "20240105-01").settlement_date == day("2024-01-08"));
    // The next cutoff after Friday 20:30 is Friday's 24:00.
    CHECK(cycle(c, "20240105-02").cutoff_ms == cst_ms("2024-01-06", "00:00"));
}

TEST_CASE("a repayment above collection_limit closes the cycle early in the next block's prologue",
          "[contracts][settlement][cutoff]") {
    Chain c(test_params());  // no cutoffs: only the early close can close it
    PartnershipSpec p;
    p.funding_mode = "DIRECT";  // no funding leg: the repayment alone moves pos(WB, HR)
    p.collection_limit = "50000";
    c.partnership(p);
    LoanSpec l;
    l.mode = "DIRECT";
    ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)));
    const auto r = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"));
    ok(r);
    CHECK(r.result_json()["early_cycle_close"] == true);  // WEBANK now owes HUARUI 55347 in this cycle
    CHECK(c.cycle_id() == "20240101-01");
    c.block("2024-02-15", {});
    const Cycle early = cycle(c, "20240101-01");
    CHECK(early.close_trigger == CloseTrigger::kEarly);
    CHECK(early.status == CycleStatus::kClosed);
    CHECK(instruction(c, "SI-20240101-01-WEBANK-HUARUI").amount == 55347);
    CHECK(c.cycle_id() == "20240215-01");
    CHECK_FALSE(cycle(c, "20240215-01").early_close_requested);
    c.block("2024-02-16", {});
    CHECK(c.cycle_id() == "20240215-01");  // no further close without a trigger
}

}  // namespace jc::contracts::test
