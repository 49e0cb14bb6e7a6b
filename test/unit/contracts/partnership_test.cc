// Goal: partnerships follow their state machine (PROPOSED -> ACTIVE | REJECTED; ACTIVE ->
// SUSPENDED; amendments proposed by one party and accepted or declined by the other), every
// field of DOMAIN.md B.1 is stored and reported, amendments govern only new loans, and a
// suspended partnership stops originations but never repayments.
// Method: drive the transactions through a test chain and read getPartnership and loan state.
#include "chain.h"

#include <catch2/catch.hpp>

namespace jc::contracts::test {

TEST_CASE("propose stores every field; accept activates", "[contracts][partnership]") {
    Chain c(test_params());
    json::Value body = partnership_body(PartnershipSpec{});
    body["accept_timeout_days"] = 7;
    body["writeoff_preauth_dpd"] = 180;
    body.erase("min_tranche_share_bps");  // defaults to 3000
    const auto r = c.run("2024-01-01", "WEBANK", "partnership.propose", body);
    REQUIRE(r.status == TxStatus::kOk);
    auto p = query::get_partnership(c.state(), "P-WB-HR");
    REQUIRE(p.ok());
    CHECK((*p)["status"] == "PROPOSED");
    const json::Value& t = (*p)["terms"];
    CHECK(t["agreement_ref"] == std::string(64, '1'));
    CHECK(t["funding_mode"] == "FRONTED");
    CHECK(t["min_tranche_share_bps"] == 3000);
    CHECK(t["max_outstanding_principal"] == "100000000000");
    CHECK(t["fronting_limit"] == "100000000000");
    CHECK(t["collection_limit"] == "100000000000");
    CHECK(t["service_fee_bps"] == 0);
    CHECK(t["fee_base"] == "INTEREST_AND_PENALTY");
    CHECK(t["require_partner_acceptance"] == false);
    CHECK(t["accept_timeout_days"] == 7);
    CHECK(t["writeoff_preauth_dpd"] == 180);
    CHECK((*p)["servicer_bank"] == "WEBANK");
    CHECK((*p)["partner_bank"] == "HUARUI");
    // Only the partner accepts.
    CHECK(c.run("2024-01-01", "WEBANK", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}).code == 2008);
    CHECK(c.run("2024-01-01", "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}).status ==
          TxStatus::kOk);
    CHECK((*query::get_partnership(c.state(), "P-WB-HR"))["status"] == "ACTIVE");
    CHECK(query::get_partnership(c.state(), "P-NONE")->is_null());
}

TEST_CASE("reject ends a proposal", "[contracts][partnership]") {
    Chain c(test_params());
    REQUIRE(c.run("2024-01-01", "WEBANK", "partnership.propose", partnership_body(PartnershipSpec{})).status ==
            TxStatus::kOk);
    CHECK(c.run("2024-01-01", "WEBANK", "partnership.reject", json::Value{{"partnership_id", "P-WB-HR"}}).code == 2008);
    REQUIRE(c.run("2024-01-01", "HUARUI", "partnership.reject", json::Value{{"partnership_id", "P-WB-HR"}}).status ==
            TxStatus::kOk);
    CHECK((*query::get_partnership(c.state(), "P-WB-HR"))["status"] == "REJECTED");
    CHECK(c.run("2024-01-01", "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}).code == 4004);
    CHECK(c.run("2024-01-02", "WEBANK", "loan.originate", originate_body(LoanSpec{})).code == 4002);
}

TEST_CASE("amendments need the other party and apply to new loans only", "[contracts][partnership]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    LoanSpec old_loan;
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(old_loan)).status == TxStatus::kOk);
    const json::Value amend{{"partnership_id", "P-WB-HR"}, {"service_fee_bps", 1250}};
    CHECK(c.run("2024-01-16", "HUARUI", "partnership.amend", json::Value{{"partnership_id", "P-WB-HR"}}).code == 1001);
    CHECK(c.run("2024-01-16", "HUARUI", "partnership.amend",
                json::Value{{"partnership_id", "P-WB-HR"}, {"service_fee_bps", 0}})
              .code == 1001);  // changes nothing
    CHECK(c.run("2024-01-16", "WEBANK", "partnership.amend",
                json::Value{{"partnership_id", "P-WB-HR"}, {"funding_mode", "DIRECT"}})
              .code == 1001);  // DIRECT with a non-zero fronting limit
    REQUIRE(c.run("2024-01-16", "WEBANK", "partnership.amend", amend).status == TxStatus::kOk);
    auto p = *query::get_partnership(c.state(), "P-WB-HR");
    CHECK(p["terms"]["service_fee_bps"] == 0);  // pending, not yet in force
    CHECK(p["pending_amendment"]["terms"]["service_fee_bps"] == 1250);
    CHECK(p["pending_amendment"]["proposer"] == "WEBANK");
    // A second amendment while one is pending; the proposer accepting its own.
    CHECK(c.run("2024-01-16", "HUARUI", "partnership.amend", amend).code == 4004);
    CHECK(c.run("2024-01-16", "WEBANK", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}).code == 2008);
    // The proposer withdraws; a new amendment; the other party accepts.
    REQUIRE(c.run("2024-01-16", "WEBANK", "partnership.reject", json::Value{{"partnership_id", "P-WB-HR"}}).status ==
            TxStatus::kOk);
    CHECK((*query::get_partnership(c.state(), "P-WB-HR"))["pending_amendment"].is_null());
    REQUIRE(c.run("2024-01-16", "WEBANK", "partnership.amend", amend).status == TxStatus::kOk);
    REQUIRE(c.run("2024-01-16", "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}).status ==
            TxStatus::kOk);
    p = *query::get_partnership(c.state(), "P-WB-HR");
    CHECK(p["terms"]["service_fee_bps"] == 1250);
    CHECK(p["pending_amendment"].is_null());
    // The old loan keeps fee 0; a new loan gets 1250.
    LoanSpec new_loan;
    new_loan.loan_id = "L-0002";
    new_loan.channel_ref = "DISB-2";
    new_loan.borrower = std::string(64, 'c');
    REQUIRE(c.run("2024-01-16", "WEBANK", "loan.originate", originate_body(new_loan)).status == TxStatus::kOk);
    CHECK(c.loan("L-0001").tranches[1].fee_bps == 0);
    CHECK(c.loan("L-0002").tranches[1].fee_bps == 1250);
    const auto r = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"));
    CHECK(r.result_json()["tranches"][1]["fee"] == "0");
}

TEST_CASE("suspension stops originations, not repayments", "[contracts][partnership]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
    REQUIRE(c.run("2024-01-20", "HUARUI", "partnership.suspend", json::Value{{"partnership_id", "P-WB-HR"}}).status ==
            TxStatus::kOk);
    CHECK((*query::get_partnership(c.state(), "P-WB-HR"))["status"] == "SUSPENDED");
    CHECK(c.run("2024-01-20", "WEBANK", "partnership.suspend", json::Value{{"partnership_id", "P-WB-HR"}}).code == 4004);
    LoanSpec l;
    l.loan_id = "L-0002";
    l.channel_ref = "DISB-2";
    CHECK(c.run("2024-01-20", "WEBANK", "loan.originate", originate_body(l)).code == 4002);
    CHECK(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")).status ==
          TxStatus::kOk);
    // Usage tracked through the suspension: 560000 - 46667.
    CHECK((*query::get_partnership(c.state(), "P-WB-HR"))["used"] == "513333");
}

}  // namespace jc::contracts::test
