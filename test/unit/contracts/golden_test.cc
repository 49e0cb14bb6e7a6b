// Goal: DOMAIN.md D's worked examples E1, E2, E3a, E3b and E8 hold exactly through the engine:
// every row's allocation, every posting and position stated, to the fen.
// Method: a test chain (genesis WEBANK / HUARUI / BANKC, T1-T8 checked after every transaction,
// every block replayed twice) originates the example loans and pays each instalment on its due
// date; receipts, journal events, accounts and obligations are compared with the tables.
#include "chain.h"

#include <jc/contracts/arith/date.h>

#include <catch2/catch.hpp>

#include <utility>

namespace jc::contracts::test {
namespace {

struct Row {
    const char* due;
    std::int64_t days, out_before, principal, interest, total, wb_pr, wb_in, hr_pr, hr_in;
    std::int64_t fee, wb_owes_hr;
};

// E2: 30/70, no fee. Columns as in DOMAIN.md; fee 0.
const Row kE2[12] = {
    {"2024-02-15", 31, 800000, 66667, 12400, 79067, 20000, 3720, 46667, 8680, 0, 55347},
    {"2024-03-15", 29, 733333, 66667, 10633, 77300, 20000, 3190, 46667, 7443, 0, 54110},
    {"2024-04-15", 31, 666666, 66667, 10333, 77000, 20000, 3100, 46667, 7233, 0, 53900},
    {"2024-05-15", 30, 599999, 66667, 9000, 75667, 20000, 2700, 46667, 6300, 0, 52967},
    {"2024-06-15", 31, 533332, 66667, 8267, 74934, 20000, 2480, 46667, 5787, 0, 52454},
    {"2024-07-15", 30, 466665, 66667, 7000, 73667, 20000, 2100, 46667, 4900, 0, 51567},
    {"2024-08-15", 31, 399998, 66667, 6200, 72867, 20000, 1860, 46667, 4340, 0, 51007},
    {"2024-09-15", 31, 333331, 66667, 5167, 71834, 20000, 1550, 46667, 3617, 0, 50284},
    {"2024-10-15", 30, 266664, 66666, 4000, 70666, 20000, 1200, 46666, 2800, 0, 49466},
    {"2024-11-15", 31, 199998, 66666, 3100, 69766, 20000, 930, 46666, 2170, 0, 48836},
    {"2024-12-15", 30, 133332, 66666, 2000, 68666, 20000, 600, 46666, 1400, 0, 48066},
    {"2025-01-15", 31, 66666, 66666, 1033, 67699, 20000, 310, 46666, 723, 0, 47389},
};

// E3b: 20/80 with a 12.5 % fee.
const Row kE3b[12] = {
    {"2024-02-15", 31, 800000, 66667, 12400, 79067, 13333, 2480, 53334, 9920, 1240, 62014},
    {"2024-03-15", 29, 733333, 66667, 10633, 77300, 13333, 2127, 53334, 8506, 1063, 60777},
    {"2024-04-15", 31, 666666, 66667, 10333, 77000, 13333, 2067, 53334, 8266, 1034, 60566},
    {"2024-05-15", 30, 599999, 66667, 9000, 75667, 13334, 1800, 53333, 7200, 900, 59633},
    {"2024-06-15", 31, 533332, 66667, 8267, 74934, 13333, 1653, 53334, 6614, 826, 59122},
    {"2024-07-15", 30, 466665, 66667, 7000, 73667, 13334, 1400, 53333, 5600, 700, 58233},
    {"2024-08-15", 31, 399998, 66667, 6200, 72867, 13333, 1240, 53334, 4960, 620, 57674},
    {"2024-09-15", 31, 333331, 66667, 5167, 71834, 13334, 1033, 53333, 4134, 517, 56950},
    {"2024-10-15", 30, 266664, 66666, 4000, 70666, 13333, 800, 53333, 3200, 400, 56133},
    {"2024-11-15", 31, 199998, 66666, 3100, 69766, 13333, 620, 53333, 2480, 310, 55503},
    {"2024-12-15", 30, 133332, 66666, 2000, 68666, 13333, 400, 53333, 1600, 200, 54733},
    {"2025-01-15", 31, 66666, 66666, 1033, 67699, 13334, 207, 53332, 826, 103, 54055},
};

// Pays the 12 instalments on their due dates and checks each row.
void pay_rows(Chain& c, const Row (&rows)[12], const std::string& loan_id) {
    std::int64_t owes_sum = 0;
    for (int k = 0; k < 12; ++k) {
        const Row& r = rows[k];
        INFO("instalment " << (k + 1));
        const auto receipt = c.run(r.due, "WEBANK", "loan.repay",
                                   repay_body(loan_id, r.due, std::to_string(r.total), "PAY-" + loan_id + "-" + std::to_string(k + 1)));
        REQUIRE(receipt.status == TxStatus::kOk);
        const json::Value res = receipt.result_json();
        CHECK(res["accrual"]["days"] == r.days);
        CHECK(amt(res["allocation"]["principal_due"]) == r.principal);
        CHECK(amt(res["allocation"]["principal_prepaid"]) == 0);
        CHECK(amt(res["allocation"]["interest"]) == r.interest);
        CHECK(amt(res["allocation"]["penalty"]) == 0);
        CHECK(amt(res["amount"]) == r.total);
        const json::Value& wb = res["tranches"][0];
        const json::Value& hr = res["tranches"][1];
        CHECK(wb["bank_id"] == "WEBANK");
        CHECK(amt(wb["principal"]) == r.wb_pr);
        CHECK(amt(wb["interest"]) == r.wb_in);
        CHECK(amt(hr["principal"]) == r.hr_pr);
        CHECK(amt(hr["interest"]) == r.hr_in);
        CHECK(amt(hr["fee"]) == r.fee);
        CHECK(amt(hr["servicer_owes"]) == r.wb_owes_hr);
        // The obligations the event created for the open cycle.
        const auto ev = c.event(loan_id, static_cast<std::uint32_t>(k + 2));
        REQUIRE(ev.has_value());
        CHECK(ev->principal_out_before == r.out_before);
        CHECK(ev->principal_out_after == r.out_before - r.principal);
        std::int64_t wb_to_hr = 0;
        std::int64_t hr_to_wb = 0;
        for (const auto& o : ev->obligations) {
            if (o.debtor == "WEBANK") {
                wb_to_hr += o.amount;
            } else {
                hr_to_wb += o.amount;
                CHECK(o.category == Category::kServiceFee);
            }
        }
        CHECK(wb_to_hr == r.hr_pr + r.hr_in);
        CHECK(hr_to_wb == r.fee);
        owes_sum += r.wb_owes_hr;
    }
    const Loan loan = c.loan(loan_id);
    CHECK(loan.status == LoanStatus::kPaidOff);
    for (const auto& t : loan.tranches) {
        CHECK(t.principal_out == 0);
        CHECK(t.interest_unpaid == 0);
        CHECK(t.penalty_unpaid == 0);
    }
    CHECK(owes_sum == (rows[0].fee == 0 ? 615393 : 695393));
}

Chain e2_chain(int wb_share, int fee_bps, int min_share, Params params = test_params()) {
    Chain c(std::move(params));
    PartnershipSpec p;
    p.min_share_bps = min_share;
    p.fee_bps = fee_bps;
    c.partnership(p);
    LoanSpec l;
    l.tranches = {{"WEBANK", wb_share, ""}, {"HUARUI", 10000 - wb_share, "P-WB-HR"}};
    const auto r = c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l), "WB-ORIG-20240115-000001");
    REQUIRE(r.status == TxStatus::kOk);
    return c;
}

}  // namespace

