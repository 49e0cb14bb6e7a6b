// Goal: multilateral netting through a designated settlement agent (DOMAIN.md B.8, ADR 0055)
// gives exactly E6's multilateral figures (WB +720170, HR +374027, BANKC -1094197, funds moved
// 1094197, nets summing to zero), the instruction lifecycle (sent, received, failure, roll)
// works for agent instructions with balanced postings and B5/B6 holding at every block, the
// mode is chosen by governance.set_params and applies from the next cycle opened, and every
// rejection of a bad netting parameter changes nothing.
// Method: the E6 chain of settlement_fixture.h with a governance change (proposal + one
// approval, quorum 2 of 3 voters) executed before cycle 20240215-01 opens. The agent is REGUL
// (standing for PBoC net settlement, a member outside the three banks) or WEBANK (a
// participating clearing bank). Expected nets are worked by hand from E6's obligation table:
// WB is owed 560000 + 864197 + 1240 and owes 55347 + 649920; HR is owed 705267 + 350000 and
// owes 561240 + 120000; BANKC owes 864197 + 350000 and is owed 120000. Every test chain checks
// B5-B7 after every block (chain.h), so a wrong novation would fail the block itself.
#include "../../../contracts/src/invariants.h"
#include "../../../contracts/src/overlay.h"
#include "settlement_fixture.h"

#include <jc/core/sha256.h>

namespace jc::contracts::test {
namespace {

// governance.set_params proposed by WEBANK and approved by HUARUI (2 of 3 voters).
void set_params(Chain& c, const std::string& date, const std::string& id, json::Value change) {
    change["proposal_id"] = id;
    ok(c.run(date, "WEBANK", "governance.set_params", change));
    const auto r = c.run(date, "HUARUI", "governance.approve",
                         json::Value{{"proposal_id", id}, {"action_digest", action_digest("governance.set_params", change)}});
    ok(r);
    REQUIRE(r.result_json()["proposal"]["status"] == "EXECUTED");
}

std::function<void(Chain&)> multilateral_via(const std::string& agent) {
    return [agent](Chain& c) {
        set_params(c, "2024-02-14", "GP-NET", json::Value{{"netting_mode", "MULTILATERAL"}, {"settlement_agent", agent}});
    };
}

Params stored_params(const Chain& c) {
    auto raw = c.state().get(keys::params());
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    return decode_params(**raw).value();
}

const char* const kNettingBanks[] = {"WEBANK", "HUARUI", "BANKC", "REGUL"};

}  // namespace

TEST_CASE("E6 multilateral through REGUL: three agent instructions, exactly E6's nets, funds moved 1094197",
          "[contracts][settlement][netting][E6]") {
    E6 e(multilateral_via("REGUL"));
    Chain& c = e.c;
    CHECK(cycle(c, "20240215-01").netting == NettingMode::kMultilateral);
    CHECK(cycle(c, "20240215-01").settlement_agent == "REGUL");
    CHECK(cycle(c, "20240214-01").netting == NettingMode::kBilateral);  // opened before the change

    const auto r = close(c, "2024-02-15", "HUARUI", "20240215-01");
    ok(r);
    CHECK(r.result_json()["netting_mode"] == "MULTILATERAL");
    CHECK(r.result_json()["settlement_agent"] == "REGUL");
    CHECK(r.result_json()["funds_moved"] == "1094197");
    // The novation posts at every bank and the agent: each is told of the close (ADR 0179).
    for (const char* bank : kNettingBanks) {
        INFO(bank);
        CHECK(std::count(r.concerns.begin(), r.concerns.end(),
                         Concern{bank, Concern::Record::kCycle, "20240215-01"}) == 1);
    }
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 3);
    // One per bank other than the agent, in bank-id order.
    CHECK(list[0]["instruction_id"] == "SI-20240215-01-BANKC-REGUL");
    CHECK(list[0]["amount"] == "1094197");
    CHECK(list[0]["kind"] == "MULTILATERAL");
    CHECK(list[1]["instruction_id"] == "SI-20240215-01-REGUL-HUARUI");
    CHECK(list[1]["amount"] == "374027");
    CHECK(list[2]["instruction_id"] == "SI-20240215-01-REGUL-WEBANK");
    CHECK(list[2]["amount"] == "720170");
    std::map<std::string, std::int64_t> net;
    for (const auto& si : list) {
        const std::int64_t a = std::stoll(si["amount"].get<std::string>());
        net[si["creditor"]] += a;
        net[si["debtor"]] -= a;
    }
    CHECK(net["WEBANK"] == 720170);
    CHECK(net["HUARUI"] == 374027);
    CHECK(net["BANKC"] == -1094197);
    CHECK(net["REGUL"] == 0);
    CHECK(net["WEBANK"] + net["HUARUI"] + net["BANKC"] == 0);  // B6

