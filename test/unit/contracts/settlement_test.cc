// Goal: settlement cycles (DOMAIN.md B.4, B.8) close into exactly the bilateral net
// instructions of worked example E6, the next cycle opens at once, instructions follow
// PENDING -> SENT -> SETTLED with the B.2 settlement postings, the cycle becomes SETTLED when
// every instruction is, and every 7xxx/2005/2006 rejection changes nothing.
// Method: E6's seven obligations are produced by real loan transactions on a test chain (the
// loans of E1-E3 plus L-0101/L-0102/L-0201 and a rate-0 L-0200 whose BANKC tranche is exactly
// 120000), after the earlier funding has been settled through a first cycle; expected figures
// are the ones printed in DOMAIN.md E6, the obligations digest is recomputed from the stated
// key/amount/count lines, and "nothing changed" compares the whole state before and after.
#include "../../../contracts/src/invariants.h"
#include "../../../contracts/src/overlay.h"
#include "settlement_fixture.h"

#include <jc/contracts/settlement.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

namespace jc::contracts::test {

TEST_CASE("E6: the cycle's obligations are exactly E6's seven, gross 2600704", "[contracts][settlement][E6]") {
    E6 e;
    Chain& c = e.c;
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kFunding).amount == 560000);
    CHECK(c.obligation("BANKC", "WEBANK", Category::kFunding).amount == 864197);
    CHECK(c.obligation("WEBANK", "HUARUI", Category::kPrincipal).amount == 46667 + 640000);
    CHECK(c.obligation("WEBANK", "HUARUI", Category::kInterest).amount == 8680 + 9920);
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kServiceFee).amount == 1240);
    CHECK(c.obligation("BANKC", "HUARUI", Category::kFunding).amount == 350000);
    CHECK(c.obligation("HUARUI", "BANKC", Category::kPrincipal).amount == 120000);
    CHECK(c.obligation("HUARUI", "BANKC", Category::kInterest).amount == 0);
    U128 gross = 0;
    std::uint64_t count = 0;
    REQUIRE(c.state()
                .scan(keys::obligation_prefix("20240215-01"),
                      [&](std::string_view, std::string_view v) {
                          auto agg = decode_obligation(v);
                          REQUIRE(agg.ok());
                          gross += agg->amount;
                          count += agg->count;
                          return true;
                      })
                .ok());
    CHECK(gross == 2600704);
    CHECK(count == 9);  // E6's rows 3 and 4 are each a PRINCIPAL and an INTEREST obligation
}

TEST_CASE("E6: bilateral DNS gives exactly three instructions; the next cycle opens at once",
          "[contracts][settlement][E6]") {
    E6 e;
    Chain& c = e.c;
    const auto r = close(c, "2024-02-15", "HUARUI", "20240215-01");
    ok(r);
    CHECK(r.result_json()["closed_cycle_id"] == "20240215-01");
    CHECK(r.result_json()["closed_cycle_status"] == "CLOSED");
    CHECK(r.result_json()["next_cycle_id"] == "20240215-02");
    CHECK(c.cycle_id() == "20240215-02");
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kClosed);
    CHECK(cycle(c, "20240215-02").status == CycleStatus::kOpen);
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 3);
    // Ordered by the unordered pair's names.
    CHECK(list[0]["instruction_id"] == "SI-20240215-01-BANKC-HUARUI");
    CHECK(list[0]["amount"] == "230000");
    CHECK(list[1]["instruction_id"] == "SI-20240215-01-BANKC-WEBANK");
    CHECK(list[1]["amount"] == "864197");
    CHECK(list[2]["instruction_id"] == "SI-20240215-01-WEBANK-HUARUI");
    CHECK(list[2]["amount"] == "144027");
    std::int64_t total = 0;
    std::map<std::string, std::int64_t> multilateral;
    for (const auto& si : list) {
        const std::int64_t a = std::stoll(si["amount"].get<std::string>());
        total += a;
        multilateral[si["creditor"]] += a;
        multilateral[si["debtor"]] -= a;
    }
    CHECK(total == 1238224);
    CHECK(multilateral["WEBANK"] == 720170);
    CHECK(multilateral["HUARUI"] == 374027);
    CHECK(multilateral["BANKC"] == -1094197);

    // pacs.009 shape of WB -> HR.
    const json::Value& wh = list[2];
    CHECK(wh["end_to_end_id"] == wh["instruction_id"]);
    CHECK(wh["cycle_id"] == "20240215-01");
    CHECK(wh["debtor"] == "WEBANK");
    CHECK(wh["creditor"] == "HUARUI");
    CHECK(wh["debtor_cnaps"] == "999900000001");  // the test genesis assigns CNAPS codes in bank-id order
    CHECK(wh["creditor_cnaps"] == "323100000017");
    CHECK(wh["currency"] == "CNY");
    CHECK(wh["settlement_date"] == "2024-02-15");
    CHECK(wh["status"] == "PENDING");
    CHECK(wh["categories"] == json::Value{{"FUNDING", "-560000"},
                                          {"PRINCIPAL", "686667"},
                                          {"INTEREST", "18600"},
                                          {"SERVICE_FEE", "-1240"}});
    CHECK(wh["counts"] == json::Value{{"FUNDING", 1}, {"PRINCIPAL", 2}, {"INTEREST", 2}, {"SERVICE_FEE", 1}});
    const std::string lines =
        "ob/20240215-01/HUARUI/WEBANK/FUNDING=560000,1\n"
        "ob/20240215-01/HUARUI/WEBANK/SERVICE_FEE=1240,1\n"
        "ob/20240215-01/WEBANK/HUARUI/INTEREST=18600,2\n"
        "ob/20240215-01/WEBANK/HUARUI/PRINCIPAL=686667,2\n";
    CHECK(wh["obligations_digest"] == sha256(lines).hex());
    CHECK(list[1]["categories"] == json::Value{{"FUNDING", "864197"}});
    CHECK(list[0]["categories"] == json::Value{{"FUNDING", "350000"}, {"PRINCIPAL", "-120000"}});

    // B5: with the earlier cycle settled, pos(WB, HR) at close is the WB -> HR instruction.
    CHECK(c.pos("WEBANK", "HUARUI") == 144027);
    // The stored record agrees with the result.
    const auto stored = instruction(c, "SI-20240215-01-WEBANK-HUARUI");
    CHECK(stored.amount == 144027);
    CHECK(stored.status == InstructionStatus::kPending);

    // New obligations land in the new cycle.
    ok(c.run("2024-02-16", "WEBANK", "loan.repay", repay_body("L-0101", "2024-02-16", "1000", "PAY-101-1")));
    CHECK(c.obligation("WEBANK", "HUARUI", Category::kInterest).amount > 0);
    auto old = c.state().get(keys::obligation("20240215-01", "WEBANK", "HUARUI", Category::kInterest));
    REQUIRE(old.ok());
    REQUIRE(old->has_value());
    CHECK(decode_obligation(**old)->amount == 18600);
}

