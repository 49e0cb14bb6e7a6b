// Goal: every error code the engine can produce (DOMAIN.md B.5 and ADR 0031) is triggered by a
// test, with exactly that code and name, a detail object naming what to fix, and NOTHING
// changed: the block's writes are empty and the state is byte-identical afterwards.
// Method: a test chain with an ACTIVE FRONTED partnership and one loan; each case submits one
// offending transaction in its own block and compares the whole state before and after.
// Also: precedence between codes where B.5's order decides (first failure wins).
#include "chain.h"

#include <jc/contracts/arith/checked.h>

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

struct Fixture {
    Chain c{test_params()};
    Fixture() {
        c.partnership(PartnershipSpec{});
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
    }

    // Runs one transaction; it must be rejected with `code` and change nothing (chain.h).
    TxReceipt expect(int code, const std::string& bank, const std::string& type, const json::Value& body,
                     const std::string& date = "2024-02-15", const std::string& client_ref = "") {
        return expect_rejected(c, code, bank, type, body, date, client_ref);
    }
};

json::Value with(json::Value v, const std::string& key, json::Value value) {
    v[key] = std::move(value);
    return v;
}

json::Value without(json::Value v, const std::string& key) {
    v.erase(key);
    return v;
}

LoanSpec fresh(const std::string& id) {
    LoanSpec l;
    l.loan_id = id;
    l.channel_ref = "D-" + id;
    l.borrower = std::string(56, 'b') + std::string(8, "0123456789abcdef"[static_cast<unsigned char>(id.back()) % 16]);
    return l;
}

}  // namespace