    // Categories in the instruction's direction sum to the amount. BANKC owes FUNDING 864197
    // (L-0102) + 350000 (L-0201) and is owed PRINCIPAL 120000 (L-0200, rate 0).
    CHECK(list[0]["categories"] == json::Value{{"FUNDING", "1214197"}, {"PRINCIPAL", "-120000"}});
    CHECK(list[0]["counts"] == json::Value{{"FUNDING", 2}, {"PRINCIPAL", 1}});
    // WB is owed FUNDING 560000 + 864197 and the fee 1240, owes PRINCIPAL 46667 + 640000 and
    // INTEREST 8680 + 9920.
    CHECK(list[2]["categories"] == json::Value{{"FUNDING", "1424197"},
                                               {"PRINCIPAL", "-686667"},
                                               {"INTEREST", "-18600"},
                                               {"SERVICE_FEE", "1240"}});
    // The digest covers the bank's own aggregate lines in key order.
    const std::string bankc_lines =
        "ob/20240215-01/BANKC/HUARUI/FUNDING=350000,1\n"
        "ob/20240215-01/BANKC/WEBANK/FUNDING=864197,1\n"
        "ob/20240215-01/HUARUI/BANKC/PRINCIPAL=120000,1\n";
    CHECK(list[0]["obligations_digest"] == sha256(bankc_lines).hex());