TEST_CASE("E6: confirming all three settles the cycle and zeroes every INTERBANK balance",
          "[contracts][settlement][E6]") {
    E6 e;
    Chain& c = e.c;
    const auto r = close(c, "2024-02-15", "WEBANK", "20240215-01");
    ok(r);
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 3);
    const Account cash_wb = c.account("WEBANK", AccountCode::kSettlementCash);
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& si = list[i];
        const auto s = sent(c, "2024-02-15", si["debtor"], si["instruction_id"], si["amount"]);
        ok(s);
        CHECK(s.result_json()["instruction"]["status"] == "SENT");
        // Sending alone posts nothing.
        CHECK(cycle(c, "20240215-01").status == CycleStatus::kClosed);
        const auto rc = received(c, "2024-02-15", si["creditor"], si["instruction_id"], si["amount"]);
        ok(rc);
        CHECK(rc.result_json()["instruction"]["status"] == "SETTLED");
        CHECK(rc.result_json()["cycle_status"] == (i + 1 == list.size() ? "SETTLED" : "CLOSED"));
    }
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    for (const char* a : {"WEBANK", "HUARUI", "BANKC"}) {
        for (const char* b : {"WEBANK", "HUARUI", "BANKC"}) {
            if (std::string(a) != b) {
                INFO(a << " -> " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
    // WEBANK paid 144027 and received 864197 in this cycle.
    CHECK(c.account("WEBANK", AccountCode::kSettlementCash).net_debit() - cash_wb.net_debit() == 864197 - 144027);
}

TEST_CASE("settlement rejections carry their codes and change nothing", "[contracts][settlement][errors]") {
    E6 e;
    Chain& c = e.c;
    auto unchanged = [&](const std::string& bank, const std::string& type, const json::Value& body, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-02-15", bank, type, body);
        INFO(type << " " << body.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    // 7001: closing a cycle that is not the open one (also the second of two racing closes).
    unchanged("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240214-01"}}, 7001);
    unchanged("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240215-02"}}, 7001);
    unchanged("WEBANK", "settlement.close_cycle", json::Value::object(), 1001);
    ok(close(c, "2024-02-15", "WEBANK", "20240215-01"));
    unchanged("HUARUI", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240215-01"}}, 7001);
    const std::string wh = "SI-20240215-01-WEBANK-HUARUI";
    // 7003: unknown instruction.
    unchanged("WEBANK", "settlement.confirm_sent", json::Value{{"instruction_id", "SI-20240215-01-HUARUI-WEBANK"}, {"amount", "144027"}}, 7003);
    unchanged("HUARUI", "settlement.confirm_received", json::Value{{"instruction_id", "SI-nope"}, {"amount", "1"}}, 7003);
    // 1003: a malformed amount.
    unchanged("WEBANK", "settlement.confirm_sent", json::Value{{"instruction_id", wh}, {"amount", "0"}}, 1003);
    // 2005: only the debtor sends.
    unchanged("HUARUI", "settlement.confirm_sent", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 2005);
    // 7005: the amount must match.
    unchanged("WEBANK", "settlement.confirm_sent", json::Value{{"instruction_id", wh}, {"amount", "144026"}}, 7005);
    // 7004: received before sent.
    unchanged("HUARUI", "settlement.confirm_received", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 7004);
    ok(sent(c, "2024-02-15", "WEBANK", wh, "144027"));
    // 7004: sent twice.
    unchanged("WEBANK", "settlement.confirm_sent", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 7004);
    // 2006: only the creditor confirms receipt.
    unchanged("WEBANK", "settlement.confirm_received", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 2006);
    unchanged("BANKC", "settlement.confirm_received", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 2006);
    unchanged("HUARUI", "settlement.confirm_received", json::Value{{"instruction_id", wh}, {"amount", "144028"}}, 7005);
    ok(received(c, "2024-02-15", "HUARUI", wh, "144027"));
    // 7004: received twice.
    unchanged("HUARUI", "settlement.confirm_received", json::Value{{"instruction_id", wh}, {"amount", "144027"}}, 7004);
    CHECK(instruction(c, wh).status == InstructionStatus::kSettled);
}

TEST_CASE("a close earlier in the same block moves later obligations to the next cycle",
          "[contracts][settlement]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    const auto out = c.block("2024-01-15", {c.tx("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240101-01"}}),
                                           c.tx("WEBANK", "loan.originate", originate_body(LoanSpec{}))});
    REQUIRE(out.receipts.size() == 2);
    ok(out.receipts[0]);
    ok(out.receipts[1]);
    CHECK(c.cycle_id() == "20240115-01");
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kFunding).amount == 560000);
    CHECK(c.loan("L-0001").tranches.size() == 2);
    CHECK(c.event("L-0001", 1)->cycle_id == "20240115-01");
}