TEST_CASE("E1: origination split, postings, position and obligation", "[contracts][golden][E1]") {
    Chain c = e2_chain(3000, 0, 3000);
    const Loan loan = c.loan("L-0001");
    REQUIRE(loan.tranches.size() == 2);
    CHECK(loan.tranches[0].principal_orig == 240000);
    CHECK(loan.tranches[1].principal_orig == 560000);
    // 12 instalments: split_evenly(800000, 12) = 8 x 66667 then 4 x 66666, due on the 15th.
    REQUIRE(loan.installments.size() == 12);
    for (std::size_t k = 0; k < 12; ++k) {
        CHECK(loan.installments[k].principal_due == (k < 8 ? 66667 : 66666));
    }
    CHECK(arith::format_date(loan.installments[0].due_date) == "2024-02-15");
    CHECK(arith::format_date(loan.installments[11].due_date) == "2025-01-15");
    // WB: Dr LOAN_PRINCIPAL 240000, Dr INTERBANK[HR] 560000, Cr BORROWER_CLEARING 800000.
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).debits_posted == 240000);
    CHECK(c.account("WEBANK", AccountCode::kInterbank, "HUARUI").debits_posted == 560000);
    CHECK(c.account("WEBANK", AccountCode::kBorrowerClearing).credits_posted == 800000);
    CHECK(c.account("WEBANK", AccountCode::kBorrowerClearing).debits_posted == 0);
    // HR: Dr LOAN_PRINCIPAL 560000, Cr INTERBANK[WB] 560000.
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).debits_posted == 560000);
    CHECK(c.account("HUARUI", AccountCode::kInterbank, "WEBANK").credits_posted == 560000);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    const auto funding = c.obligation("HUARUI", "WEBANK", Category::kFunding);
    CHECK(funding.amount == 560000);
    CHECK(funding.count == 1);
    const auto ev = c.event("L-0001", 1);
    REQUIRE(ev.has_value());
    CHECK(ev->postings.size() == 3);
}