TEST_CASE("1xxx request errors", "[contracts][errors]") {
    Fixture f;
    const json::Value body = originate_body(fresh("L-9"));
    // 1001: unknown type, unknown field, missing field, wrong JSON type, bad enum, signer not a key.
    f.expect(1001, "WEBANK", "loan.charge_fee", json::Value{{"loan_id", "L-0001"}});
    f.expect(1001, "WEBANK", "loan.originate", with(body, "extra", 1));
    f.expect(1001, "WEBANK", "loan.originate", without(body, "loan_id"));
    f.expect(1001, "WEBANK", "loan.originate", with(body, "loan_id", 7));
    f.expect(1001, "WEBANK", "loan.originate", with(body, "loan_id", "L/1"));
    f.expect(1001, "WEBANK", "loan.originate", with(body, "penalty_mode", "COMPOUND"));
    f.expect(1001, "WEBANK", "loan.originate", with(body, "borrower_ref", "ALICE"));
    {
        json::Value b = body;
        b["tranches"][0]["partnership_id"] = "P-WB-HR";  // the servicer's own tranche takes none
        f.expect(1001, "WEBANK", "loan.originate", b);
    }
    {
        // Signed by HUARUI's key but claiming to come from WEBANK.
        const auto before = f.c.state().entries();
        ledger::UnsignedTx u{kChainId, "loan.repay", "WEBANK", "FORGED-1",
                             repay_body("L-0001", "2024-02-15", "100", "PAY-F")};
        auto forged = ledger::Transaction::sign(u, f.c.key("HUARUI"));
        REQUIRE(forged.ok());
        const auto out = f.c.block("2024-02-15", {std::make_shared<const ledger::Transaction>(*forged)});
        CHECK(out.receipts[0].code == 1001);
        CHECK(out.receipts[0].detail_json()["field"] == "signer");
        CHECK(f.c.state().entries() == before);
    }
    // 1002 cannot reach the engine: the envelope parser refuses such a client_ref.
    {
        ledger::UnsignedTx u{kChainId, "loan.repay", "WEBANK", "bad ref with spaces", json::Value::object()};
        CHECK_FALSE(ledger::Transaction::sign(u, f.c.key("WEBANK")).ok());
    }
    // 1003: zero, leading zero, JSON number, sign, above MAX_AMOUNT.
    f.expect(1003, "WEBANK", "loan.originate", with(body, "principal", "0"));
    f.expect(1003, "WEBANK", "loan.originate", with(body, "principal", "0800000"));
    f.expect(1003, "WEBANK", "loan.originate", with(body, "principal", 800000));
    f.expect(1003, "WEBANK", "loan.originate", with(body, "principal", "-5"));
    f.expect(1003, "WEBANK", "loan.originate", with(body, "principal", "1000000000000001"));
    f.expect(1003, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067.00", "PAY-X"));
    // 1004
    f.expect(1004, "WEBANK", "loan.originate", with(body, "currency", "USD"));
    // 1005
    f.expect(1005, "WEBANK", "loan.originate", with(body, "value_date", "2024-02-30"));
    f.expect(1005, "WEBANK", "loan.repay", repay_body("L-0001", "15/02/2024", "100", "PAY-X"));
    // 1006: negative, above max_rate_ppb, unknown basis, JSON number.
    f.expect(1006, "WEBANK", "loan.originate", with(body, "rate_ppb", "-1"));
    f.expect(1006, "WEBANK", "loan.originate", with(body, "rate_ppb", "10000000001"));
    f.expect(1006, "WEBANK", "loan.originate", with(body, "basis", "ACT/365"));
    f.expect(1006, "WEBANK", "loan.originate", with(body, "penalty_rate_ppb", 750000));
    // 1007 is the atomic batch's linked-item code: see E8 and the batch test.
}

TEST_CASE("1xxx precedence: the lowest code wins, then field order", "[contracts][errors]") {
    Fixture f;
    json::Value b = originate_body(fresh("L-9"));
    b["rate_ppb"] = "x";           // 1006
    b["value_date"] = "2024-13-01";  // 1005
    b["currency"] = "EUR";         // 1004
    b["principal"] = "1.5";        // 1003
    auto r = f.expect(1003, "WEBANK", "loan.originate", b);
    CHECK(r.detail_json()["field"] == "principal");
    b["principal"] = "800000";
    f.expect(1004, "WEBANK", "loan.originate", b);
    b["unknown"] = true;  // 1001 beats everything
    f.expect(1001, "WEBANK", "loan.originate", b);
}

TEST_CASE("2xxx authorisation errors", "[contracts][errors]") {
    Fixture f;
    f.expect(2001, "NOBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "100", "PAY-X"));
    f.expect(2002, "SUSPBK", "loan.repay", repay_body("L-0001", "2024-02-15", "100", "PAY-X"));
    // Not the loan's servicer; a member without the SERVICER role originating.
    f.expect(2003, "HUARUI", "loan.repay", repay_body("L-0001", "2024-02-15", "100", "PAY-X"));
    f.expect(2003, "REGUL", "loan.originate", originate_body(fresh("L-9")));
    PartnershipSpec p;
    p.id = "P-NEW";
    p.servicer = "WEBANK";
    p.partner = "BANKC";
    f.expect(2003, "BANKC", "partnership.propose", partnership_body(p));  // servicer_bank != sender
    p.partner = "REGUL";
    f.expect(2007, "WEBANK", "partnership.propose", partnership_body(p));  // partner lacks FUNDER
    p.partner = "NOBANK";
    f.expect(2001, "WEBANK", "partnership.propose", partnership_body(p));
    p.partner = "SUSPBK";
    f.expect(2002, "WEBANK", "partnership.propose", partnership_body(p));
    f.expect(2008, "BANKC", "partnership.suspend", json::Value{{"partnership_id", "P-WB-HR"}});
}

TEST_CASE("3xxx idempotency and uniqueness errors", "[contracts][errors]") {
    Fixture f;
    const json::Value pay = repay_body("L-0001", "2024-02-15", "79067", "PAY-1");
    REQUIRE(f.c.run("2024-02-15", "WEBANK", "loan.repay", pay, "REF-A").status == TxStatus::kOk);
    f.expect(3001, "WEBANK", "loan.repay", with(pay, "amount", "79068"), "2024-02-15", "REF-A");
    // Same body under another type is another request: conflict, not a duplicate.
    f.expect(3001, "WEBANK", "partnership.suspend", json::Value{{"partnership_id", "P-WB-HR"}}, "2024-02-15", "REF-A");
    f.expect(3002, "WEBANK", "loan.originate", originate_body(LoanSpec{}));
    f.expect(3003, "WEBANK", "loan.repay", with(pay, "amount", "5"));
    LoanSpec l = fresh("L-9");
    l.channel_ref = "PAY-1";  // disbursement and repayment references share the servicer's namespace
    f.expect(3003, "WEBANK", "loan.originate", originate_body(l));
    // A rejected request leaves no idempotency record: the same client_ref may be retried.
    const auto bad = f.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "999999999", "PAY-2"), "REF-B");
    CHECK(bad.code == 5005);
    CHECK(f.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "1000", "PAY-2"), "REF-B").status ==
          TxStatus::kOk);
}