namespace {

TxReceipt fail_report(Chain& c, const std::string& date, const std::string& bank, const std::string& id,
                      const std::string& reason = "HVPS return: account closed") {
    return c.run(date, bank, "settlement.report_failure", json::Value{{"instruction_id", id}, {"reason", reason}});
}

TxReceipt roll(Chain& c, const std::string& date, const std::string& bank, const std::string& id) {
    return c.run(date, bank, "settlement.roll", json::Value{{"instruction_id", id}});
}

bool unsettled_indexed(const Chain& c, const std::string& id) {
    auto raw = c.state().get(keys::unsettled(id));
    REQUIRE(raw.ok());
    return raw->has_value();
}

// E6 closed, WB -> HR and BANKC -> HR settled, BANKC -> WB sent and then reported failed by
// the creditor WEBANK (the HVPS payment was returned).
struct E6Failed : E6 {
    E6Failed() {
        const auto r = close(c, "2024-02-15", "WEBANK", "20240215-01");
        ok(r);
        const json::Value res = r.result_json();
        for (const auto& si : res["instructions"]) {
            if (si["debtor"] == "BANKC" && si["creditor"] == "WEBANK") {
                ok(sent(c, "2024-02-15", "BANKC", si["instruction_id"], si["amount"]));
                continue;
            }
            ok(sent(c, "2024-02-15", si["debtor"], si["instruction_id"], si["amount"]));
            ok(received(c, "2024-02-15", si["creditor"], si["instruction_id"], si["amount"]));
        }
        const auto f = fail_report(c, "2024-02-15", "WEBANK", kBw);
        ok(f);
        CHECK(f.result_json()["instruction"]["status"] == "FAILED");
        CHECK(f.result_json()["instruction"]["failed_by"] == "WEBANK");
        CHECK(f.result_json()["instruction"]["failure_reason"] == "HVPS return: account closed");
    }
    static constexpr const char* kBw = "SI-20240215-01-BANKC-WEBANK";
};

}  // namespace

