// Goal: what a transaction computes does not depend on whether the records it reads were written
// earlier in the same block or committed in an earlier one. A block that reads a loan (and its
// accounts and obligations) after writing it, several times, around rolled-back writes (a
// rejection, an atomic batch that fails after its first item wrote, a non-atomic batch), and
// that repays, writes off and recovers one loan, gives the same records and receipts as the same
// transactions executed one per block. Any per-block cache of typed records (ADR 0140) must keep
// this test green.
// Method: two chains from the same setup (the E2 loan with instalment #1 paid, plus a second
// loan) run the same signed transactions: chain A in one block, chain B one per block on the
// same date. The loan, account, obligation and borrower records and every receipt must be
// byte-equal (events and partnership records carry the height, which differs by design). Both
// chains run with T1-T8 on and the replay check (chain.h).
#include "chain.h"

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

json::Value item(const std::string& type, json::Value body) {
    return json::Value{{"type", type}, {"body", std::move(body)}};
}

struct Setup {
    Chain c{test_params()};
    Setup() {
        PartnershipSpec p;
        p.writeoff_preauth_dpd = 90;
        c.partnership(p);
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
        LoanSpec second;
        second.loan_id = "L-0002";
        second.borrower = std::string(64, 'b');
        second.channel_ref = "DISB-0002";
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(second)).status == TxStatus::kOk);
        REQUIRE(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"))
                    .status == TxStatus::kOk);
    }
};

std::map<std::string, std::string> records(const Chain& c) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : c.state().entries()) {
        for (const char* prefix : {"ln/", "ac/", "ob/", "bw/"}) {
            if (k.rfind(prefix, 0) == 0) {
                out.emplace(k, v);
            }
        }
    }
    return out;
}

}  // namespace

TEST_CASE("a block touching one loan many times equals the same transactions one per block",
          "[contracts][same_block]") {
    Setup a;
    Setup b;
    const std::string date = "2024-06-20";
    // Built once on chain A's keys (both chains share genesis keys): the same signed bytes run
    // on both chains.
    std::vector<std::shared_ptr<const ledger::Transaction>> txs = {
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-03-15", "10000", "PAY-2"), "R-2"),
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0002", "2024-02-15", "79067", "PAY-B1"), "R-B1"),
        // Rejected after reading the loan written just before: nothing of it stays.
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-03-16", "10000", "PAY-2"), "R-3"),
        // An atomic batch whose first item writes the loan and whose second fails: the loan's
        // buffered bytes roll back to the first repayment's while the memo holds the batch's.
        a.c.tx("WEBANK", "batch",
               json::Value{{"atomic", true},
                           {"items", json::Value::array({item("loan.repay", repay_body("L-0001", "2024-04-15",
                                                                                        "20000", "PAY-3")),
                                                         item("loan.repay", repay_body("L-9999", "2024-04-15",
                                                                                        "20000", "PAY-4"))})}},
               "R-4"),
        // A non-atomic batch: the first item stays, the second is rejected on its own.
        a.c.tx("WEBANK", "batch",
               json::Value{{"atomic", false},
                           {"items", json::Value::array({item("loan.repay", repay_body("L-0001", "2024-04-15",
                                                                                        "20000", "PAY-5")),
                                                         item("loan.repay", repay_body("L-0001", "2024-04-16",
                                                                                        "20000", "PAY-5"))})}},
               "R-5"),
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-05-15", "5000", "PAY-6"), "R-6"),
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0002", "2024-03-15", "70000", "PAY-B2"), "R-B2"),
        // Repay then write-off then recovery of the same loan in one block.
        a.c.tx("WEBANK", "loan.write_off", write_off_body("2024-06-15", "L-0001"), "R-7"),
        a.c.tx("WEBANK", "loan.recover",
               json::Value{{"loan_id", "L-0001"}, {"value_date", "2024-06-18"}, {"amount", "1000"},
                           {"channel_ref", "REC-1"}},
               "R-8"),
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-06-19", "1000", "PAY-7"), "R-9"),
    };
    const BlockOutput one = a.c.block(date, txs);
    std::vector<TxReceipt> each;
    for (const auto& tx : txs) {
        each.push_back(b.c.block(date, {tx}).receipts.at(0));
    }
    REQUIRE(one.receipts.size() == each.size());
    const std::vector<TxStatus> expected = {TxStatus::kOk, TxStatus::kOk,       TxStatus::kRejected, TxStatus::kRejected,
                                            TxStatus::kOk, TxStatus::kOk,       TxStatus::kOk,       TxStatus::kOk,
                                            TxStatus::kOk, TxStatus::kRejected};
    for (std::size_t i = 0; i < each.size(); ++i) {
        INFO("tx " << i << ": " << one.receipts[i].error << " " << one.receipts[i].detail);
        CHECK(one.receipts[i].status == expected[i]);
        CHECK(one.receipts[i].status == each[i].status);
        CHECK(one.receipts[i].code == each[i].code);
        CHECK(one.receipts[i].error == each[i].error);
        CHECK(one.receipts[i].detail == each[i].detail);
        CHECK(one.receipts[i].result == each[i].result);
    }
    CHECK(a.c.loan("L-0001").status == LoanStatus::kWrittenOff);
    CHECK(a.c.loan("L-0001").tranches[0].recovered + a.c.loan("L-0001").tranches[1].recovered == 1000);
    const auto ra = records(a.c);
    const auto rb = records(b.c);
    CHECK(ra.size() == rb.size());
    CHECK(ra == rb);
}

TEST_CASE("a repayment after a cycle close in the same block books in the new cycle", "[contracts][same_block]") {
    // ADR 0162: a repayment reads only cy/current while it names the block's starting cycle. A
    // settlement.close_cycle earlier in the block opens the next one, and the repayment after it
    // must carry (and oblige in) that cycle, exactly as when run in a block of its own.
    Setup a;
    Setup b;
    const std::string date = "2024-03-15";
    const std::string c1 = a.c.cycle_id();
    REQUIRE(c1 == b.c.cycle_id());
    std::vector<std::shared_ptr<const ledger::Transaction>> txs = {
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-03-15", "10000", "PAY-2"), "R-2"),
        a.c.tx("WEBANK", "settlement.close_cycle", json::Value{{"expected_cycle_id", c1}}, "R-C"),
        a.c.tx("WEBANK", "loan.repay", repay_body("L-0002", "2024-02-15", "79067", "PAY-B1"), "R-B1"),
    };
    const BlockOutput one = a.c.block(date, txs);
    std::vector<TxReceipt> each;
    for (const auto& tx : txs) {
        each.push_back(b.c.block(date, {tx}).receipts.at(0));
    }
    for (std::size_t i = 0; i < txs.size(); ++i) {
        INFO("tx " << i << ": " << one.receipts[i].error << " " << one.receipts[i].detail);
        REQUIRE(one.receipts[i].status == TxStatus::kOk);
        CHECK(one.receipts[i].result == each[i].result);
    }
    const std::string c2 = a.c.cycle_id();
    CHECK(c2 != c1);
    CHECK(c2 == b.c.cycle_id());
    const auto first = a.c.event("L-0001", a.c.loan("L-0001").event_seq);
    const auto second = a.c.event("L-0002", a.c.loan("L-0002").event_seq);
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    CHECK(first->cycle_id == c1);
    CHECK(second->cycle_id == c2);
    const auto ra = records(a.c);
    const auto rb = records(b.c);
    CHECK(ra == rb);
}

}  // namespace jc::contracts::test