    // Novation: every pair among the three banks is square; each bank's claim is on the agent.
    for (const char* a : {"WEBANK", "HUARUI", "BANKC"}) {
        for (const char* b : {"WEBANK", "HUARUI", "BANKC"}) {
            if (std::string(a) != b) {
                INFO(a << " / " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
    CHECK(c.pos("BANKC", "REGUL") == 1094197);
    CHECK(c.pos("REGUL", "WEBANK") == 720170);
    CHECK(c.pos("REGUL", "HUARUI") == 374027);
    CHECK(interbank(c, "REGUL", "BANKC") == 1094197);  // mirror: BANKC owes REGUL

    // Queries show the mode.
    auto q = query::get_cycle(c.state(), "20240215-01");
    REQUIRE(q.ok());
    CHECK((*q)["netting_mode"] == "MULTILATERAL");
    CHECK((*q)["settlement_agent"] == "REGUL");
    CHECK((*q)["instructions"]["total"] == "2188394");  // pay-ins plus pay-outs
    auto report = query::get_cycle_report(c.state(), "20240215-01", "BANKC");
    REQUIRE(report.ok());
    CHECK((*report)["netting_mode"] == "MULTILATERAL");
    CHECK((*report)["multilateral_net"] == "-1094197");

    // Everything settles through the agent: REGUL receives 1094197 and pays it all out.
    settle_all(c, "2024-02-15", r.result_json());
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    for (const char* a : kNettingBanks) {
        for (const char* b : kNettingBanks) {
            if (std::string(a) != b) {
                INFO(a << " / " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
    CHECK(c.account("REGUL", AccountCode::kSettlementCash).debits_posted == 1094197);
    CHECK(c.account("REGUL", AccountCode::kSettlementCash).credits_posted == 1094197);
}

TEST_CASE("E6 multilateral with a participating agent (WEBANK): two instructions, funds moved 1094197",
          "[contracts][settlement][netting][E6]") {
    E6 e(multilateral_via("WEBANK"));
    Chain& c = e.c;
    const auto r = close(c, "2024-02-15", "BANKC", "20240215-01");
    ok(r);
    CHECK(r.result_json()["funds_moved"] == "1094197");
    const json::Value list = r.result_json()["instructions"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["instruction_id"] == "SI-20240215-01-BANKC-WEBANK");
    CHECK(list[0]["amount"] == "1094197");
    CHECK(list[1]["instruction_id"] == "SI-20240215-01-WEBANK-HUARUI");
    CHECK(list[1]["amount"] == "374027");
    // WEBANK keeps its own +720170: it receives 1094197 and passes 374027 on.
    CHECK(c.pos("BANKC", "WEBANK") == 1094197);
    CHECK(c.pos("WEBANK", "HUARUI") == 374027);
    CHECK(interbank(c, "BANKC", "HUARUI") == 0);
    settle_all(c, "2024-02-15", r.result_json());
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    CHECK(interbank(c, "WEBANK", "HUARUI") == 0);
    CHECK(interbank(c, "WEBANK", "BANKC") == 0);
}

TEST_CASE("an agent instruction fails, is rolled at the next close and settles there; back to bilateral",
          "[contracts][settlement][netting][lifecycle]") {
    E6 e(multilateral_via("REGUL"));
    Chain& c = e.c;
    const auto r = close(c, "2024-02-15", "WEBANK", "20240215-01");
    ok(r);
    const std::string pay_in = "SI-20240215-01-BANKC-REGUL";
    ok(sent(c, "2024-02-15", "BANKC", pay_in, "1094197"));
    ok(c.run("2024-02-15", "REGUL", "settlement.report_failure",
             json::Value{{"instruction_id", pay_in}, {"reason", "HVPS return"}}));
    for (const char* id : {"SI-20240215-01-REGUL-HUARUI", "SI-20240215-01-REGUL-WEBANK"}) {
        const auto si = instruction(c, id);
        ok(sent(c, "2024-02-15", "REGUL", id, std::to_string(si.amount)));
        ok(received(c, "2024-02-15", si.creditor, id, std::to_string(si.amount)));
    }
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kClosed);  // the FAILED one is outstanding
    CHECK(c.pos("BANKC", "REGUL") == 1094197);

    // Back to bilateral: governance decides on 2024-02-15; the cycle open now (20240215-02,
    // multilateral) keeps its mode, the next one is bilateral.
    set_params(c, "2024-02-15", "GP-BI", json::Value{{"netting_mode", "BILATERAL"}});
    CHECK(stored_params(c).settlement_agent.empty());
    CHECK(cycle(c, "20240215-02").netting == NettingMode::kMultilateral);

    // Next close: the FAILED pay-in is rolled as CARRY_FORWARD BANKC -> REGUL and netted; the
    // agent's own net needs no instruction, BANKC pays the same 1094197 again.
    const auto r2 = close(c, "2024-02-16", "HUARUI", "20240215-02");
    ok(r2);
    CHECK(r2.result_json()["rolled_instructions"] == json::Value::array({pay_in}));
    CHECK(instruction(c, pay_in).status == InstructionStatus::kRolled);
    CHECK(cycle(c, "20240215-01").status == CycleStatus::kSettled);
    REQUIRE(r2.result_json()["instructions"].size() == 1);
    CHECK(r2.result_json()["instructions"][0]["instruction_id"] == "SI-20240215-02-BANKC-REGUL");
    CHECK(r2.result_json()["instructions"][0]["categories"] == json::Value{{"CARRY_FORWARD", "1094197"}});
    CHECK(r2.result_json()["funds_moved"] == "1094197");
    CHECK(cycle(c, "20240216-01").netting == NettingMode::kBilateral);
    CHECK(cycle(c, "20240216-01").settlement_agent.empty());
    settle_all(c, "2024-02-16", r2.result_json());
    for (const char* a : kNettingBanks) {
        for (const char* b : kNettingBanks) {
            if (std::string(a) != b) {
                INFO(a << " / " << b);
                CHECK(interbank(c, a, b) == 0);
            }
        }
    }
}

TEST_CASE("bad netting parameters are rejected and change nothing", "[contracts][settlement][netting][errors]") {
    Chain c(test_params());
    auto unchanged = [&](const json::Value& body, int code) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-03-01", "WEBANK", "governance.set_params", body);
        INFO(body.dump() << " -> " << r.error << " " << r.detail);
        CHECK(r.status == TxStatus::kRejected);
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"netting_mode", "TRILATERAL"}}, 1001);
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"netting_mode", "MULTILATERAL"}, {"settlement_agent", "bad id"}},
              1001);
    // 6007: MULTILATERAL without an agent, an agent that is no member, a suspended agent, and an
    // agent named while netting stays BILATERAL.
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"netting_mode", "MULTILATERAL"}}, 6007);
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"netting_mode", "MULTILATERAL"}, {"settlement_agent", "NOBANK"}},
              6007);
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"netting_mode", "MULTILATERAL"}, {"settlement_agent", "SUSPBK"}},
              6007);
    unchanged(json::Value{{"proposal_id", "GP-1"}, {"settlement_agent", "REGUL"}}, 6007);
    // The same proposal, valid, goes through and is shown in getParams-style output.
    set_params(c, "2024-03-01", "GP-2", json::Value{{"netting_mode", "MULTILATERAL"}, {"settlement_agent", "REGUL"}});
    CHECK(stored_params(c).netting == NettingMode::kMultilateral);
    CHECK(stored_params(c).settlement_agent == "REGUL");
    // The open genesis cycle keeps bilateral netting.
    CHECK(cycle(c, c.cycle_id()).netting == NettingMode::kBilateral);
}

