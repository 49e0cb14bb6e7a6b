// Goal: the prefunded reserve (DOMAIN.md B.2 "Reserve top-up", B.3 reserve.topup /
// reserve.withdraw, ADR 0057): a top-up is two-phase (the partner's submission is SENT, the
// servicer's confirm_received posts B.2's settlement entries and raises pos(S,i)); PREFUNDED
// originations draw the reserve down until 4403; a withdrawal is bounded so that pos(S,i) >= 0
// holds with every withdrawal in flight; a failed move is final and releases what it held;
// positions show the reserve; the cycle close nets the fundings, which refill the reserve;
// duplicates follow B.7; every rejection carries its B.5 code and changes nothing; a pending
// two-step origination's share of the reserve cannot be withdrawn from under it.
// Method: WEBANK services, HUARUI funds through P-WB-HR-PRE (PREFUNDED_RESERVE). Figures by
// hand: HR tops up 1,000,000.00 fen-exact 1000000; loans of 800000 and 600000 at 30/70 give HR
// tranches 560000 and 420000 (lrm exact), leaving pos 1000000 - 980000 = 20000; a third of
// 100000 needs 70000 > 20000 (4403). B5 (with the reserve term) is checked after every block.
#include "settlement_fixture.h"

namespace jc::contracts::test {
namespace {

constexpr const char* kP = "P-WB-HR-PRE";

json::Value move(const std::string& pid, const std::string& amount, const std::string& ref) {
    return json::Value{{"partnership_id", pid}, {"amount", amount}, {"payer_ref", ref}};
}

LoanSpec prefunded_loan(const std::string& id, const std::string& principal) {
    LoanSpec l;
    l.loan_id = id;
    l.principal = principal;
    l.value_date = "2024-01-15";
    l.channel_ref = "DISB-" + id;
    l.mode = "PREFUNDED_RESERVE";
    l.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, kP}};
    return l;
}

ReserveAccount reserve(const Chain& c) {
    auto raw = c.state().get(keys::reserve("WEBANK", "HUARUI", kP));
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    return decode_reserve(**raw).value();
}

struct Prefunded {
    Chain c{test_params()};
    Prefunded() {
        PartnershipSpec pre;
        pre.id = kP;
        pre.funding_mode = "PREFUNDED_RESERVE";
        pre.fronting_limit = "0";
        c.partnership(pre);
        c.partnership(PartnershipSpec{});  // P-WB-HR, FRONTED
    }
};

}  // namespace