TEST_CASE("a FAILED instruction is rolled at the next close as CARRY_FORWARD and settled there",
          "[contracts][settlement][lifecycle]") {
    E6Failed e;
    Chain& c = e.c;
    // Failure alone settles nothing: the cycle stays CLOSED, the debt stays in INTERBANK.
    CHECK(instruction(c, E6Failed::kBw).status == InstructionStatus::kFailed);
    CHECK(unsettled_indexed(c, E6Failed::kBw));
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kClosed);
    CHECK(interbank(c, "WEBANK", "BANKC") == 864197);  // BANKC still owes WEBANK the funding of L-0102

    // The next close rolls it: CARRY_FORWARD BANKC -> WEBANK 864197 in cycle -02, which nets into
    // a single instruction; the failed one is ROLLED and its cycle SETTLED (B.4).
    REQUIRE(c.cycle_id() == "20240215-02");
    const auto r = close(c, "2024-02-16", "HUARUI", "20240215-02");
    ok(r);
    CHECK(r.result_json()["rolled_instructions"] == json::Value::array({E6Failed::kBw}));
    const auto rolled = instruction(c, E6Failed::kBw);
    CHECK(rolled.status == InstructionStatus::kRolled);
    CHECK(rolled.carried_to_cycle == "20240215-02");
    CHECK_FALSE(unsettled_indexed(c, E6Failed::kBw));
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    auto cf = c.state().get(keys::obligation("20240215-02", "BANKC", "WEBANK", Category::kCarryForward));
    REQUIRE(cf.ok());
    REQUIRE(cf->has_value());
    CHECK(decode_obligation(**cf)->amount == 864197);
    CHECK(decode_obligation(**cf)->count == 1);
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["instruction_id"] == "SI-20240215-02-BANKC-WEBANK");
    CHECK(list[0]["amount"] == "864197");
    CHECK(list[0]["categories"] == json::Value{{"CARRY_FORWARD", "864197"}});
    CHECK(list[0]["counts"] == json::Value{{"CARRY_FORWARD", 1}});
    // An explicit close on 2024-02-16 at noon (before the last intraday cutoff of an empty
    // schedule, 23:59) settles the same business day.
    CHECK(list[0]["settlement_date"] == "2024-02-16");
    settle_all(c, "2024-02-16", r.result_json());
    CHECK(cycle(c, "20240215-02").status == CycleStatus::kSettled);
    for (const char* a : {"WEBANK", "HUARUI", "BANKC"}) {
        for (const char* b : {"WEBANK", "HUARUI", "BANKC"}) {
            if (std::string(a) != b) {
                INFO(a << " -> " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
}

TEST_CASE("settlement.roll carries a FAILED amount into the open cycle, netted with new obligations",
          "[contracts][settlement][lifecycle]") {
    E6Failed e;
    Chain& c = e.c;
    // New obligations in cycle -02: a 1000 repayment of L-0102 (1,234,567 at 0.05 %/day, WB 30 /
    // BANKC 70) one day after its value date. Worked by hand: interest round(1234567 x 0.0005) =
    // 617, split on principal 370370 : 864197 -> quotas 185.10 / 431.90 -> WB 185, BANKC 432;
    // the remaining 383 prepays principal -> quotas 114.90 / 268.10 -> WB 115, BANKC 268. No fee.
    // So WEBANK owes BANKC 432 interest + 268 principal = 700.
    ok(c.run("2024-02-16", "WEBANK", "loan.repay", repay_body("L-0102", "2024-02-16", "1000", "PAY-102-1")));
    CHECK(c.obligation("WEBANK", "BANKC", Category::kInterest).amount == 432);
    CHECK(c.obligation("WEBANK", "BANKC", Category::kPrincipal).amount == 268);
    // Either party may roll (the debtor here).
    const auto rr = roll(c, "2024-02-16", "BANKC", E6Failed::kBw);
    ok(rr);
    CHECK(rr.result_json()["carried_to_cycle"] == "20240215-02");
    CHECK(rr.result_json()["cycle_status"] == "SETTLED");
    CHECK(rr.result_json()["instruction"]["status"] == "ROLLED");
    CHECK(c.obligation("BANKC", "WEBANK", Category::kCarryForward).amount == 864197);
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    const auto r = close(c, "2024-02-16", "WEBANK", "20240215-02");
    ok(r);
    CHECK(r.result_json()["rolled_instructions"].empty());
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 1);
    CHECK(list[0]["instruction_id"] == "SI-20240215-02-BANKC-WEBANK");
    CHECK(list[0]["amount"] == "863497");  // 864197 - 700
    CHECK(list[0]["categories"] ==
          json::Value{{"INTEREST", "-432"}, {"PRINCIPAL", "-268"}, {"CARRY_FORWARD", "864197"}});
    CHECK(list[0]["counts"] == json::Value{{"INTEREST", 1}, {"PRINCIPAL", 1}, {"CARRY_FORWARD", 1}});
    settle_all(c, "2024-02-16", r.result_json());
    CHECK(interbank(c, "WEBANK", "BANKC") == 0);
}

TEST_CASE("report_failure and roll rejections carry their codes and change nothing",
          "[contracts][settlement][lifecycle][errors]") {
    E6 e;
    Chain& c = e.c;
    auto unchanged = [&](const std::string& bank, const std::string& type, const json::Value& body, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-02-15", bank, type, body);
        INFO(type << " " << body.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    ok(close(c, "2024-02-15", "WEBANK", "20240215-01"));
    const std::string wh = "SI-20240215-01-WEBANK-HUARUI";
    const json::Value fail_body{{"instruction_id", wh}, {"reason", "returned"}};
    // 1001: reason missing, empty, or too long; unknown field.
    unchanged("WEBANK", "settlement.report_failure", json::Value{{"instruction_id", wh}}, 1001);
    unchanged("WEBANK", "settlement.report_failure", json::Value{{"instruction_id", wh}, {"reason", ""}}, 1001);
    unchanged("WEBANK", "settlement.report_failure",
              json::Value{{"instruction_id", wh}, {"reason", std::string(257, 'x')}}, 1001);
    unchanged("WEBANK", "settlement.roll", json::Value{{"instruction_id", wh}, {"x", 1}}, 1001);
    // 7003 unknown instruction.
    unchanged("WEBANK", "settlement.report_failure", json::Value{{"instruction_id", "SI-none"}, {"reason", "r"}}, 7003);
    unchanged("WEBANK", "settlement.roll", json::Value{{"instruction_id", "SI-none"}}, 7003);
    // 2008: BANKC is neither debtor nor creditor of WB -> HR.
    unchanged("BANKC", "settlement.report_failure", fail_body, 2008);
    unchanged("BANKC", "settlement.roll", json::Value{{"instruction_id", wh}}, 2008);
    // 7004: only a FAILED instruction rolls.
    unchanged("WEBANK", "settlement.roll", json::Value{{"instruction_id", wh}}, 7004);
    ok(sent(c, "2024-02-15", "WEBANK", wh, "144027"));
    unchanged("HUARUI", "settlement.roll", json::Value{{"instruction_id", wh}}, 7004);
    ok(received(c, "2024-02-15", "HUARUI", wh, "144027"));
    // 7004: a SETTLED instruction cannot fail.
    unchanged("HUARUI", "settlement.report_failure", fail_body, 7004);
    const std::string bh = "SI-20240215-01-BANKC-HUARUI";
    ok(fail_report(c, "2024-02-15", "BANKC", bh));  // the debtor may report too, from PENDING
    // 7004: FAILED cannot fail again, nor be confirmed.
    unchanged("HUARUI", "settlement.report_failure", json::Value{{"instruction_id", bh}, {"reason", "r"}}, 7004);
    unchanged("BANKC", "settlement.confirm_sent", json::Value{{"instruction_id", bh}, {"amount", "230000"}}, 7004);
    ok(roll(c, "2024-02-15", "HUARUI", bh));
    // 7004: ROLLED is final.
    unchanged("BANKC", "settlement.roll", json::Value{{"instruction_id", bh}}, 7004);
    unchanged("BANKC", "settlement.report_failure", json::Value{{"instruction_id", bh}, {"reason", "r"}}, 7004);
}

TEST_CASE("every settlement type replays as DUPLICATE with the original result and changes nothing",
          "[contracts][settlement][idempotency]") {
    E6 e;
    Chain& c = e.c;
    // Submits (bank, type, body) under client_ref, then the identical envelope again in a later
    // block: DUPLICATE, the original result and height, and not one state entry changed.
    auto twice = [&](const std::string& date, const std::string& bank, const std::string& type,
                     const json::Value& body, const std::string& ref) {
        const auto first = c.run(date, bank, type, body, ref);
        ok(first);
        const std::uint64_t height = c.height();
        const auto before = c.state().entries();
        const auto again = c.run(date, bank, type, body, ref);
        INFO(type << " -> " << again.error << " " << again.detail);
        CHECK(again.status == TxStatus::kDuplicate);
        CHECK(again.code == 0);
        CHECK(again.result == first.result);
        CHECK(again.detail_json()["original_height"] == height);
        CHECK(c.state().entries() == before);
        // The same client_ref with another body is a conflict (3001), also without effect.
        json::Value other = body;
        other["instruction_id"] = "SI-other";
        const auto conflict = c.run(date, bank, type, other, ref);
        CHECK(conflict.code == 3001);
        CHECK(c.state().entries() == before);
        return first;
    };
    const auto closed = twice("2024-02-15", "WEBANK", "settlement.close_cycle",
                              json::Value{{"expected_cycle_id", "20240215-01"}}, "WB-CLOSE-1");
    CHECK(c.cycle_id() == "20240215-02");  // the replay did not close -02
    const std::string wh = "SI-20240215-01-WEBANK-HUARUI";
    twice("2024-02-15", "WEBANK", "settlement.confirm_sent", json::Value{{"instruction_id", wh}, {"amount", "144027"}},
          "WB-SENT-1");
    twice("2024-02-15", "HUARUI", "settlement.confirm_received",
          json::Value{{"instruction_id", wh}, {"amount", "144027"}}, "HR-RCVD-1");
    const std::string bw = "SI-20240215-01-BANKC-WEBANK";
    twice("2024-02-15", "BANKC", "settlement.report_failure", json::Value{{"instruction_id", bw}, {"reason", "r"}},
          "BC-FAIL-1");
    twice("2024-02-15", "WEBANK", "settlement.roll", json::Value{{"instruction_id", bw}}, "WB-ROLL-1");
    CHECK(c.obligation("BANKC", "WEBANK", Category::kCarryForward).amount == 864197);  // rolled once
}


TEST_CASE("getCycle, listInstructions and getPositions show E6's closed cycle and its unsettled instructions",
          "[contracts][settlement][query]") {
    E6 e;
    Chain& c = e.c;
    ok(close(c, "2024-02-15", "WEBANK", "20240215-01"));
    const auto cy = query::get_cycle(c.state(), "20240215-01");
    REQUIRE(cy.ok());
    CHECK((*cy)["status"] == "CLOSED");
    CHECK((*cy)["current"] == false);
    CHECK((*cy)["close_trigger"] == "EXPLICIT");
    CHECK((*cy)["settlement_date"] == "2024-02-15");
    // E6's obligations by category: FUNDING 560000 + 864197 + 350000; PRINCIPAL 46667 + 640000 +
    // 120000; INTEREST 8680 + 9920; SERVICE_FEE 1240. Gross 2600704 over 9 aggregate counts.
    CHECK((*cy)["obligations"]["gross"] == "2600704");
    CHECK((*cy)["obligations"]["count"] == 9);
    CHECK((*cy)["obligations"]["by_category"] ==
          json::Value{{"FUNDING", json::Value{{"amount", "1774197"}, {"count", 3}}},
                      {"PRINCIPAL", json::Value{{"amount", "806667"}, {"count", 3}}},
                      {"INTEREST", json::Value{{"amount", "18600"}, {"count", 2}}},
                      {"SERVICE_FEE", json::Value{{"amount", "1240"}, {"count", 1}}}});
    CHECK((*cy)["instructions"]["count"] == 3);
    CHECK((*cy)["instructions"]["total"] == "1238224");
    CHECK((*cy)["instructions"]["by_status"] == json::Value{{"PENDING", 3}});
    const auto current = query::get_cycle(c.state(), "");
    REQUIRE(current.ok());
    CHECK((*current)["cycle_id"] == "20240215-02");
    CHECK((*current)["status"] == "OPEN");
    CHECK((*current)["settlement_date"].is_null());
    CHECK((*query::get_cycle(c.state(), "20991231-01")).is_null());

    auto ids = [&](const query::InstructionFilter& f) {
        auto r = query::list_instructions(c.state(), f);
        REQUIRE(r.ok());
        std::vector<std::string> out;
        for (const auto& si : (*r)["instructions"]) {
            out.push_back(si["instruction_id"]);
        }
        return out;
    };
    using V = std::vector<std::string>;
    // All five instructions so far: two of the first cycle (settled in the fixture), E6's three.
    CHECK(ids({}).size() == 5);
    CHECK(ids({"20240215-01", "", ""}) ==
          V{"SI-20240215-01-BANKC-HUARUI", "SI-20240215-01-BANKC-WEBANK", "SI-20240215-01-WEBANK-HUARUI"});
    CHECK(ids({"", "SETTLED", ""}) == V{"SI-20240101-01-BANKC-HUARUI", "SI-20240101-01-HUARUI-WEBANK"});
    CHECK(ids({"", "PENDING", "WEBANK"}) == V{"SI-20240215-01-BANKC-WEBANK", "SI-20240215-01-WEBANK-HUARUI"});
    CHECK(ids({"", "", "WEBANK"}).size() == 3);
    CHECK(ids({"20240215-01", "SENT", ""}).empty());
    // One instruction by id (what a bank_events notification names), with the other filters.
    CHECK(ids({"", "", "", "SI-20240215-01-BANKC-WEBANK"}) == V{"SI-20240215-01-BANKC-WEBANK"});
    CHECK(ids({"", "", "HUARUI", "SI-20240215-01-BANKC-WEBANK"}).empty());
    CHECK(ids({"20240101-01", "", "", "SI-20240215-01-BANKC-WEBANK"}).empty());
    CHECK(ids({"", "", "", "SI-NONE"}).empty());
    CHECK_FALSE(query::list_instructions(c.state(), {"", "BOGUS", ""}).ok());

    // Positions: INTERBANK net = open-cycle net + unsettled net per counterparty (B5).
    ok(sent(c, "2024-02-15", "WEBANK", "SI-20240215-01-WEBANK-HUARUI", "144027"));
    const auto pos = query::get_positions(c.state(), "WEBANK");
    REQUIRE(pos.ok());
    std::map<std::string, json::Value> by_cp;
    for (const auto& cp : (*pos)["counterparties"]) {
        by_cp[cp["bank_id"]] = cp;
    }
    CHECK(by_cp["HUARUI"]["interbank_net"] == "-144027");
    CHECK(by_cp["HUARUI"]["open_cycle_net"] == "0");
    CHECK(by_cp["HUARUI"]["unsettled_net"] == "-144027");
    REQUIRE(by_cp["HUARUI"]["unsettled_instructions"].size() == 1);
    CHECK(by_cp["HUARUI"]["unsettled_instructions"][0] ==
          json::Value{{"instruction_id", "SI-20240215-01-WEBANK-HUARUI"},
                      {"cycle_id", "20240215-01"},
                      {"kind", "BILATERAL"},
                      {"direction", "PAY"},
                      {"amount", "144027"},
                      {"status", "SENT"},
                      {"settlement_date", "2024-02-15"}});
    CHECK(by_cp["BANKC"]["interbank_net"] == "864197");
    CHECK(by_cp["BANKC"]["unsettled_net"] == "864197");
    CHECK(by_cp["BANKC"]["unsettled_instructions"][0]["direction"] == "RECEIVE");
}

TEST_CASE("getCycleReport: camt.053-like entries, control sums and digests a bank recomputes",
          "[contracts][settlement][query]") {
    E6 e;
    Chain& c = e.c;
    ok(close(c, "2024-02-15", "WEBANK", "20240215-01"));
    const auto r = query::get_cycle_report(c.state(), "20240215-01", "WEBANK");
    REQUIRE(r.ok());
    const json::Value& rep = *r;
    CHECK(rep["status"] == "CLOSED");
    REQUIRE(rep["counterparties"].size() == 2);
    const json::Value& bc = rep["counterparties"][0];
    const json::Value& hr = rep["counterparties"][1];
    REQUIRE(bc["counterparty"] == "BANKC");
    REQUIRE(hr["counterparty"] == "HUARUI");
    // WEBANK / HUARUI: HR owes WB funding 560000 and the fee 1240 (credits); WB owes HR
    // principal 46667 + 640000 and interest 8680 + 9920 (debits). Closing net 561240 - 705267.
    CHECK(hr["entries"] == json::Value::array({
                               json::Value{{"category", "FUNDING"},
                                           {"credit", json::Value{{"amount", "560000"}, {"count", 1}}},
                                           {"debit", json::Value{{"amount", "0"}, {"count", 0}}},
                                           {"net", "560000"}},
                               json::Value{{"category", "INTEREST"},
                                           {"credit", json::Value{{"amount", "0"}, {"count", 0}}},
                                           {"debit", json::Value{{"amount", "18600"}, {"count", 2}}},
                                           {"net", "-18600"}},
                               json::Value{{"category", "PRINCIPAL"},
                                           {"credit", json::Value{{"amount", "0"}, {"count", 0}}},
                                           {"debit", json::Value{{"amount", "686667"}, {"count", 2}}},
                                           {"net", "-686667"}},
                               json::Value{{"category", "SERVICE_FEE"},
                                           {"credit", json::Value{{"amount", "1240"}, {"count", 1}}},
                                           {"debit", json::Value{{"amount", "0"}, {"count", 0}}},
                                           {"net", "1240"}}}));
    CHECK(hr["opening_net"] == "0");
    CHECK(hr["closing_net"] == "-144027");
    CHECK(hr["NbOfTxs"] == 6);
    CHECK(hr["CtrlSum"] == "1266507");  // 560000 + 18600 + 686667 + 1240
    CHECK(hr["instruction"]["instruction_id"] == "SI-20240215-01-WEBANK-HUARUI");
    CHECK(hr["instruction"]["amount"] == "144027");
    // The same digest as the instruction's (ADR 0050), from the same four aggregate lines.
    CHECK(hr["obligations_digest"] == instruction(c, "SI-20240215-01-WEBANK-HUARUI").obligations_digest.hex());
    // Events: L-0101's origination, L-0001's and L-0002's repayments, in execution order.
    CHECK(hr["event_count"] == 3);
    const std::string hr_events = c.event("L-0101", 1)->event_id() + "\n" + c.event("L-0001", 2)->event_id() + "\n" +
                                  c.event("L-0002", 2)->event_id() + "\n";
    CHECK(hr["events_digest"] == sha256(hr_events).hex());
    CHECK(bc["closing_net"] == "864197");
    CHECK(bc["NbOfTxs"] == 1);
    CHECK(bc["CtrlSum"] == "864197");
    CHECK(bc["events_digest"] == sha256(c.event("L-0102", 1)->event_id() + "\n").hex());
    // Totals; the closing nets sum to WEBANK's multilateral net of E6, +720170.
    CHECK(rep["NbOfTxs"] == 7);
    CHECK(rep["CtrlSum"] == "2130704");
    CHECK(rep["multilateral_net"] == "720170");
    // The other two banks' multilateral nets, also E6's.
    CHECK((*query::get_cycle_report(c.state(), "20240215-01", "HUARUI"))["multilateral_net"] == "374027");
    CHECK((*query::get_cycle_report(c.state(), "20240215-01", "BANKC"))["multilateral_net"] == "-1094197");
    CHECK((*query::get_cycle_report(c.state(), "20240215-01", "NOBANK")).is_null());
    CHECK((*query::get_cycle_report(c.state(), "20991231-01", "WEBANK")).is_null());
}

TEST_CASE("B5: an INTERBANK balance that disagrees with obligations and instructions fails the block",
          "[contracts][settlement][invariants]") {
    E6 e;
    Chain& c = e.c;
    // Corrupt the open cycle's WB -> HR interest aggregate by one fen.
    const std::string key = keys::obligation("20240215-01", "WEBANK", "HUARUI", Category::kInterest);
    ObligationAggregate agg = c.obligation("WEBANK", "HUARUI", Category::kInterest);
    agg.amount += 1;
    c.mutable_state().apply({{key, encode(agg, kRecordVersionLatest)}});
    const auto out = c.try_block("2024-02-16", {c.tx("WEBANK", "loan.repay",
                                                     repay_body("L-0101", "2024-02-16", "1000", "PAY-X"))});
    REQUIRE_FALSE(out.ok());
    CHECK_THAT(out.error().message(), Catch::Contains("ERR_INVARIANT_VIOLATION (9900)") &&
                                          Catch::Contains("B5 pair HUARUI/WEBANK"));
}

namespace {

// The writes of closing E6's cycle, as an overlay over the pre-close state, for corrupting.
struct CloseOverlay {
    E6 e;
    ledger::StateWrites writes;
    CloseOverlay() {
        auto out = e.c.try_block("2024-02-15", {e.c.tx("WEBANK", "settlement.close_cycle",
                                                       json::Value{{"expected_cycle_id", "20240215-01"}})});
        REQUIRE(out.ok());
        writes = out->writes;
    }
    Status check(const std::function<void(Overlay&)>& corrupt) const {
        Overlay ov(e.c.state(), kRecordVersionLatest);
        for (const auto& w : writes) {
            if (w.value) {
                ov.put(w.key, *w.value);
            } else {
                ov.erase(w.key);
            }
        }
        corrupt(ov);
        return invariants::check_settlement(ov, BlockContext::at(e.c.height() + 1, noon_cst_ms("2024-02-15")));
    }
};

void put_si(Overlay& ov, SettlementInstruction si) {
    ov.put(keys::instruction(si.instruction_id), encode(si, kRecordVersionLatest));
    ov.put(keys::unsettled(si.instruction_id), si.cycle_id);
}

}  // namespace

TEST_CASE("B5/B6: a closed cycle's instructions must equal its bilateral and multilateral nets",
          "[contracts][settlement][invariants]") {
    CloseOverlay co;
    CHECK(co.check([](Overlay&) {}).ok());  // the real close passes
    // B6: one instruction one fen short changes two banks' multilateral nets.
    const auto b6 = co.check([&](Overlay& ov) {
        auto si = decode_instruction(**ov.get(keys::instruction("SI-20240215-01-BANKC-WEBANK")));
        si->amount -= 1;
        put_si(ov, *si);
    });
    REQUIRE_FALSE(b6.ok());
    CHECK_THAT(b6.error().message(), Catch::Contains("B6 cycle 20240215-01"));
    // B5: a triangle of 1-fen instructions leaves every bank's multilateral net intact but no
    // pair's instruction equals the pair's net.
    const auto b5 = co.check([&](Overlay& ov) {
        auto bh = decode_instruction(**ov.get(keys::instruction("SI-20240215-01-BANKC-HUARUI")));
        bh->amount += 1;
        put_si(ov, *bh);
        SettlementInstruction wb = *bh;
        wb.instruction_id = "SI-20240215-01-WEBANK-BANKC";
        wb.debtor = "WEBANK";
        wb.creditor = "BANKC";
        wb.amount = 1;
        put_si(ov, wb);
        SettlementInstruction hw = wb;
        hw.instruction_id = "SI-20240215-01-HUARUI-WEBANK";
        hw.debtor = "HUARUI";
        hw.creditor = "WEBANK";
        put_si(ov, hw);
    });
    REQUIRE_FALSE(b5.ok());
    CHECK_THAT(b5.error().message(), Catch::Contains("B5 cycle 20240215-01"));
    // B5: an unsettled instruction missing from the su/ index.
    const auto idx = co.check([&](Overlay& ov) { ov.erase(keys::unsettled("SI-20240215-01-WEBANK-HUARUI")); });
    REQUIRE_FALSE(idx.ok());
    CHECK_THAT(idx.error().message(), Catch::Contains("unsettled index"));
}

TEST_CASE("B7: the engine's replay check passes on a real block and flags any difference",
          "[contracts][settlement][invariants]") {
    E6 e;
    Engine twice(EngineOptions{.check_tx_invariants = true, .check_replay = true});
    const std::vector<std::shared_ptr<const ledger::Transaction>> txs = {
        e.c.tx("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", "20240215-01"}})};
    auto out = twice.execute_block(e.c.state(), BlockContext::at(e.c.height() + 1, noon_cst_ms("2024-02-15")), txs);
    REQUIRE(out.ok());
    CHECK(invariants::check_replay(*out, *out, 7).ok());
    BlockOutput changed = *out;
    json::Value altered = changed.receipts[0].result_json();
    altered["next_cycle_id"] = "20240215-03";
    changed.receipts[0].result = json::canonicalize(altered);
    const auto r = invariants::check_replay(*out, changed, 7);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("B7") && Catch::Contains("at height 7"));
    changed = *out;
    changed.writes.pop_back();
    CHECK_FALSE(invariants::check_replay(*out, changed, 7).ok());
}

}  // namespace jc::contracts::test
