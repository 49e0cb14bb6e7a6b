// Goal: the read-only queries answer from state alone, in the API's conventions, and agree with
// what execution did: quotePayoff equals the repayment it predicts, the statement lists every
// event with its postings, positions show INTERBANK nets and open-cycle obligations (which,
// with no settlement yet, sum to the INTERBANK net per pair), and the invariant digest is
// balanced and consistent with the per-bank aggregates.
// Method: a short history on a test chain, then each query compared with known numbers.
#include "chain.h"

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

Chain history() {
    Chain c(test_params());
    PartnershipSpec p;
    p.min_share_bps = 2000;
    p.fee_bps = 1250;
    c.partnership(p);
    LoanSpec l;
    l.tranches = {{"WEBANK", 2000, ""}, {"HUARUI", 8000, "P-WB-HR"}};
    REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(l), "ORIG-1").status == TxStatus::kOk);
    REQUIRE(c.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"), "REPAY-1")
                .status == TxStatus::kOk);
    REQUIRE(c.run("2024-03-20", "WEBANK", "loan.repay", repay_body("L-0001", "2024-03-20", "30000", "PAY-2"), "REPAY-2")
                .status == TxStatus::kOk);
    return c;
}

I128 num(const json::Value& v) {
    const std::string s = v.get<std::string>();
    I128 r = 0;
    const bool neg = !s.empty() && s[0] == '-';
    for (std::size_t i = neg ? 1 : 0; i < s.size(); ++i) {
        r = r * 10 + (s[i] - '0');
    }
    return neg ? -r : r;
}

}  // namespace

TEST_CASE("quotePayoff is what loan.repay with PAYOFF does", "[contracts][query]") {
    Chain c = history();
    const auto q = query::quote_payoff(c.state(), "L-0001", day("2024-05-01"));
    REQUIRE(q.ok());
    const auto view = *query::get_loan(c.state(), "L-0001", day("2024-05-01"));
    CHECK((*q)["payoff_amount"] == view["owed_as_of"]["total"]);
    const auto r = c.run("2024-05-01", "WEBANK", "loan.repay",
                         repay_body("L-0001", "2024-05-01", (*q)["payoff_amount"].get<std::string>(), "PAY-3", "PAYOFF"));
    REQUIRE(r.status == TxStatus::kOk);
    CHECK(r.result_json()["status"] == "PAID_OFF");
    CHECK(r.result_json()["allocation"] == (*q)["allocation"]);
    for (std::size_t i = 0; i < 2; ++i) {
        for (const char* field : {"principal", "interest", "penalty", "fee"}) {
            CHECK(r.result_json()["tranches"][i][field] == (*q)["tranches"][i][field]);
        }
    }
    // A paid-off loan has nothing to quote: the refusal names the code.
    const auto none = query::quote_payoff(c.state(), "L-0001", day("2024-05-02"));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message().rfind("ERR_LOAN_STATE (5002)", 0) == 0);
    CHECK(query::quote_payoff(c.state(), "L-NONE", day("2024-05-02"))->is_null());
    // A date before the last event cannot be quoted either.
    Chain c2 = history();
    const auto early = query::quote_payoff(c2.state(), "L-0001", day("2024-03-19"));
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().message().rfind("ERR_VALUE_DATE_BEFORE_LAST_EVENT (5003)", 0) == 0);
}

TEST_CASE("getLoan reports terms, tranches, schedule and arrears", "[contracts][query]") {
    Chain c = history();
    const auto v = *query::get_loan(c.state(), "L-0001", day("2024-03-20"));
    CHECK(v["principal"] == "800000");
    CHECK(v["rate_ppb"] == "500000");
    CHECK(v["basis"] == "DAILY");
    CHECK(v["event_seq"] == 3);
    CHECK(v["tranches"].size() == 2);
    CHECK(v["tranches"][1]["fee_bps"] == 1250);
    CHECK(v["schedule"].size() == 12);
    CHECK(v["schedule"][0]["status"] == "PAID");
    // 30000 on 03-20 covered penalty and interest and part of #2 (due 03-15): still 5 days past due.
    CHECK(v["schedule"][1]["status"] == "OVERDUE");
    CHECK(v["dpd"] == 5);
    CHECK(v["overdue"] == true);
    CHECK(v["next_due"]["seq"] == 2);
    CHECK(query::get_loan(c.state(), "L-NONE", day("2024-03-20"))->is_null());
}