TEST_CASE("reserve: top-up, originations draw it down to 4403, bounded withdrawal, the close refills it",
          "[contracts][reserve]") {
    Prefunded f;
    Chain& c = f.c;
    // Nothing in reserve: a prefunded loan is refused.
    CHECK(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0001", "800000"))).code ==
          4403);

    // HUARUI sends 1000000 (SENT: nothing posted yet, pos unchanged, still 4403).
    const auto t = c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "1000000", "HVPS-T-1"));
    ok(t);
    const json::Value ti = t.result_json()["instruction"];
    CHECK(ti["instruction_id"] == "RV-P-WB-HR-PRE-000001");
    CHECK(ti["kind"] == "RESERVE_TOPUP");
    CHECK(ti["status"] == "SENT");
    CHECK(ti["debtor"] == "HUARUI");
    CHECK(ti["creditor"] == "WEBANK");
    CHECK(ti["payer_ref"] == "HVPS-T-1");
    CHECK(ti["categories"] == json::Value{{"RESERVE_TOPUP", "1000000"}});
    CHECK(t.result_json()["reserve"]["pending_topups"] == "1000000");
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
    CHECK(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0001", "800000"))).code ==
          4403);

    // WEBANK confirms receipt: B.2 settlement entries, partner as debtor; pos(WB,HR) rises.
    const auto r = received(c, "2024-01-15", "WEBANK", "RV-P-WB-HR-PRE-000001", "1000000");
    ok(r);
    CHECK(r.result_json()["instruction"]["status"] == "SETTLED");
    CHECK(c.pos("WEBANK", "HUARUI") == 1000000);
    CHECK(c.account("WEBANK", AccountCode::kSettlementCash).debits_posted == 1000000);
    CHECK(c.account("HUARUI", AccountCode::kSettlementCash).credits_posted == 1000000);
    CHECK(interbank(c, "HUARUI", "WEBANK") == 1000000);  // HR's debit balance: WB owes HR
    CHECK(reserve(c).balance == 1000000);
    CHECK(reserve(c).pending_topups == 0);

    // Originations draw it down: 560000 + 420000, then 70000 > 20000 left.
    ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0001", "800000"))));
    ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0002", "600000"))));
    CHECK(c.pos("WEBANK", "HUARUI") == 20000);
    {
        const auto before = c.state().entries();
        const auto no = c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0003", "100000")));
        CHECK(no.code == 4403);
        CHECK(no.detail_json()["reserve"] == "20000");
        CHECK(no.detail_json()["tranche"] == "70000");
        CHECK(c.state().entries() == before);
    }

    // Withdrawal: at most min(pos 20000, reserve 1000000) = 20000.
    {
        const auto before = c.state().entries();
        const auto no = c.run("2024-01-16", "WEBANK", "reserve.withdraw", move(kP, "20001", "HVPS-W-1"));
        CHECK(no.code == 4403);
        CHECK(no.detail_json()["available"] == "20000");
        CHECK(c.state().entries() == before);
    }
    const auto w = c.run("2024-01-16", "WEBANK", "reserve.withdraw", move(kP, "20000", "HVPS-W-1"));
    ok(w);
    CHECK(w.result_json()["instruction"]["instruction_id"] == "RV-P-WB-HR-PRE-000002");
    CHECK(w.result_json()["instruction"]["kind"] == "RESERVE_WITHDRAWAL");
    CHECK(w.result_json()["instruction"]["debtor"] == "WEBANK");
    CHECK(w.result_json()["instruction"]["categories"] == json::Value{{"RESERVE_TOPUP", "-20000"}});
    // While it is on its way, neither a second withdrawal nor a prefunded origination can use it.
    CHECK(c.run("2024-01-16", "WEBANK", "reserve.withdraw", move(kP, "1", "HVPS-W-2")).code == 4403);
    CHECK(c.run("2024-01-16", "WEBANK", "loan.originate", originate_body(prefunded_loan("L-0004", "100"))).code == 4403);

    // Positions show the reserve and the move in flight.
    auto pos = query::get_positions(c.state(), "WEBANK");
    REQUIRE(pos.ok());
    const json::Value* pre = nullptr;
    for (const auto& p : (*pos)["partnerships"]) {
        if (p["partnership_id"] == kP) {
            pre = &p;
        }
    }
    REQUIRE(pre != nullptr);
    CHECK((*pre)["reserve"] == json::Value{{"balance", "1000000"}, {"pending_topups", "0"}, {"pending_withdrawals", "20000"}});
    const json::Value& hr = (*pos)["counterparties"][0];
    REQUIRE(hr["bank_id"] == "HUARUI");
    CHECK(hr["reserve_net"] == "-1000000");  // WEBANK holds 1000000 for HUARUI
    CHECK(hr["open_cycle_net"] == "980000");
    CHECK(hr["interbank_net"] == "-20000");
    REQUIRE(hr["unsettled_instructions"].size() == 1);
    CHECK(hr["unsettled_instructions"][0]["kind"] == "RESERVE_WITHDRAWAL");

    // HUARUI confirms receipt: pos 0, reserve 980000.
    ok(received(c, "2024-01-16", "HUARUI", "RV-P-WB-HR-PRE-000002", "20000"));
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
    CHECK(reserve(c).balance == 980000);
    CHECK(reserve(c).pending_withdrawals == 0);

    // The close nets the two fundings (HR owes WB 980000); paying them refills pos to the reserve.
    const auto cl = close(c, "2024-01-16", "WEBANK", "20240101-01");
    ok(cl);
    REQUIRE(cl.result_json()["instructions"].size() == 1);
    CHECK(cl.result_json()["instructions"][0]["instruction_id"] == "SI-20240101-01-HUARUI-WEBANK");
    CHECK(cl.result_json()["instructions"][0]["amount"] == "980000");
    settle_all(c, "2024-01-16", cl.result_json());
    CHECK(c.pos("WEBANK", "HUARUI") == 980000);
    CHECK(cycle(c, "20240101-01").status == CycleStatus::kSettled);
    // The whole reserve can now go back.
    ok(c.run("2024-01-17", "WEBANK", "reserve.withdraw", move(kP, "980000", "HVPS-W-3")));
    ok(received(c, "2024-01-17", "HUARUI", "RV-P-WB-HR-PRE-000003", "980000"));
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
    CHECK(reserve(c).balance == 0);
}