TEST_CASE("E1: validation codes under min_tranche_share_bps 3000", "[contracts][golden][E1]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    auto attempt = [&](LoanSpec l) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l));
        CHECK(r.status == TxStatus::kRejected);
        CHECK(c.state().entries().size() == before.size());
        return r;
    };
    LoanSpec l;
    l.tranches = {{"WEBANK", 2000, ""}, {"HUARUI", 8000, "P-WB-HR"}};
    auto r = attempt(l);
    CHECK(r.code == 4103);
    CHECK(r.error == "ERR_TRANCHE_SHARE_BELOW_MIN");
    l.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 6999, "P-WB-HR"}};
    r = attempt(l);
    CHECK(r.code == 4102);
    CHECK(r.error == "ERR_SHARES_NOT_100");
    l = LoanSpec{};
    l.principal = "11";
    r = attempt(l);
    CHECK(r.code == 4301);
    CHECK(r.error == "ERR_SCHEDULE_INVALID");
    l = LoanSpec{};
    l.principal = "1";
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    r = attempt(l);
    CHECK(r.code == 4106);
    CHECK(r.error == "ERR_ZERO_TRANCHE");
    // 4106 takes precedence over 4301 (P = 1 < n = 12 as well).
    l.schedule = LoanSpec{}.schedule;
    r = attempt(l);
    CHECK(r.code == 4106);
}

TEST_CASE("E2: 12 instalments at 30/70 paid on their due dates, every row", "[contracts][golden][E2]") {
    Chain c = e2_chain(3000, 0, 3000);
    // Postings for #1 and the position afterwards.
    const auto r1 = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"));
    REQUIRE(r1.status == TxStatus::kOk);
    CHECK(c.account("WEBANK", AccountCode::kBorrowerClearing).debits_posted == 79067);
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).credits_posted == 20000);
    CHECK(c.account("WEBANK", AccountCode::kInterestIncome).credits_posted == 3720);
    CHECK(c.account("WEBANK", AccountCode::kInterbank, "HUARUI").credits_posted == 55347);
    CHECK(c.account("HUARUI", AccountCode::kInterbank, "WEBANK").debits_posted == 55347);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).credits_posted == 46667);
    CHECK(c.account("HUARUI", AccountCode::kInterestIncome).credits_posted == 8680);
    CHECK(c.pos("WEBANK", "HUARUI") == -504653);
    const auto ev = c.event("L-0001", 2);
    REQUIRE(ev.has_value());
    // WB: Dr BORROWER_CLEARING 79067 split into three credits; HR: Dr INTERBANK[WB] 55347 split in two.
    REQUIRE(ev->postings.size() == 5);
    CHECK(ev->postings[0] == Posting{"WEBANK", AccountCode::kBorrowerClearing, "", AccountCode::kLoanPrincipal, "", 20000});
    CHECK(ev->postings[1] == Posting{"WEBANK", AccountCode::kBorrowerClearing, "", AccountCode::kInterestIncome, "", 3720});
    CHECK(ev->postings[2] == Posting{"WEBANK", AccountCode::kBorrowerClearing, "", AccountCode::kInterbank, "HUARUI", 55347});
    CHECK(ev->postings[3] == Posting{"HUARUI", AccountCode::kInterbank, "WEBANK", AccountCode::kLoanPrincipal, "", 46667});
    CHECK(ev->postings[4] == Posting{"HUARUI", AccountCode::kInterbank, "WEBANK", AccountCode::kInterestIncome, "", 8680});
}

