// Goal: a bank's bank_events notification (bank_event, ADR 0179) reaches exactly the banks a
// transaction is for, and tells a bank that did not send it nothing it could not read anyway.
// Method: one signed WEBANK transaction with a receipt whose result and detail are set, and
// concerns naming HUARUI's loan, BANKC's instruction and every member's proposal; each bank's
// notification is checked field by field. Then a block prologue's concerns.
#include "bank_event.h"

#include "node_test_txs.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace jc;
using contracts::Concern;
using json::Value;

namespace {

ledger::Receipt receipt_of(const ledger::Transaction& tx, ledger::ReceiptStatus status) {
    ledger::Receipt r;
    r.tx_hash = tx.hash();
    r.height = 7;
    r.index = 2;
    r.status = status;
    if (status == ledger::ReceiptStatus::kRejected) {
        r.code = 5003;
        r.error = "ERR_VALUE_DATE_BEFORE_LAST_EVENT";
        r.detail = R"({"loan_id":"L-1"})";
    } else {
        r.result = R"({"loan_id":"L-1","tranches":[{"bank_id":"BANKC"},{"bank_id":"HUARUI"}]})";
    }
    REQUIRE(r.validate().ok());
    return r;
}

}  // namespace

TEST_CASE("the sender hears of its own transactions in full, refusals included", "[node][bank_event]") {
    const auto tx = node::test::signed_txs(1)[0];  // sent by WEBANK
    const auto refused = receipt_of(*tx, ledger::ReceiptStatus::kRejected);
    const auto event = node::bank_event("WEBANK", *tx, refused, {});
    REQUIRE(event);
    CHECK((*event)["status"] == "REJECTED");
    CHECK((*event)["code"] == 5003);
    CHECK((*event)["detail"] == Value{{"loan_id", "L-1"}});
    CHECK((*event)["sender"] == "WEBANK");
    CHECK((*event)["type"] == "loan.repay");
    CHECK((*event)["concerns"] == Value::array());
    CHECK((*event)["tx_hash"] == tx->hash().hex());
    // Nobody else hears of a refusal, whatever concerns come with it.
    const std::vector<Concern> loan{{"HUARUI", Concern::Record::kLoan, "L-1"}};
    CHECK_FALSE(node::bank_event("HUARUI", *tx, refused, loan));
}

TEST_CASE("a bank a transaction concerns hears of it, without what it may not read", "[node][bank_event]") {
    const auto tx = node::test::signed_txs(1)[0];
    const auto ok = receipt_of(*tx, ledger::ReceiptStatus::kOk);
    const std::vector<Concern> concerns{{"", Concern::Record::kProposal, "GP-1"},
                                        {"BANKC", Concern::Record::kInstruction, "I-1"},
                                        {"HUARUI", Concern::Record::kLoan, "L-1"},
                                        {"HUARUI", Concern::Record::kPartnership, "P-1"},
                                        {"WEBANK", Concern::Record::kLoan, "L-1"}};

    const auto huarui = node::bank_event("HUARUI", *tx, ok, concerns);
    REQUIRE(huarui);
    CHECK_FALSE(huarui->contains("result"));
    CHECK_FALSE(huarui->contains("detail"));
    CHECK((*huarui)["status"] == "OK");
    CHECK((*huarui)["height"] == 7);
    CHECK((*huarui)["index"] == 2);
    CHECK((*huarui)["sender"] == "WEBANK");
    CHECK((*huarui)["concerns"] ==
          Value::array({Value{{"proposal_id", "GP-1"}}, Value{{"loan_id", "L-1"}}, Value{{"partnership_id", "P-1"}}}));

    const auto bankc = node::bank_event("BANKC", *tx, ok, concerns);
    REQUIRE(bankc);
    CHECK((*bankc)["concerns"] == Value::array({Value{{"proposal_id", "GP-1"}}, Value{{"instruction_id", "I-1"}}}));

    // The sender's own: the whole receipt, and its own concerns.
    const auto webank = node::bank_event("WEBANK", *tx, ok, concerns);
    REQUIRE(webank);
    CHECK((*webank)["result"]["loan_id"] == "L-1");
    CHECK((*webank)["concerns"] == Value::array({Value{{"proposal_id", "GP-1"}}, Value{{"loan_id", "L-1"}}}));

    // A bank named nowhere hears nothing of a transaction that is not governance.
    const std::vector<Concern> loan_only(concerns.begin() + 1, concerns.end());
    CHECK_FALSE(node::bank_event("REGUL", *tx, ok, loan_only));
    CHECK(node::bank_event("REGUL", *tx, ok, concerns));
}

TEST_CASE("a block's prologue is told to the banks it concerns", "[node][bank_event]") {
    const std::vector<Concern> concerns{{"HUARUI", Concern::Record::kCycle, "20240115-01"},
                                        {"HUARUI", Concern::Record::kInstruction, "SI-20240115-01-HUARUI-WEBANK"},
                                        {"WEBANK", Concern::Record::kCycle, "20240115-01"}};
    const auto huarui = node::bank_prologue_event("HUARUI", 9, concerns);
    REQUIRE(huarui);
    CHECK(*huarui == Value{{"concerns", Value::array({Value{{"cycle_id", "20240115-01"}},
                                                      Value{{"instruction_id", "SI-20240115-01-HUARUI-WEBANK"}}})},
                           {"height", 9},
                           {"type", "block.prologue"}});
    CHECK_FALSE(node::bank_prologue_event("BANKC", 9, concerns));
    CHECK_FALSE(node::bank_prologue_event("HUARUI", 9, {}));
}