TEST_CASE("4xxx origination errors in B.5 order", "[contracts][errors]") {
    Fixture f;
    PartnershipSpec proposed;
    proposed.id = "P-WB-BC";
    proposed.partner = "BANKC";
    REQUIRE(f.c.run("2024-01-15", "WEBANK", "partnership.propose", partnership_body(proposed)).status == TxStatus::kOk);
    auto spec = [](std::vector<std::tuple<std::string, int, std::string>> tranches) {
        LoanSpec l = fresh("L-9");
        l.tranches = std::move(tranches);
        return originate_body(l);
    };
    // 4001: no partnership id, unknown id, partnership of another pair.
    f.expect(4001, "WEBANK", "loan.originate", spec({{"WEBANK", 3000, ""}, {"HUARUI", 7000, ""}}));
    f.expect(4001, "WEBANK", "loan.originate", spec({{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-NONE"}}));
    f.expect(4001, "WEBANK", "loan.originate", spec({{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-HR"}}));
    // 4002: proposed but not accepted.
    f.expect(4002, "WEBANK", "loan.originate", spec({{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC"}}));
    // 4005: disbursement mode differs from the partnership's funding mode.
    {
        LoanSpec l = fresh("L-9");
        l.mode = "DIRECT";
        f.expect(4005, "WEBANK", "loan.originate", originate_body(l));
    }
    // 4101: nine tranches (duplicates are only checked later, 4104).
    {
        std::vector<std::tuple<std::string, int, std::string>> t{{"WEBANK", 2000, ""}};
        for (int i = 0; i < 8; ++i) {
            t.emplace_back("HUARUI", 1000, "P-WB-HR");
        }
        f.expect(4101, "WEBANK", "loan.originate", spec(t));
    }
    f.expect(4102, "WEBANK", "loan.originate", spec({{"WEBANK", 3000, ""}, {"HUARUI", 6999, "P-WB-HR"}}));
    f.expect(4103, "WEBANK", "loan.originate", spec({{"WEBANK", 2000, ""}, {"HUARUI", 8000, "P-WB-HR"}}));
    f.expect(4103, "WEBANK", "loan.originate", spec({{"WEBANK", 8000, ""}, {"HUARUI", 2000, "P-WB-HR"}}));
    f.expect(4104, "WEBANK", "loan.originate",
             spec({{"WEBANK", 3000, ""}, {"HUARUI", 3500, "P-WB-HR"}, {"HUARUI", 3500, "P-WB-HR"}}));
    f.expect(4105, "WEBANK", "loan.originate", spec({{"HUARUI", 10000, "P-WB-HR"}}));
    {
        LoanSpec l = fresh("L-9");
        l.principal = "1";
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
        f.expect(4106, "WEBANK", "loan.originate", originate_body(l));
    }
    {
        LoanSpec l = fresh("L-9");
        l.principal = "20000001";  // CONSUMER max_principal 20,000,000
        f.expect(4201, "WEBANK", "loan.originate", originate_body(l));
        l.principal = "19500000";
        l.borrower = LoanSpec{}.borrower;  // already owes 800000 under CONSUMER
        f.expect(4202, "WEBANK", "loan.originate", originate_body(l));
    }
    {
        LoanSpec l = fresh("L-9");
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2025-01-16"}};  // 367 days (2024 is leap)
        f.expect(4203, "WEBANK", "loan.originate", originate_body(l));
        l.rate = "1000001";  // DAILY cap 1,000,000
        l.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2025-01-15"}};
        f.expect(4204, "WEBANK", "loan.originate", originate_body(l));
        l.rate = "500000";
        l.penalty_rate = "1000001";
        f.expect(4204, "WEBANK", "loan.originate", originate_body(l));
    }
    // 4301 variants.
    auto schedule = [](json::Value s) {
        LoanSpec l = fresh("L-9");
        l.schedule = std::move(s);
        return originate_body(l);
    };
    f.expect(4301, "WEBANK", "loan.originate", schedule({{"type", "EQUAL_PRINCIPAL"}, {"n", 0}, {"first_due_date", "2024-02-15"}}));
    f.expect(4301, "WEBANK", "loan.originate", schedule({{"type", "EQUAL_PRINCIPAL"}, {"n", 361}, {"first_due_date", "2024-02-15"}}));
    f.expect(4301, "WEBANK", "loan.originate", schedule({{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-01-15"}}));
    f.expect(4301, "WEBANK", "loan.originate", schedule({{"type", "BULLET"}, {"due_date", "2024-01-14"}}));
    const auto inst = [](const char* d, const char* p) { return json::Value{{"due_date", d}, {"principal", p}}; };
    f.expect(4301, "WEBANK", "loan.originate",
             schedule({{"type", "CUSTOM"}, {"installments", {inst("2024-02-15", "400000"), inst("2024-03-15", "399999")}}}));
    f.expect(4301, "WEBANK", "loan.originate",
             schedule({{"type", "CUSTOM"}, {"installments", {inst("2024-03-15", "400000"), inst("2024-02-15", "400000")}}}));
    f.expect(4301, "WEBANK", "loan.originate",
             schedule({{"type", "CUSTOM"}, {"installments", {inst("2024-02-15", "800000"), inst("2024-03-15", "0")}}}));
    f.expect(4301, "WEBANK", "loan.originate", schedule({{"type", "CUSTOM"}, {"installments", json::Value::array()}}));
    f.expect(4301, "WEBANK", "loan.originate",
             schedule({{"type", "CUSTOM"}, {"installments", {inst("2024-01-15", "800000")}}}));
}

TEST_CASE("44xx capacity and interbank bounds", "[contracts][errors]") {
    Chain c(test_params());
    PartnershipSpec p;
    p.max_outstanding = "1000000";  // HR may fund at most 10,000.00 CNY outstanding
    p.fronting_limit = "600000";
    c.partnership(p);
    PartnershipSpec pre;
    pre.id = "P-WB-BC-PRE";
    pre.partner = "BANKC";
    pre.funding_mode = "PREFUNDED_RESERVE";
    c.partnership(pre);
    auto expect = [&](int code, const LoanSpec& l) {
        const auto before = c.state().entries();
        const auto r = c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l));
        CHECK(r.code == code);
        CHECK(c.state().entries() == before);
    };
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(fresh("L-1"))).status == TxStatus::kOk);
    // HR has 560000 outstanding: another 560000 passes the 1,000,000 cap? No: 1,120,000 > cap.
    expect(4401, fresh("L-2"));
    // Within the cap but beyond the fronting limit: pos(WB,HR) = -560000 - 70000 < -600000.
    LoanSpec small = fresh("L-3");
    small.principal = "100000";
    expect(4402, small);
    // PREFUNDED with no reserve: pos(WB,BANKC) = 0 - 70000 < 0.
    LoanSpec prefunded = fresh("L-4");
    prefunded.principal = "100000";
    prefunded.mode = "PREFUNDED_RESERVE";
    prefunded.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC-PRE"}};
    expect(4403, prefunded);
}

TEST_CASE("4003-4006 partnership lifecycle errors", "[contracts][errors]") {
    Fixture f;
    f.expect(4003, "WEBANK", "partnership.propose", partnership_body(PartnershipSpec{}));
    f.expect(4004, "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-WB-HR"}});
    f.expect(4001, "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P-NONE"}});
    PartnershipSpec acc;
    acc.id = "P-WB-BC-ACC";
    acc.partner = "BANKC";
    acc.require_acceptance = true;
    f.c.partnership(acc, "2024-02-01");
    LoanSpec l = fresh("L-9");
    l.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-WB-BC-ACC"}};
    f.expect(4006, "WEBANK", "loan.originate", originate_body(l));
}

TEST_CASE("5xxx servicing errors", "[contracts][errors]") {
    Fixture f;
    f.expect(5001, "WEBANK", "loan.repay", repay_body("L-NONE", "2024-02-15", "100", "PAY-X"));
    f.expect(5003, "WEBANK", "loan.repay", repay_body("L-0001", "2024-01-14", "100", "PAY-X"));
    f.expect(5004, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-16", "100", "PAY-X"));
    f.expect(5005, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812401", "PAY-X"));  // owed 812400
    auto r = f.expect(5006, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812399", "PAY-X", "PAYOFF"));
    CHECK(r.detail_json()["payoff_amount"] == "812400");
    // 5005 precedes 5006.
    f.expect(5005, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812401", "PAY-X", "PAYOFF"));
    REQUIRE(f.c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812400", "PAY-X", "PAYOFF"))
                .status == TxStatus::kOk);
    r = f.expect(5002, "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "1", "PAY-Y"));
    CHECK(r.detail_json()["status"] == "PAID_OFF");
}

TEST_CASE("9001 arithmetic overflow rejects instead of wrapping", "[contracts][errors]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    // A huge backdated loan at the maximum rate: its interest leaves int64 at the first repayment.
    LoanSpec l = fresh("L-BIG");
    l.product = "OTHER";
    l.principal = "1000000000000000";
    l.value_date = "1000-01-01";
    l.rate = "10000000000";
    l.penalty_rate = "0";
    // EQUAL_PRINCIPAL with one instalment: no bullet-term limit applies.
    l.schedule = json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 1}, {"first_due_date", "2024-01-01"}};
    PartnershipSpec big;
    big.id = "P-BIG";
    big.partner = "BANKC";
    big.max_outstanding = "1000000000000000";
    big.fronting_limit = "1000000000000000";
    c.partnership(big);
    l.tranches = {{"WEBANK", 3000, ""}, {"BANKC", 7000, "P-BIG"}};
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l)).status == TxStatus::kOk);
    const auto before = c.state().entries();
    const auto r = c.run("2024-01-15", "WEBANK", "loan.repay", repay_body("L-BIG", "2024-01-15", "1", "PAY-BIG"));
    CHECK(r.code == 9001);
    CHECK(r.error == "ERR_ARITHMETIC_OVERFLOW");
    CHECK(c.state().entries() == before);
    // The quote refuses the same way instead of inventing a number.
    const auto q = query::quote_payoff(c.state(), "L-BIG", day("2024-01-15"));
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().message().find("ERR_ARITHMETIC_OVERFLOW (9001)") != std::string::npos);
}

}  // namespace jc::contracts::test