TEST_CASE("E2: every row of the table and the lifetime sums", "[contracts][golden][E2]") {
    Chain c = e2_chain(3000, 0, 3000);
    pay_rows(c, kE2, "L-0001");
    // Cross-build determinism: this history's state root is pinned, so a GCC and a Clang build
    // (and any other node) must produce byte-identical writes. A deliberate change to the record
    // format or the key layout changes this value (and needs a migration note).
    // Record version 2 (ADR 0175); the version-1 root of the same history is pinned below.
    CHECK(c.state_root().hex() == "5c2512f15bcbe836bd02b32217d7f9e6ad06248eb2f053b11d0145dba2f50cf4");
    CHECK(c.account("WEBANK", AccountCode::kInterestIncome).credits_posted == 23740);
    CHECK(c.account("HUARUI", AccountCode::kInterestIncome).credits_posted == 55393);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000 + 615393);
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).net_debit() == 0);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).net_debit() == 0);
}

TEST_CASE("E2 on a version-1 chain, and on one that moves to version 2 halfway", "[contracts][golden][E2]") {
    Params v1 = test_params();
    v1.record_version = RecordVersion::kFixed64;
    SECTION("version 1 throughout: the state root every build before ADR 0175 produced") {
        Chain c = e2_chain(3000, 0, 3000, v1);
        pay_rows(c, kE2, "L-0001");
        CHECK(c.state_root().hex() == "9413bd59cd01c6f74dc04312092e6b0e29be566a4b919d787b36d3e178971ea6");
    }
    SECTION("governance raises the version: the same numbers; old records stay readable until rewritten") {
        Chain c = e2_chain(3000, 0, 3000, v1);
        const json::Value raise{{"proposal_id", "GP-RV2"}, {"record_version", 2}};
        REQUIRE(c.run("2024-01-16", "WEBANK", "governance.set_params", raise).status == TxStatus::kOk);
        const auto executed = c.run("2024-01-16", "HUARUI", "governance.approve",
                                    json::Value{{"proposal_id", "GP-RV2"},
                                                {"action_digest", action_digest("governance.set_params", raise)}});
        REQUIRE(executed.status == TxStatus::kOk);
        CHECK(executed.result_json()["executed"]["params"]["record_version"] == 2);
        auto version_of = [&](const std::string& key) {
            const auto raw = c.state().get(key).value();
            REQUIRE(raw.has_value());
            return static_cast<RecordVersion>((*raw)[0]);
        };
        // The executing block wrote the params record in the new version and everything else in
        // the old one: the change applies from the next block.
        CHECK(version_of(keys::params()) == RecordVersion::kVarint64);
        CHECK(version_of(keys::loan("L-0001")) == RecordVersion::kFixed64);
        pay_rows(c, kE2, "L-0001");
        CHECK(version_of(keys::loan("L-0001")) == RecordVersion::kVarint64);       // rewritten
        CHECK(version_of(keys::event("L-0001", 2)) == RecordVersion::kVarint64);   // new
        CHECK(version_of(keys::event("L-0001", 1)) == RecordVersion::kFixed64);    // untouched since
        CHECK(version_of(keys::member("BANKC")) == RecordVersion::kFixed64);
        CHECK(c.state_root().hex() == "1b3cb20c52ee809799e681e53e0c645ff638f8342ab477a55b6d66f2ecd88600");
        // The version never goes back (6007), at proposal time already.
        expect_rejected(c, 6007, "WEBANK", "governance.set_params",
                        json::Value{{"proposal_id", "GP-RV1"}, {"record_version", 1}}, "2025-01-16");
        expect_rejected(c, 1001, "WEBANK", "governance.set_params",
                        json::Value{{"proposal_id", "GP-RV3"}, {"record_version", 3}}, "2025-01-16");
    }
}

TEST_CASE("E2: the same numbers under ACT/360 at 18 % and ACT/365F at 18.25 %", "[contracts][golden][E2]") {
    for (const auto& [basis, rate] : {std::pair{"ACT/360", "180000000"}, std::pair{"ACT/365F", "182500000"}}) {
        INFO(basis);
        Chain c(test_params());
        c.partnership(PartnershipSpec{});
        LoanSpec l;
        l.basis = basis;
        l.rate = rate;
        l.penalty_rate = "270000000";
        l.product = "OTHER";  // default terms: no rate cap
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
        pay_rows(c, kE2, "L-0001");
    }
}

