// Goal: an accepted transaction names whom it concerns and through which record
// (TxReceipt::concerns, ADR 0179), which the node uses to tell each bank of every event in its
// sub-ledger: the two banks of a partnership, every funder of a loan, both sides of an
// instruction; the whole consortium for governance; nobody for a refusal, and nothing of a batch
// item that was refused.
// Method: a chain where WEBANK services loans with HUARUI and with BANKC; each case checks the
// exact list, so a missing or an extra bank or record fails.
#include "chain.h"

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

using Banks = std::vector<std::string>;
using Record = Concern::Record;

// The distinct banks a receipt names ("" for every member), sorted.
Banks banks(const TxReceipt& r) {
    Banks out;
    for (const Concern& c : r.concerns) {
        if (out.empty() || out.back() != c.bank) {
            out.push_back(c.bank);
        }
    }
    return out;
}

struct TwoPartners {
    Chain c{test_params()};
    TwoPartners() {
        c.partnership(PartnershipSpec{});
        PartnershipSpec bc;
        bc.id = "P-WB-BC";
        bc.partner = "BANKC";
        c.partnership(bc);
        must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
        LoanSpec l;
        l.loan_id = "L-C";
        l.channel_ref = "DISB-C";
        l.borrower = std::string(64, 'c');
        l.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC"}};
        must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)));
    }
};

}  // namespace

TEST_CASE("a partnership concerns its two banks", "[contracts][parties]") {
    Chain c(test_params());
    const auto proposed = must_ok(c.run("2024-01-01", "WEBANK", "partnership.propose", partnership_body(PartnershipSpec{})));
    CHECK(proposed.concerns == std::vector<Concern>{{"HUARUI", Record::kPartnership, "P-WB-HR"},
                                                    {"WEBANK", Record::kPartnership, "P-WB-HR"}});
    const auto accepted = must_ok(c.run("2024-01-01", "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}}));
    CHECK(banks(accepted) == Banks{"HUARUI", "WEBANK"});
}

TEST_CASE("a loan's events concern its funders and no other bank", "[contracts][parties]") {
    TwoPartners t;
    const auto repaid = must_ok(t.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-C", "2024-02-15", "100000", "PAY-C1")));
    // The loan, and the partnership whose utilisation the principal repaid lowers.
    CHECK(repaid.concerns == std::vector<Concern>{{"BANKC", Record::kLoan, "L-C"},
                                                  {"BANKC", Record::kPartnership, "P-WB-BC"},
                                                  {"WEBANK", Record::kLoan, "L-C"},
                                                  {"WEBANK", Record::kPartnership, "P-WB-BC"}});

}

TEST_CASE("a loan proposal concerns the bank asked to fund it", "[contracts][parties]") {
    Chain c(test_params());
    PartnershipSpec asks;
    asks.require_acceptance = true;
    c.partnership(asks);
    // Nothing is posted until the partner accepts: the proposal alone must reach HUARUI.
    const auto proposed = must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(LoanSpec{})));
    CHECK(banks(proposed) == Banks{"HUARUI", "WEBANK"});
}

TEST_CASE("a refusal concerns nobody; a refused batch item leaves no party behind", "[contracts][parties]") {
    TwoPartners t;
    must_ok(t.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-C", "2024-02-15", "100000", "PAY-C1")));
    // Dated before L-C's last event: refused after the loan (and its funder BANKC) was read.
    const json::Value stale = repay_body("L-C", "2024-02-01", "100", "PAY-C2");
    const auto refused = t.c.run("2024-02-16", "WEBANK", "loan.repay", stale);
    REQUIRE(refused.status == TxStatus::kRejected);
    CHECK(refused.concerns.empty());

    const json::Value batch{{"atomic", false},
                            {"items", {json::Value{{"type", "loan.repay"}, {"body", repay_body("L-C", "2024-02-01", "100", "PAY-C3")}},
                                       json::Value{{"type", "loan.repay"},
                                                   {"body", repay_body("L-0001", "2024-02-16", "100000", "PAY-1")}}}}};
    const auto mixed = must_ok(t.c.run("2024-02-16", "WEBANK", "batch", batch));
    REQUIRE(mixed.result_json()["items"][0]["status"] == "REJECTED");
    REQUIRE(mixed.result_json()["items"][1]["status"] == "OK");
    CHECK(banks(mixed) == Banks{"HUARUI", "WEBANK"});
}

TEST_CASE("closing a cycle concerns both sides of every instruction", "[contracts][parties]") {
    TwoPartners t;
    // The test params have no cutoffs: both originations sit in the one open cycle, so its close
    // makes an instruction between WEBANK and each partner.
    const auto first = must_ok(t.c.run("2024-01-16", "WEBANK", "settlement.close_cycle",
                                       json::Value{{"expected_cycle_id", t.c.cycle_id()}}));
    CHECK(banks(first) == Banks{"BANKC", "HUARUI", "WEBANK"});
    // The next cycle holds only L-0001's repayment: WEBANK owes HUARUI, and BANKC is not told.
    must_ok(t.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "100000", "PAY-1")));
    const auto second = must_ok(t.c.run("2024-02-15", "WEBANK", "settlement.close_cycle",
                                        json::Value{{"expected_cycle_id", t.c.cycle_id()}}));
    const std::string id = second.result_json()["instructions"][0]["instruction_id"].get<std::string>();
    CHECK(second.concerns == std::vector<Concern>{{"HUARUI", Record::kInstruction, id},
                                                  {"WEBANK", Record::kInstruction, id}});
}

TEST_CASE("governance concerns every member", "[contracts][parties]") {
    Chain c(test_params());
    const auto proposed = must_ok(c.run("2024-03-01", "WEBANK", "governance.set_params",
                                        json::Value{{"proposal_id", "GP-1"}, {"rounding_mode", "HALF_EVEN"}}));
    CHECK(proposed.concerns == std::vector<Concern>{{"", Record::kProposal, "GP-1"}});
}

}  // namespace jc::contracts::test