TEST_CASE("getLoanStatement lists events with allocation and postings", "[contracts][query]") {
    Chain c = history();
    const auto s = *query::get_loan_statement(c.state(), "L-0001");
    REQUIRE(s["events"].size() == 3);
    CHECK(s["events"][0]["type"] == "ORIGINATE");
    CHECK(s["events"][1]["type"] == "REPAY");
    CHECK(s["events"][1]["client_ref"] == "REPAY-1");
    CHECK(s["events"][1]["channel_ref"] == "PAY-1");
    CHECK(s["events"][1]["cycle_id"] == "20240101-01");
    // E3b row 1: WB Dr BC 79067 = LP 13333 + II 2480 + IB[HR] 62014 + SFI 1240.
    const json::Value& postings = s["events"][1]["postings"];
    std::int64_t bc = 0;
    for (const auto& p : postings) {
        if (p["bank_id"] == "WEBANK" && p["debit"] == "BORROWER_CLEARING") {
            bc += std::stoll(p["amount"].get<std::string>());
        }
        CHECK(p["posting_id"].get<std::string>().find(s["events"][1]["event_id"].get<std::string>()) == 0);
    }
    CHECK(bc == 79067);
    const auto window = *query::get_loan_statement(c.state(), "L-0001", day("2024-02-01"), day("2024-02-28"));
    CHECK(window["events"].size() == 1);
    CHECK(query::get_loan_statement(c.state(), "L-NONE")->is_null());
}

TEST_CASE("getPositions: INTERBANK net equals the open cycle's obligations per pair", "[contracts][query]") {
    Chain c = history();
    const auto wb = *query::get_positions(c.state(), "WEBANK");
    REQUIRE(wb["counterparties"].size() == 1);
    const json::Value& hr = wb["counterparties"][0];
    CHECK(hr["bank_id"] == "HUARUI");
    // With nothing settled, what HR owes WB on the INTERBANK account equals the cycle's
    // obligations HR -> WB minus WB -> HR (the B5 relation before any close).
    I128 owed_by_hr = 0;
    for (const auto& [cat, entry] : hr["owed_by_counterparty"].items()) {
        owed_by_hr += num(entry["amount"]);
    }
    I128 owed_to_hr = 0;
    for (const auto& [cat, entry] : hr["owed_to_counterparty"].items()) {
        owed_to_hr += num(entry["amount"]);
    }
    CHECK(num(hr["interbank_net"]) == owed_by_hr - owed_to_hr);
    CHECK(num(hr["interbank_net"]) == -c.pos("WEBANK", "HUARUI"));
    CHECK(hr["owed_by_counterparty"]["FUNDING"]["amount"] == "640000");
    CHECK(hr["owed_by_counterparty"]["FUNDING"]["count"] == 1);
    CHECK(wb["partnerships"][0]["role"] == "SERVICER");
    const auto fee_income = static_cast<long long>(c.account("WEBANK", AccountCode::kServiceFeeIncome).credits_posted);
    CHECK(fee_income > 1240);  // row 1's fee plus the second payment's
    CHECK(wb["income"]["SERVICE_FEE_INCOME"] == std::to_string(fee_income));
    const auto hr_view = *query::get_positions(c.state(), "HUARUI");
    CHECK(hr_view["partnerships"][0]["role"] == "FUNDER");
    CHECK(num(hr_view["counterparties"][0]["interbank_net"]) == c.pos("WEBANK", "HUARUI"));
    CHECK(query::get_positions(c.state(), "NOBANK")->is_null());
}

TEST_CASE("getEventByClientRef returns the original result", "[contracts][query]") {
    Chain c = history();
    const auto e = *query::get_event_by_client_ref(c.state(), "WEBANK", "REPAY-1");
    CHECK(e["status"] == "OK");
    CHECK(e["result"]["event_seq"] == 2);
    CHECK(e["result"]["amount"] == "79067");
    CHECK(e["height"] == 4);
    CHECK(query::get_event_by_client_ref(c.state(), "WEBANK", "NOPE")->is_null());
    // Partnership results are stored, not re-rendered: still the state at the time.
    const auto p = *query::get_event_by_client_ref(c.state(), "HUARUI", "HUARUI-REF-2");
    CHECK(p["result"]["partnership"]["status"] == "ACTIVE");
}

TEST_CASE("getInvariantDigest is balanced and matches the aggregates", "[contracts][query]") {
    Chain c = history();
    const auto d = *query::get_invariant_digest(c.state());
    CHECK(d["ledger"]["balanced"] == true);
    CHECK(d["ledger"]["interbank_net_sum"] == "0");
    CHECK(d["ledger"]["debits_total"] == d["ledger"]["credits_total"]);
    std::size_t banks = 0;
    for (const auto& b : d["banks"]) {
        CHECK(b["consistent"] == true);
        ++banks;
    }
    CHECK(banks == 5);  // every genesis member has an aggregate
    const Loan loan = c.loan("L-0001");
    for (const auto& b : d["banks"]) {
        if (b["bank_id"] == "HUARUI") {
            CHECK(b["tranche_principal_out_total"] == std::to_string(loan.tranches[1].principal_out));
        }
    }
}

}  // namespace jc::contracts::test