TEST_CASE("E3a: bullet payoff at 20/80 with a 12.5 % fee", "[contracts][golden][E3]") {
    Chain c(test_params());
    PartnershipSpec p;
    p.min_share_bps = 2000;
    p.fee_bps = 1250;
    c.partnership(p);
    LoanSpec l;
    l.loan_id = "L-0002";
    l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    l.tranches = {{"WEBANK", 2000, ""}, {"HUARUI", 8000, "P-WB-HR"}};
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    CHECK(c.loan("L-0002").tranches[0].principal_orig == 160000);
    CHECK(c.loan("L-0002").tranches[1].principal_orig == 640000);
    // The quote runs the repayment's code path: 812400.
    const auto quote = query::quote_payoff(c.state(), "L-0002", day("2024-02-15"));
    REQUIRE(quote.ok());
    CHECK((*quote)["payoff_amount"] == "812400");
    const Account bc_before = c.account("WEBANK", AccountCode::kBorrowerClearing);
    const Account ib_before = c.account("WEBANK", AccountCode::kInterbank, "HUARUI");
    const auto r = c.run("2024-02-15", "WEBANK", "loan.repay",
                         repay_body("L-0002", "2024-02-15", "812400", "PAY-L2", "PAYOFF"));
    REQUIRE(r.status == TxStatus::kOk);
    const json::Value wb = r.result_json()["tranches"][0];
    const json::Value hr = r.result_json()["tranches"][1];
    CHECK(amt(wb["principal"]) == 160000);
    CHECK(amt(wb["interest"]) == 2480);
    CHECK(amt(hr["principal"]) == 640000);
    CHECK(amt(hr["interest"]) == 9920);
    CHECK(amt(hr["fee"]) == 1240);
    CHECK(amt(hr["servicer_owes"]) == 648680);
    CHECK(r.result_json()["status"] == "PAID_OFF");
    // Quote and repayment agree tranche by tranche.
    CHECK((*quote)["tranches"][1]["servicer_owes"] == "648680");
    CHECK((*quote)["tranches"][1]["fee"] == "1240");
    // Postings: WB Dr BC 812400 / Cr LP 160000 / Cr II 2480 / Cr IB[HR] 648680 / Cr SFI 1240.
    CHECK(c.account("WEBANK", AccountCode::kBorrowerClearing).debits_posted - bc_before.debits_posted == 812400);
    CHECK(c.account("WEBANK", AccountCode::kLoanPrincipal).credits_posted == 160000);
    CHECK(c.account("WEBANK", AccountCode::kInterestIncome).credits_posted == 2480);
    CHECK(c.account("WEBANK", AccountCode::kInterbank, "HUARUI").credits_posted - ib_before.credits_posted == 648680);
    CHECK(c.account("WEBANK", AccountCode::kServiceFeeIncome).credits_posted == 1240);
    // HR: Dr IB[WB] 648680 / Dr SFE 1240 / Cr LP 640000 / Cr II 9920.
    CHECK(c.account("HUARUI", AccountCode::kInterbank, "WEBANK").debits_posted == 648680);
    CHECK(c.account("HUARUI", AccountCode::kServiceFeeExpense).debits_posted == 1240);
    CHECK(c.account("HUARUI", AccountCode::kLoanPrincipal).credits_posted == 640000);
    CHECK(c.account("HUARUI", AccountCode::kInterestIncome).credits_posted == 9920);
    // E6 rows 4 and 5: gross obligations WB -> HR 649920 (principal + interest), HR -> WB 1240.
    CHECK(c.obligation("WEBANK", "HUARUI", Category::kPrincipal).amount +
              c.obligation("WEBANK", "HUARUI", Category::kInterest).amount ==
          649920);
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kServiceFee).amount == 1240);
    // Interest economics: HR nets 8680 (70 %), WB 2480 + 1240 = 3720 (30 %).
    CHECK(9920 - 1240 == 8680);
}

TEST_CASE("E3b: 12 instalments at 20/80 with a 12.5 % fee, cumulative fee rounding", "[contracts][golden][E3]") {
    Chain c = e2_chain(2000, 1250, 2000);
    pay_rows(c, kE3b, "L-0001");
    const Loan loan = c.loan("L-0001");
    // Lifetime fee 7913 = round_half_up(63306 x 1250 / 10000); net interest equals E2's.
    CHECK(loan.tranches[1].fee_base_cum == 63306);
    CHECK(loan.tranches[1].fee_cum == 7913);
    CHECK(loan.tranches[0].interest_paid == 15827);
    CHECK(loan.tranches[1].interest_paid == 63306);
    CHECK(loan.tranches[0].interest_paid + loan.tranches[1].fee_cum == 23740);
    CHECK(loan.tranches[1].interest_paid - loan.tranches[1].fee_cum == 55393);
    CHECK(c.account("WEBANK", AccountCode::kServiceFeeIncome).credits_posted == 7913);
    CHECK(c.account("HUARUI", AccountCode::kServiceFeeExpense).debits_posted == 7913);
}

