// Shared by the settlement tests: the four partnerships of E6, helpers to close cycles and
// confirm instructions, and the chain of worked example E6 (DOMAIN.md D) with cycle
// 20240215-01 open and holding E6's seven obligations. `before_e6_cycle` runs just before the
// close that opens 20240215-01 (e.g. a governance change that the new cycle picks up).
#pragma once

#include "chain.h"

#include <jc/contracts/settlement.h>

#include <catch2/catch.hpp>

#include <functional>

namespace jc::contracts::test {


// Four partnerships: WB-HR without fee (E2), WB-HR 12.5 % fee and 20 % minimum (E3a), WB-BANKC
// and HR-BANKC (HR services).
inline void partnerships(Chain& c) {
    c.partnership(PartnershipSpec{});
    PartnershipSpec f;
    f.id = "P-WB-HR-F";
    f.min_share_bps = 2000;
    f.fee_bps = 1250;
    c.partnership(f);
    PartnershipSpec wc;
    wc.id = "P-WB-BC";
    wc.partner = "BANKC";
    c.partnership(wc);
    PartnershipSpec hc;
    hc.id = "P-HR-BC";
    hc.servicer = "HUARUI";
    hc.partner = "BANKC";
    c.partnership(hc);
}

inline void ok(const TxReceipt& r) {
    INFO(r.error << " " << r.detail);
    REQUIRE(r.status == TxStatus::kOk);
}

inline TxReceipt close(Chain& c, const std::string& date, const std::string& bank, const std::string& expected) {
    return c.run(date, bank, "settlement.close_cycle", json::Value{{"expected_cycle_id", expected}});
}

inline TxReceipt sent(Chain& c, const std::string& date, const std::string& bank, const std::string& id,
               const std::string& amount) {
    return c.run(date, bank, "settlement.confirm_sent", json::Value{{"instruction_id", id}, {"amount", amount}});
}

inline TxReceipt received(Chain& c, const std::string& date, const std::string& bank, const std::string& id,
                   const std::string& amount) {
    return c.run(date, bank, "settlement.confirm_received", json::Value{{"instruction_id", id}, {"amount", amount}});
}

inline SettlementInstruction instruction(const Chain& c, const std::string& id) {
    auto raw = c.state().get(keys::instruction(id));
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    auto si = decode_instruction(**raw);
    REQUIRE(si.ok());
    return *si;
}

inline Cycle cycle(const Chain& c, const std::string& id) {
    auto raw = c.state().get(keys::cycle(id));
    REQUIRE(raw.ok());
    REQUIRE(raw->has_value());
    auto cy = decode_cycle(**raw);
    REQUIRE(cy.ok());
    return *cy;
}

inline I128 interbank(const Chain& c, const std::string& bank, const std::string& cp) {
    return c.account(bank, AccountCode::kInterbank, cp).net_debit();
}

// Settles every instruction of a closed-cycle result (debtor confirms, creditor confirms).
inline void settle_all(Chain& c, const std::string& date, const json::Value& close_result) {
    for (const auto& si : close_result["instructions"]) {
        ok(sent(c, date, si["debtor"], si["instruction_id"], si["amount"]));
        ok(received(c, date, si["creditor"], si["instruction_id"], si["amount"]));
    }
}

// The chain of E6: loans before the cycle, their funding settled, and cycle 20240215-01 open
// with E6's seven obligations in it.
struct E6 {
    Chain c{test_params()};

    explicit E6(const std::function<void(Chain&)>& before_e6_cycle = {}) {
        partnerships(c);
        ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));  // L-0001
        LoanSpec l2;
        l2.loan_id = "L-0002";
        l2.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
        l2.tranches = {{"WEBANK", 2000, ""}, {"HUARUI", 8000, "P-WB-HR-F"}};
        l2.channel_ref = "DISB-0002";
        ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l2)));
        LoanSpec l200;
        l200.loan_id = "L-0200";
        l200.principal = "400000";
        l200.rate = "0";
        l200.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-03-15"}};
        l200.tranches = {{"HUARUI", 7000, ""}, {"BANKC", 3000, "P-HR-BC"}};
        l200.channel_ref = "DISB-0200";
        ok(c.run("2024-01-15", "HUARUI", "loan.originate", originate_body(l200)));

        // First cycle: the genesis cycle closes on 2024-02-14 with the three fundings.
        REQUIRE(c.cycle_id() == "20240101-01");
        const auto first = close(c, "2024-02-14", "BANKC", "20240101-01");
        ok(first);
        CHECK(first.result_json()["next_cycle_id"] == "20240214-01");
        REQUIRE(first.result_json()["instructions"].size() == 2);
        CHECK(first.result_json()["instructions"][0]["instruction_id"] == "SI-20240101-01-BANKC-HUARUI");
        CHECK(first.result_json()["instructions"][0]["amount"] == "120000");
        CHECK(first.result_json()["instructions"][1]["instruction_id"] == "SI-20240101-01-HUARUI-WEBANK");
        CHECK(first.result_json()["instructions"][1]["amount"] == "1200000");
        settle_all(c, "2024-02-14", first.result_json());
        CHECK(cycle(c, "20240101-01").status == CycleStatus::kSettled);

        if (before_e6_cycle) {
            before_e6_cycle(c);
        }
        // The empty cycle of 2024-02-14 closes on 2024-02-15: nothing to settle, SETTLED at once,
        // and the first cycle of the new business date is -01.
        const auto empty = close(c, "2024-02-15", "WEBANK", "20240214-01");
        ok(empty);
        CHECK(empty.result_json()["instructions"].empty());
        CHECK(empty.result_json()["closed_cycle_status"] == "SETTLED");
        REQUIRE(c.cycle_id() == "20240215-01");

        // E6's obligations.
        LoanSpec l101;
        l101.loan_id = "L-0101";
        l101.value_date = "2024-02-15";
        l101.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 6}, {"first_due_date", "2024-03-15"}};
        l101.channel_ref = "DISB-0101";
        ok(c.run("2024-02-15", "WEBANK", "loan.originate", originate_body(l101)));
        LoanSpec l102 = l101;
        l102.loan_id = "L-0102";
        l102.principal = "1234567";
        l102.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC"}};
        l102.channel_ref = "DISB-0102";
        ok(c.run("2024-02-15", "WEBANK", "loan.originate", originate_body(l102)));
        ok(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")));
        ok(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0002", "2024-02-15", "812400", "PAY-L2", "PAYOFF")));
        LoanSpec l201 = l101;
        l201.loan_id = "L-0201";
        l201.principal = "500000";
        l201.tranches = {{"HUARUI", 3000, ""}, {"BANKC", 7000, "P-HR-BC"}};
        l201.channel_ref = "DISB-0201";
        ok(c.run("2024-02-15", "HUARUI", "loan.originate", originate_body(l201)));
        ok(c.run("2024-02-15", "HUARUI", "loan.repay", repay_body("L-0200", "2024-02-15", "400000", "PAY-200", "PAYOFF")));
    }
};

}  // namespace jc::contracts::test