TEST_CASE("reserve: a failed move is final and releases its amount; replays are DUPLICATE", "[contracts][reserve]") {
    Prefunded f;
    Chain& c = f.c;
    const json::Value body = move(kP, "500000", "HVPS-T-1");
    const auto t = c.run("2024-01-15", "HUARUI", "reserve.topup", body, "HR-TOPUP-1");
    ok(t);
    // B.7: the identical envelope again is DUPLICATE with the original result, nothing changes.
    {
        const auto before = c.state().entries();
        const auto d = c.run("2024-01-15", "HUARUI", "reserve.topup", body, "HR-TOPUP-1");
        CHECK(d.status == TxStatus::kDuplicate);
        CHECK(d.result == t.result);
        CHECK(c.state().entries() == before);
    }
    // Same client_ref, other content: 3001; new client_ref, same payer_ref: 3003.
    {
        const auto before = c.state().entries();
        CHECK(c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "500001", "HVPS-T-1"), "HR-TOPUP-1").code == 3001);
        const auto dup = c.run("2024-01-15", "HUARUI", "reserve.topup", body, "HR-TOPUP-2");
        CHECK(dup.code == 3003);
        CHECK(dup.detail_json()["instruction_id"] == "RV-P-WB-HR-PRE-000001");
        CHECK(c.state().entries() == before);
    }
    // The cash never arrived: WEBANK reports the failure. FAILED is final (no roll), nothing was
    // posted, the pending amount is released, and it cannot be received any more.
    ok(c.run("2024-01-15", "WEBANK", "settlement.report_failure",
             json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000001"}, {"reason", "no HVPS credit"}}));
    CHECK(reserve(c).pending_topups == 0);
    CHECK(reserve(c).balance == 0);
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
    auto unchanged = [&](const std::string& bank, const std::string& type, const json::Value& b, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-01-15", bank, type, b);
        INFO(type << " " << b.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    unchanged("WEBANK", "settlement.roll", json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000001"}}, 7004);
    unchanged("WEBANK", "settlement.confirm_received",
              json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000001"}, {"amount", "500000"}}, 7004);
    // The close does not roll it either.
    const auto cl = close(c, "2024-01-16", "WEBANK", "20240101-01");
    ok(cl);
    CHECK(cl.result_json()["rolled_instructions"].empty());
}

TEST_CASE("reserve rejections carry their B.5 codes and change nothing", "[contracts][reserve][errors]") {
    Prefunded f;
    Chain& c = f.c;
    PartnershipSpec proposed;  // proposed by WEBANK, never accepted by BANKC
    proposed.id = "P-WB-BC-PRE";
    proposed.partner = "BANKC";
    proposed.funding_mode = "PREFUNDED_RESERVE";
    proposed.fronting_limit = "0";
    ok(c.run("2024-01-01", "WEBANK", "partnership.propose", partnership_body(proposed)));
    ok(c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "1000", "HVPS-T-1")));
    ok(received(c, "2024-01-15", "WEBANK", "RV-P-WB-HR-PRE-000001", "1000"));

    auto unchanged = [&](const std::string& bank, const std::string& type, const json::Value& b, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-01-15", bank, type, b);
        INFO(type << " " << b.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    // 1001: missing / unknown fields, malformed ids.
    unchanged("HUARUI", "reserve.topup", json::Value{{"partnership_id", kP}, {"amount", "5"}}, 1001);
    unchanged("HUARUI", "reserve.topup", json::Value{{"partnership_id", kP}, {"amount", "5"}, {"payer_ref", "a b"}}, 1001);
    unchanged("HUARUI", "reserve.topup",
              json::Value{{"partnership_id", kP}, {"amount", "5"}, {"payer_ref", "R"}, {"memo", "x"}}, 1001);
    // 1003: amounts.
    unchanged("HUARUI", "reserve.topup", move(kP, "0", "R-1"), 1003);
    unchanged("HUARUI", "reserve.topup", move(kP, "-5", "R-1"), 1003);
    unchanged("WEBANK", "reserve.withdraw", move(kP, "01", "R-1"), 1003);
    // 2008: the servicer does not top up, the partner does not withdraw.
    unchanged("WEBANK", "reserve.topup", move(kP, "5", "R-1"), 2008);
    unchanged("HUARUI", "reserve.withdraw", move(kP, "5", "R-1"), 2008);
    unchanged("BANKC", "reserve.topup", move(kP, "5", "R-1"), 2008);
    // 3003: HUARUI's payment reference is already used.
    unchanged("HUARUI", "reserve.topup", move(kP, "5", "HVPS-T-1"), 3003);
    // 4001, 4002 (not accepted), 4005 (FRONTED partnership has no reserve).
    unchanged("HUARUI", "reserve.topup", move("P-NONE", "5", "R-1"), 4001);
    unchanged("BANKC", "reserve.topup", move("P-WB-BC-PRE", "5", "R-1"), 4002);
    unchanged("WEBANK", "reserve.withdraw", move("P-WB-BC-PRE", "5", "R-1"), 4002);
    unchanged("HUARUI", "reserve.topup", move("P-WB-HR", "5", "R-1"), 4005);
    // 4403: more than the reserve.
    unchanged("WEBANK", "reserve.withdraw", move(kP, "1001", "R-1"), 4403);
    // 7004: a reserve move is SENT from the start; confirm_sent does not apply.
    ok(c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "5", "HVPS-T-2")));
    unchanged("HUARUI", "settlement.confirm_sent",
              json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000002"}, {"amount", "5"}}, 7004);
    unchanged("HUARUI", "settlement.confirm_received",
              json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000002"}, {"amount", "5"}}, 2006);
    unchanged("WEBANK", "settlement.confirm_received",
              json::Value{{"instruction_id", "RV-P-WB-HR-PRE-000002"}, {"amount", "6"}}, 7005);
    // A withdrawal is still possible while the partnership is SUSPENDED (winding down).
    ok(c.run("2024-01-16", "HUARUI", "partnership.suspend", json::Value{{"partnership_id", kP}}));
    unchanged("HUARUI", "reserve.topup", move(kP, "5", "R-9"), 4002);
    ok(c.run("2024-01-16", "WEBANK", "reserve.withdraw", move(kP, "1000", "HVPS-W-1")));
}

TEST_CASE("B5 counts the received reserve: a reserve record off by one fen fails the block",
          "[contracts][reserve][invariants]") {
    Prefunded f;
    Chain& c = f.c;
    ok(c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "1000", "HVPS-T-1")));
    ok(received(c, "2024-01-15", "WEBANK", "RV-P-WB-HR-PRE-000001", "1000"));
    ReserveAccount rv = reserve(c);
    rv.balance += 1;
    c.mutable_state().apply({{keys::reserve("WEBANK", "HUARUI", kP), encode(rv, kRecordVersionLatest)}});
    const auto out = c.try_block("2024-01-16", {c.tx("HUARUI", "reserve.topup", move(kP, "5", "HVPS-T-2"))});
    REQUIRE_FALSE(out.ok());
    CHECK_THAT(out.error().message(), Catch::Contains("ERR_INVARIANT_VIOLATION (9900)") &&
                                          Catch::Contains("B5 pair HUARUI/WEBANK"));
}

TEST_CASE("reserve: what a pending proposal reserves cannot be withdrawn", "[contracts][reserve][origination]") {
    // Regression: the withdrawal bound ignored the reservations of two-step originations, so a
    // servicer could withdraw the reserve a partner had just accepted a tranche against, and the
    // disbursement would then fail 4403. Figures by hand: reserve 1000000; a proposal of 1000000
    // at 30/70 reserves HR's 700000; 300000 is left to withdraw.
    Prefunded f;
    Chain& c = f.c;
    PartnershipSpec acc;
    acc.id = "P-WB-HR-PRE-ACC";
    acc.funding_mode = "PREFUNDED_RESERVE";
    acc.fronting_limit = "0";
    acc.require_acceptance = true;
    acc.accept_timeout_days = 5;
    c.partnership(acc);
    ok(c.run("2024-01-15", "HUARUI", "reserve.topup", move(kP, "1000000", "HVPS-T-1")));
    ok(received(c, "2024-01-15", "WEBANK", "RV-P-WB-HR-PRE-000001", "1000000"));
    LoanSpec l = prefunded_loan("L-0001", "1000000");
    l.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-WB-HR-PRE-ACC"}};
    ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(l)));
    {
        const auto before = c.state().entries();
        const auto no = c.run("2024-01-15", "WEBANK", "reserve.withdraw", move(kP, "300001", "HVPS-W-1"));
        CHECK(no.code == 4403);
        CHECK(no.detail_json()["reserved_by_proposals"] == "700000");
        CHECK(no.detail_json()["available"] == "300000");
        CHECK(c.state().entries() == before);
    }
    ok(c.run("2024-01-15", "WEBANK", "reserve.withdraw", move(kP, "300000", "HVPS-W-1")));
    // The accepted tranche is still covered: the disbursement goes through.
    ok(c.run("2024-01-15", "HUARUI", "loan.accept_tranche", json::Value{{"loan_id", "L-0001"}}));
    ok(c.run("2024-01-15", "WEBANK", "loan.disburse", json::Value{{"loan_id", "L-0001"}, {"channel_ref", "DISB-L-0001"}}));
    CHECK(c.pos("WEBANK", "HUARUI") == 300000);  // 1000000 - 700000 funded; 300000 still on its way back
    ok(received(c, "2024-01-15", "HUARUI", "RV-P-WB-HR-PRE-000002", "300000"));
    CHECK(c.pos("WEBANK", "HUARUI") == 0);
}

}  // namespace jc::contracts::test
