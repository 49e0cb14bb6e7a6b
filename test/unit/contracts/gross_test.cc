// Goal: a GROSS partnership (DOMAIN.md B.8 "gross mode", ADR 0056) turns each loan event's
// obligations into one instruction at once, next to a NET partnership whose obligations wait for
// the close in the same cycle; the instruction lifecycle works for gross instructions before and
// after their cycle closes (a failed one is rolled into the deferred net); the cycle is SETTLED
// only when its gross instructions are; queries show them; the mode is a partnership term set
// at propose and changed by an accepted amendment; a bad mode is refused and changes nothing.
// Method: WEBANK services L-0001 (800000, 30/70 with HUARUI, NET) and L-0102 (1234567, 30/70
// with BANKC through P-WB-BC: GROSS, 12.5 % fee, bullet, 0.05 %/day). Figures worked by hand:
// lrm(1234567, [3000, 7000]) = [370370, 864197]; a repayment of 7173 on 2024-01-25 after 10 days
// pays interest round(1234567 x 0.0005 x 10 = 6172.835) = 6173, split by principal [1851.90,
// 4321.10] -> WB 1852, BANKC 4321, then prepays 1000 split [299.9999, 700.0001] -> WB 300,
// BANKC 700; BANKC's fee is round_half_up(4321 x 1250 / 10000 = 540.125) = 540, so WEBANK owes
// BANKC 700 + 4321 - 540 = 4481 for that event. B5-B7 are checked after every block (chain.h).
#include "settlement_fixture.h"

namespace jc::contracts::test {
namespace {

void gross_partnership(Chain& c, const std::string& mode) {
    PartnershipSpec bc;
    bc.id = "P-WB-BC";
    bc.partner = "BANKC";
    bc.fee_bps = 1250;
    json::Value body = partnership_body(bc);
    body["settlement_mode"] = mode;
    ok(c.run("2024-01-01", "WEBANK", "partnership.propose", body));
    ok(c.run("2024-01-01", "BANKC", "partnership.accept", json::Value{{"partnership_id", "P-WB-BC"}}));
}

// L-0001 (NET, HR) and L-0102 (GROSS, BANKC) originated on 2024-01-15 in the genesis cycle.
struct Mixed {
    Chain c{test_params()};
    Mixed() {
        c.partnership(PartnershipSpec{});
        gross_partnership(c, "GROSS");
        ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
        LoanSpec l;
        l.loan_id = "L-0102";
        l.principal = "1234567";
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
        l.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC"}};
        l.channel_ref = "DISB-0102";
        ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)));
    }
    static constexpr const char* kFunding = "SI-20240101-01-BANKC-WEBANK-G000001";
    static constexpr const char* kRepay = "SI-20240101-01-WEBANK-BANKC-G000002";
};

json::Value get_cycle(const Chain& c, const std::string& id) {
    auto q = query::get_cycle(c.state(), id);
    REQUIRE(q.ok());
    return *q;
}

}  // namespace

