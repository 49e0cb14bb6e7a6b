// Goal: an accepted transaction names whom it concerns and through which record
// (TxReceipt::concerns, ADR 0179), which the node uses to tell each bank of every event in its
// sub-ledger: the two banks of a partnership, every funder of a loan, both sides of an
// instruction; the whole consortium for governance; nobody for a refusal, and nothing of a batch
// item that was refused.
// Method: a chain where WEBANK services loans with HUARUI and with BANKC; each case checks the
// exact list, so a missing or an extra bank or record fails.
#include "chain.h"

#include <catch2/catch.hpp>

#include <algorithm>

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

// Partnership `p`, and loan `loan_id` under it on 2024-01-15: the servicer 30 %, the partner 70 %.
void joint_loan(Chain& c, const PartnershipSpec& p, const std::string& loan_id, char borrower) {
    c.partnership(p);
    LoanSpec l;
    l.loan_id = loan_id;
    l.channel_ref = "DISB-" + loan_id;
    l.borrower = std::string(64, borrower);
    l.tranches = {{p.servicer, 3000, ""}, {p.partner, 7000, p.id}};
    must_ok(c.run("2024-01-15", p.servicer, "loan.originate", originate_body(l)));
}

// WEBANK services L-0001 with HUARUI (P-WB-HR) and L-C with BANKC (P-WB-BC).
struct TwoPartners {
    Chain c{test_params()};
    TwoPartners() {
        joint_loan(c, PartnershipSpec{}, "L-0001", 'a');
        PartnershipSpec bc;
        bc.id = "P-WB-BC";
        bc.partner = "BANKC";
        joint_loan(c, bc, "L-C", 'c');
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
    // The accepted repayment after it in the same block must not inherit BANKC.
    const auto out = t.c.block("2024-02-16", {t.c.tx("WEBANK", "loan.repay", repay_body("L-C", "2024-02-01", "100", "PAY-C2")),
                                              t.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-02-16", "100000", "PAY-1"))});
    REQUIRE(out.receipts[0].status == TxStatus::kRejected);
    CHECK(out.receipts[0].concerns.empty());
    must_ok(out.receipts[1]);
    CHECK(banks(out.receipts[1]) == Banks{"HUARUI", "WEBANK"});

    const json::Value batch{{"atomic", false},
                            {"items", {json::Value{{"type", "loan.repay"}, {"body", repay_body("L-C", "2024-02-01", "100", "PAY-C3")}},
                                       json::Value{{"type", "loan.repay"},
                                                   {"body", repay_body("L-0001", "2024-02-17", "100000", "PAY-2")}}}}};
    const auto mixed = must_ok(t.c.run("2024-02-17", "WEBANK", "batch", batch));
    REQUIRE(mixed.result_json()["items"][0]["status"] == "REJECTED");
    REQUIRE(mixed.result_json()["items"][1]["status"] == "OK");
    CHECK(banks(mixed) == Banks{"HUARUI", "WEBANK"});
}

TEST_CASE("closing a cycle concerns every bank with an obligation in it and both sides of every instruction",
          "[contracts][parties]") {
    TwoPartners t;
    // The test params have no cutoffs: both originations sit in the one open cycle, so its close
    // makes an instruction between WEBANK and each partner.
    const std::string c1 = t.c.cycle_id();
    const auto first = must_ok(t.c.run("2024-01-16", "WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", c1}}));
    CHECK(banks(first) == Banks{"BANKC", "HUARUI", "WEBANK"});
    CHECK(std::count(first.concerns.begin(), first.concerns.end(), Concern{"BANKC", Record::kCycle, c1}) == 1);
    // The next cycle holds only L-0001's repayment: WEBANK owes HUARUI, and BANKC is not told.
    must_ok(t.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "100000", "PAY-1")));
    const std::string c2 = t.c.cycle_id();
    const auto second = must_ok(t.c.run("2024-02-15", "WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", c2}}));
    const std::string id = second.result_json()["instructions"][0]["instruction_id"].get<std::string>();
    CHECK(second.concerns == std::vector<Concern>{{"HUARUI", Record::kInstruction, id},
                                                  {"HUARUI", Record::kCycle, c2},
                                                  {"WEBANK", Record::kInstruction, id},
                                                  {"WEBANK", Record::kCycle, c2}});
}

TEST_CASE("a close at a zero net still concerns both banks", "[contracts][parties]") {
    // WEBANK and HUARUI each front a loan the other funds 70 % of: each owes the other 560000
    // FUNDING, the pair nets to zero and the close makes no instruction; both reports change.
    Chain c(test_params());
    joint_loan(c, PartnershipSpec{}, "L-0001", 'a');
    PartnershipSpec back;
    back.id = "P-HR-WB";
    back.servicer = "HUARUI";
    back.partner = "WEBANK";
    joint_loan(c, back, "L-HR", 'b');
    const std::string cycle = c.cycle_id();
    const auto closed = must_ok(c.run("2024-01-15", "BANKC", "settlement.close_cycle", json::Value{{"expected_cycle_id", cycle}}));
    REQUIRE(closed.result_json()["instructions"].empty());
    CHECK(closed.concerns == std::vector<Concern>{{"HUARUI", Record::kCycle, cycle}, {"WEBANK", Record::kCycle, cycle}});
}

TEST_CASE("a close at the cutoff concerns its banks through the block's prologue", "[contracts][parties]") {
    Params p = test_params();
    p.cycle_cutoffs_minutes = {16 * 60};
    Chain c(p);
    c.partnership(PartnershipSpec{});
    must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})));
    const std::string cycle = c.cycle_id();
    // The next day's first block closes it (the 16:00 cutoff passed) before any transaction.
    const auto out = c.block("2024-01-16", {});
    REQUIRE(c.cycle_id() != cycle);
    // HUARUI owes WEBANK its 70 % of the fronted principal.
    const std::string instruction = "SI-" + cycle + "-HUARUI-WEBANK";
    CHECK(out.prologue_concerns == std::vector<Concern>{{"HUARUI", Record::kInstruction, instruction},
                                                        {"HUARUI", Record::kCycle, cycle},
                                                        {"WEBANK", Record::kInstruction, instruction},
                                                        {"WEBANK", Record::kCycle, cycle}});
}

TEST_CASE("governance concerns every member", "[contracts][parties]") {
    Chain c(test_params());
    const auto proposed = must_ok(c.run("2024-03-01", "WEBANK", "governance.set_params",
                                        json::Value{{"proposal_id", "GP-1"}, {"rounding_mode", "HALF_EVEN"}}));
    CHECK(proposed.concerns == std::vector<Concern>{{"", Record::kProposal, "GP-1"}});
}

}  // namespace jc::contracts::test