TEST_CASE("E8: idempotency, natural keys and the atomic batch", "[contracts][golden][E8]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    const LoanSpec l;
    const auto orig = c.tx("WEBANK", "loan.originate", originate_body(l), "WB-ORIG-20240115-000001");
    // 1. OK: the loan exists and pos(WB, HR) = -560000.
    const auto out1 = c.block("2024-01-15", {orig});
    REQUIRE(out1.receipts[0].status == TxStatus::kOk);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    const std::size_t events = [&] {
        std::size_t n = 0;
        (void)c.state().scan(keys::event_prefix("L-0001"), [&](std::string_view, std::string_view) { return ++n, true; });
        return n;
    }();
    // 2. The identical envelope in a later block: DUPLICATE with the original result; no change.
    const auto snapshot = c.state().entries();
    const auto out2 = c.block("2024-01-16", {orig});
    const TxReceipt& dup = out2.receipts[0];
    CHECK(dup.status == TxStatus::kDuplicate);
    CHECK(dup.code == 0);
    CHECK(dup.result == out1.receipts[0].result);
    CHECK(dup.detail_json()["original_tx_hash"] == orig->hash().hex());
    CHECK(dup.detail_json()["original_height"] == out1.receipts.size() + 2);  // 2 partnership blocks before
    CHECK(out2.writes.size() == 0);
    CHECK(c.state().entries() == snapshot);
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    std::size_t events_after = 0;
    (void)c.state().scan(keys::event_prefix("L-0001"), [&](std::string_view, std::string_view) { return ++events_after, true; });
    CHECK(events_after == events);
    // 3. Same client_ref, principal 800100: 3001, no change.
    LoanSpec changed = l;
    changed.principal = "800100";
    auto r = c.run("2024-01-16", "WEBANK", "loan.originate", originate_body(changed), "WB-ORIG-20240115-000001");
    CHECK(r.code == 3001);
    CHECK(r.error == "ERR_IDEMPOTENCY_CONFLICT");
    CHECK(c.state().entries() == snapshot);
    // 4. New client_ref, same loan_id: 3002.
    r = c.run("2024-01-16", "WEBANK", "loan.originate", originate_body(l), "WB-ORIG-20240116-000002");
    CHECK(r.code == 3002);
    CHECK(r.error == "ERR_LOAN_EXISTS");
    CHECK(c.state().entries() == snapshot);
    // 5. loan.repay with a new client_ref but an already-recorded channel_ref: 3003.
    REQUIRE(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")).status ==
            TxStatus::kOk);
    const auto snapshot2 = c.state().entries();
    r = c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "1000", "PAY-1"));
    CHECK(r.code == 3003);
    CHECK(r.error == "ERR_DUPLICATE_CHANNEL_REF");
    CHECK(c.state().entries() == snapshot2);
    // 6. Atomic batch [originate L-0003 valid; originate L-0004 with 3000/6999]: item 2 -> 4102,
    //    item 1 -> 1007, nothing created.
    LoanSpec l3;
    l3.loan_id = "L-0003";
    l3.channel_ref = "DISB-3";
    l3.borrower = std::string(64, 'b');
    LoanSpec l4;
    l4.loan_id = "L-0004";
    l4.channel_ref = "DISB-4";
    l4.borrower = std::string(64, 'c');
    l4.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 6999, "P-WB-HR"}};
    const json::Value batch{{"atomic", true},
                            {"items", {json::Value{{"type", "loan.originate"}, {"body", originate_body(l3)}},
                                       json::Value{{"type", "loan.originate"}, {"body", originate_body(l4)}}}}};
    r = c.run("2024-02-15", "WEBANK", "batch", batch);
    CHECK(r.status == TxStatus::kRejected);
    CHECK(r.code == 4102);
    CHECK(r.detail_json()["failed_item"] == 1);
    CHECK(r.detail_json()["items"][0]["code"] == 1007);
    CHECK(r.detail_json()["items"][0]["error"] == "ERR_LINKED_EVENT_FAILED");
    CHECK(r.detail_json()["items"][1]["code"] == 4102);
    CHECK(c.state().entries() == snapshot2);
    CHECK_FALSE(c.state().get(keys::loan("L-0003"))->has_value());
}

}  // namespace jc::contracts::test