TEST_CASE("gross next to net in one cycle: each gross event is an instruction at once, the close nets the rest",
          "[contracts][settlement][gross]") {
    Mixed m;
    Chain& c = m.c;
    // The NET funding waits in the cycle; the GROSS one is already an instruction.
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kFunding).amount == 560000);
    CHECK(c.obligation("BANKC", "WEBANK", Category::kFunding).amount == 0);
    SettlementInstruction g1 = instruction(c, Mixed::kFunding);
    CHECK(g1.kind == InstructionKind::kGross);
    CHECK(g1.status == InstructionStatus::kPending);
    CHECK(g1.amount == 864197);
    CHECK(g1.debtor == "BANKC");
    CHECK(g1.creditor == "WEBANK");
    CHECK(g1.partnership_id == "P-WB-BC");
    CHECK(g1.categories[static_cast<std::size_t>(Category::kFunding)] == 864197);
    CHECK(g1.settlement_date == day("2024-01-15"));
    CHECK(c.pos("WEBANK", "BANKC") == -864197);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    CHECK(g1.event_id == c.event("L-0102", 1)->event_id());

    // It settles before the cycle closes; the cycle stays OPEN.
    ok(sent(c, "2024-01-15", "BANKC", Mixed::kFunding, "864197"));
    const auto rc = received(c, "2024-01-15", "WEBANK", Mixed::kFunding, "864197");
    ok(rc);
    CHECK(rc.result_json()["cycle_status"] == "OPEN");
    CHECK(c.pos("WEBANK", "BANKC") == 0);

    // The repayment: one instruction for the event, net of the fee (4481 = 700 + 4321 - 540).
    const auto rp = c.run("2024-01-25", "WEBANK", "loan.repay", repay_body("L-0102", "2024-01-25", "7173", "PAY-102"));
    ok(rp);
    REQUIRE(rp.result_json()["tranches"][1]["interest"] == "4321");
    REQUIRE(rp.result_json()["tranches"][1]["principal"] == "700");
    REQUIRE(rp.result_json()["tranches"][1]["fee"] == "540");
    const SettlementInstruction g2 = instruction(c, Mixed::kRepay);
    CHECK(g2.amount == 4481);
    CHECK(g2.debtor == "WEBANK");
    CHECK(g2.categories[static_cast<std::size_t>(Category::kPrincipal)] == 700);
    CHECK(g2.categories[static_cast<std::size_t>(Category::kInterest)] == 4321);
    CHECK(g2.categories[static_cast<std::size_t>(Category::kServiceFee)] == -540);
    CHECK(g2.counts[static_cast<std::size_t>(Category::kServiceFee)] == 1);
    CHECK(c.pos("WEBANK", "BANKC") == 4481);

    // getCycle: netted obligations only; instructions of both kinds.
    json::Value q = get_cycle(c, "20240101-01");
    CHECK(q["obligations"]["gross"] == "560000");
    CHECK(q["instructions"]["by_kind"] == json::Value{{"GROSS", 2}});
    // getPositions shows the unsettled gross instruction.
    auto pos = query::get_positions(c.state(), "BANKC");
    REQUIRE(pos.ok());
    const json::Value& cp = (*pos)["counterparties"][0];
    CHECK(cp["bank_id"] == "WEBANK");
    REQUIRE(cp["unsettled_instructions"].size() == 1);
    CHECK(cp["unsettled_instructions"][0]["kind"] == "GROSS");
    CHECK(cp["unsettled_instructions"][0]["direction"] == "RECEIVE");
    CHECK(cp["interbank_net"] == "4481");  // debit balance of BANKC's INTERBANK[WEBANK]: owed to BANKC
    CHECK((*pos)["partnerships"][0]["settlement_mode"] == "GROSS");

    // The close nets only HR's funding; the cycle stays CLOSED for the unpaid gross instruction.
    const auto cl = close(c, "2024-01-25", "HUARUI", "20240101-01");
    ok(cl);
    REQUIRE(cl.result_json()["instructions"].size() == 1);
    CHECK(cl.result_json()["instructions"][0]["instruction_id"] == "SI-20240101-01-HUARUI-WEBANK");
    CHECK(cl.result_json()["instructions"][0]["amount"] == "560000");
    CHECK(cl.result_json()["closed_cycle_status"] == "CLOSED");
    q = get_cycle(c, "20240101-01");
    CHECK(q["instructions"]["by_kind"] == json::Value{{"BILATERAL", 1}, {"GROSS", 2}});
    CHECK(q["instructions"]["total"] == std::to_string(864197 + 4481 + 560000));
    auto report = query::get_cycle_report(c.state(), "20240101-01", "BANKC");
    REQUIRE(report.ok());
    REQUIRE((*report)["counterparties"].size() == 1);
    const json::Value& rw = (*report)["counterparties"][0];
    CHECK(rw["instruction"].is_null());
    REQUIRE(rw["gross_instructions"].size() == 2);
    CHECK(rw["gross_instructions"][1]["instruction_id"] == Mixed::kRepay);
    CHECK(rw["gross_instructions"][1]["status"] == "PENDING");
    CHECK(rw["event_count"] == 2);

    settle_all(c, "2024-01-25", cl.result_json());
    CHECK(cycle(c, "20240101-01").status == CycleStatus::kClosed);

    // The gross payment fails and is rolled: CARRY_FORWARD into the open cycle, which settles
    // the old cycle; the next close nets it like any other obligation.
    ok(c.run("2024-01-25", "BANKC", "settlement.report_failure",
             json::Value{{"instruction_id", Mixed::kRepay}, {"reason", "HVPS return"}}));
    const auto roll = c.run("2024-01-25", "WEBANK", "settlement.roll", json::Value{{"instruction_id", Mixed::kRepay}});
    ok(roll);
    CHECK(roll.result_json()["cycle_status"] == "SETTLED");
    CHECK(c.obligation("WEBANK", "BANKC", Category::kCarryForward).amount == 4481);
    const auto cl2 = close(c, "2024-01-26", "BANKC", "20240125-01");
    ok(cl2);
    REQUIRE(cl2.result_json()["instructions"].size() == 1);
    CHECK(cl2.result_json()["instructions"][0]["instruction_id"] == "SI-20240125-01-WEBANK-BANKC");
    CHECK(cl2.result_json()["instructions"][0]["kind"] == "BILATERAL");
    CHECK(cl2.result_json()["instructions"][0]["categories"] == json::Value{{"CARRY_FORWARD", "4481"}});
    settle_all(c, "2024-01-26", cl2.result_json());
    for (const char* a : {"WEBANK", "HUARUI", "BANKC"}) {
        for (const char* b : {"WEBANK", "HUARUI", "BANKC"}) {
            if (std::string(a) != b) {
                INFO(a << " / " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
}

TEST_CASE("a cycle whose gross instructions are all settled closes SETTLED; an amendment to NET applies next",
          "[contracts][settlement][gross]") {
    Chain c(test_params());
    gross_partnership(c, "GROSS");
    LoanSpec l;
    l.loan_id = "L-0102";
    l.principal = "1234567";
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    l.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC"}};
    ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)));
    ok(sent(c, "2024-01-15", "BANKC", Mixed::kFunding, "864197"));
    ok(received(c, "2024-01-15", "WEBANK", Mixed::kFunding, "864197"));
    const auto cl = close(c, "2024-01-16", "WEBANK", "20240101-01");
    ok(cl);
    CHECK(cl.result_json()["instructions"].empty());
    CHECK(cl.result_json()["closed_cycle_status"] == "SETTLED");

    // Amended to NET (proposed by BANKC, accepted by WEBANK): the next event's obligations net.
    ok(c.run("2024-01-20", "BANKC", "partnership.amend",
             json::Value{{"partnership_id", "P-WB-BC"}, {"settlement_mode", "NET"}}));
    ok(c.run("2024-01-20", "WEBANK", "partnership.accept", json::Value{{"partnership_id", "P-WB-BC"}}));
    ok(c.run("2024-01-25", "WEBANK", "loan.repay", repay_body("L-0102", "2024-01-25", "7173", "PAY-102")));
    CHECK(c.obligation("WEBANK", "BANKC", Category::kInterest).amount == 4321);
    CHECK(c.obligation("WEBANK", "BANKC", Category::kPrincipal).amount == 700);
    CHECK(c.obligation("BANKC", "WEBANK", Category::kServiceFee).amount == 540);
    CHECK(get_cycle(c, c.cycle_id())["instructions"]["count"] == 0);
}

TEST_CASE("a bad settlement_mode is refused and changes nothing", "[contracts][settlement][gross][errors]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    auto unchanged = [&](const std::string& bank, const std::string& type, const json::Value& body, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-01-02", bank, type, body);
        INFO(type << " " << body.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    PartnershipSpec bc;
    bc.id = "P-WB-BC";
    bc.partner = "BANKC";
    json::Value body = partnership_body(bc);
    body["settlement_mode"] = "RTGS";
    unchanged("WEBANK", "partnership.propose", body, 1001);
    body["settlement_mode"] = 1;
    unchanged("WEBANK", "partnership.propose", body, 1001);
    unchanged("HUARUI", "partnership.amend", json::Value{{"partnership_id", "P-WB-HR"}, {"settlement_mode", "gross"}},
              1001);
}

}  // namespace jc::contracts::test