TEST_CASE("B5/B6 for a multilateral cycle: instructions must be each bank's net with the agent",
          "[contracts][settlement][netting][invariants]") {
    E6 e(multilateral_via("REGUL"));
    auto out = e.c.try_block("2024-02-15", {e.c.tx("WEBANK", "settlement.close_cycle",
                                                   json::Value{{"expected_cycle_id", "20240215-01"}})});
    REQUIRE(out.ok());
    auto check = [&](const std::function<void(Overlay&)>& corrupt) {
        Overlay ov(e.c.state(), kRecordVersionLatest);
        for (const auto& w : out->writes) {
            if (w.value) {
                ov.put(w.key, *w.value);
            } else {
                ov.erase(w.key);
            }
        }
        corrupt(ov);
        return invariants::check_settlement(ov, BlockContext::at(e.c.height() + 1, noon_cst_ms("2024-02-15")));
    };
    auto get = [](Overlay& ov, const std::string& id) {
        return decode_instruction(**ov.get(keys::instruction(id))).value();
    };
    auto put = [](Overlay& ov, const SettlementInstruction& si) {
        ov.put(keys::instruction(si.instruction_id), encode(si, kRecordVersionLatest));
        ov.put(keys::unsettled(si.instruction_id), si.cycle_id);
    };
    CHECK(check([](Overlay&) {}).ok());
    // B6: BANKC's pay-in one fen short.
    const auto b6 = check([&](Overlay& ov) {
        auto si = get(ov, "SI-20240215-01-BANKC-REGUL");
        si.amount -= 1;
        put(ov, si);
    });
    REQUIRE_FALSE(b6.ok());
    CHECK_THAT(b6.error().message(), Catch::Contains("B6 cycle 20240215-01"));
    // B5: a pair of 1-fen instructions between two banks keeps every multilateral net but is not
    // an instruction with the agent.
    const auto b5 = check([&](Overlay& ov) {
        SettlementInstruction wh = get(ov, "SI-20240215-01-REGUL-WEBANK");
        wh.instruction_id = "SI-20240215-01-WEBANK-HUARUI";
        wh.debtor = "WEBANK";
        wh.creditor = "HUARUI";
        wh.amount = 1;
        put(ov, wh);
        SettlementInstruction hw = wh;
        hw.instruction_id = "SI-20240215-01-HUARUI-WEBANK";
        hw.debtor = "HUARUI";
        hw.creditor = "WEBANK";
        put(ov, hw);
    });
    REQUIRE_FALSE(b5.ok());
    CHECK_THAT(b5.error().message(), Catch::Contains("B5 cycle 20240215-01") && Catch::Contains("agent REGUL"));
    // B5: an instruction of the wrong netting kind.
    const auto kind = check([&](Overlay& ov) {
        auto si = get(ov, "SI-20240215-01-REGUL-HUARUI");
        si.kind = InstructionKind::kBilateral;
        put(ov, si);
    });
    REQUIRE_FALSE(kind.ok());
    CHECK_THAT(kind.error().message(), Catch::Contains("MULTILATERAL cycle has BILATERAL instruction"));
    // B5 first half: undo one novation leg at the agent and its pair no longer matches.
    const auto novation = check([&](Overlay& ov) {
        const std::string key = keys::account("REGUL", AccountCode::kInterbank, "WEBANK");
        Account a = decode_account(**ov.get(key)).value();
        a.credits_posted -= 1;
        ov.put(key, encode(a, kRecordVersionLatest));
    });
    REQUIRE_FALSE(novation.ok());
    CHECK_THAT(novation.error().message(), Catch::Contains("B5 pair REGUL/WEBANK"));
}

}  // namespace jc::contracts::test
