// Goal: two-step origination (DOMAIN.md B.3/B.4, ADR 0062) — loan.propose, accept/reject per
// tranche, loan.disburse, capacity reserved while PENDING and deterministic expiry — does what
// the rules say: nothing is posted before disbursement, disbursement books exactly what
// loan.originate books, two pending proposals cannot together overrun a cap, rejection and
// expiry release the reservation, and every new rejection changes nothing.
// Method: the E1/E2 loan (800000 fen at WB 30 % / HR 70 %: tranches 240000 / 560000 by largest
// remainder, pos(WB,HR) = -560000 and one FUNDING obligation HR -> WB of 560000 once funded)
// under partnerships that require acceptance. The equivalence test runs the same loan through
// loan.originate on a second chain, block for block, and compares the whole state. Rejections
// use expect_rejected (whole state before/after); every block runs twice (replay determinism)
// with T1-T8 on.
#include "chain.h"

#include <jc/contracts/arith/date.h>

#include <catch2/catch.hpp>

namespace jc::contracts::test {
namespace {

PartnershipSpec accepting(int timeout_days = 5) {
    PartnershipSpec p;
    p.require_acceptance = true;
    p.accept_timeout_days = timeout_days;
    return p;
}

LoanSpec loan(const std::string& id, const std::string& principal = "800000") {
    LoanSpec l;
    l.loan_id = id;
    l.principal = principal;
    l.channel_ref = "DISB-" + id;
    l.borrower = std::string(60, 'a') + std::string(4, "0123456789abcdef"[static_cast<unsigned char>(id.back()) % 16]);
    return l;
}

json::Value id_body(const std::string& loan_id) { return json::Value{{"loan_id", loan_id}}; }
json::Value disburse_body(const std::string& loan_id, const std::string& channel_ref) {
    return json::Value{{"loan_id", loan_id}, {"channel_ref", channel_ref}};
}

std::optional<std::int64_t> reserved(const Chain& c, const std::string& key) {
    const auto& e = c.state().entries();
    const auto it = e.find(key);
    if (it == e.end()) {
        return std::nullopt;
    }
    return decode_reserved(it->second).value();
}

LoanProposal proposal(const Chain& c, const std::string& loan_id) {
    const auto& e = c.state().entries();
    const auto it = e.find(keys::proposal(loan_id));
    REQUIRE(it != e.end());
    return decode_loan_proposal(it->second).value();
}

bool has_prefix(const Chain& c, const std::string& prefix) {
    for (const auto& [k, v] : c.state().entries()) {
        if (k.rfind(prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("propose -> accept -> disburse books exactly what loan.originate books", "[contracts][origination]") {
    Chain a(test_params());
    a.partnership(accepting(5));
    const LoanSpec l = loan("L-0001");

    // 1. The proposal: PENDING, nothing posted, capacity reserved.
    const auto proposed = must_ok(a.run("2024-01-15", "WEBANK", "loan.propose", propose_body(l)));
    CHECK(proposed.result_json()["status"] == "PENDING");
    CHECK(proposed.result_json()["proposed_date"] == "2024-01-15");
    CHECK(proposed.result_json()["expires_after"] == "2024-01-20");  // 2024-01-15 + accept_timeout_days 5
    CHECK(proposed.result_json()["tranches"][0]["principal"] == "240000");
    CHECK(proposed.result_json()["tranches"][0]["acceptance"] == "NOT_REQUIRED");
    CHECK(proposed.result_json()["tranches"][1]["principal"] == "560000");
    CHECK(proposed.result_json()["tranches"][1]["acceptance"] == "PENDING");
    CHECK_FALSE(has_prefix(a, "ac/"));
    CHECK_FALSE(has_prefix(a, "ob/"));
    CHECK_FALSE(has_prefix(a, "ev/"));
    CHECK(a.pos("WEBANK", "HUARUI") == 0);
    CHECK(reserved(a, keys::reserved_partnership("P-WB-HR")) == 560000);
    CHECK(reserved(a, keys::reserved_pair("WEBANK", "HUARUI")) == 560000);
    const auto pview = query::get_partnership(a.state(), "P-WB-HR");
    REQUIRE(pview.ok());
    CHECK((*pview)["used"] == "0");
    CHECK((*pview)["reserved"] == "560000");
    const auto lview = query::get_loan(a.state(), "L-0001", day("2024-01-16"));
    REQUIRE(lview.ok());
    CHECK((*lview)["status"] == "PENDING");
    CHECK((*lview)["principal_out"] == "0");
    CHECK((*lview)["proposal"]["expires_after"] == "2024-01-20");
    CHECK((*lview)["proposal"]["outcome"] == "OPEN");
    CHECK((*lview)["proposal"]["tranches"][1]["acceptance"] == "PENDING");
    const auto positions = query::get_positions(a.state(), "WEBANK");
    REQUIRE(positions.ok());
    CHECK((*positions)["partnerships"][0]["reserved"] == "560000");

    // 2. HR accepts its tranche: still nothing posted.
    const auto accepted = must_ok(a.run("2024-01-16", "HUARUI", "loan.accept_tranche", id_body("L-0001")));
    CHECK(accepted.result_json()["status"] == "PENDING");
    CHECK(accepted.result_json()["tranches"][1]["acceptance"] == "ACCEPTED");
    CHECK(accepted.result_json()["tranches"][1]["decided_height"] == a.height());
    CHECK_FALSE(has_prefix(a, "ac/"));

    // 3. Disbursement: E1's postings and obligation, the reservation becomes usage.
    const auto disbursed = must_ok(a.run("2024-01-17", "WEBANK", "loan.disburse", disburse_body("L-0001", l.channel_ref)));
    CHECK(disbursed.result_json()["status"] == "ACTIVE");
    CHECK(disbursed.result_json()["event_seq"] == 1);
    CHECK(disbursed.result_json()["tranches"][1]["principal"] == "560000");
    CHECK(a.pos("WEBANK", "HUARUI") == -560000);
    CHECK(a.obligation("HUARUI", "WEBANK", Category::kFunding).amount == 560000);
    CHECK(a.account("WEBANK", AccountCode::kLoanPrincipal).net_debit() == 240000);
    CHECK(a.account("WEBANK", AccountCode::kBorrowerClearing).net_debit() == -800000);
    CHECK(a.account("HUARUI", AccountCode::kLoanPrincipal).net_debit() == 560000);
    CHECK_FALSE(has_prefix(a, "rs/"));
    CHECK_FALSE(has_prefix(a, "lx/"));
    CHECK(proposal(a, "L-0001").outcome == ProposalOutcome::kDisbursed);
    CHECK(proposal(a, "L-0001").closed_height == a.height());

    // The same loan through loan.originate on a chain whose partnership needs no acceptance,
    // with the same number of blocks so that heights agree.
    Chain b(test_params());
    b.partnership(PartnershipSpec{});
    b.block("2024-01-15", {});
    b.block("2024-01-16", {});
    const auto originated = must_ok(b.run("2024-01-17", "WEBANK", "loan.originate", originate_body(l)));
    REQUIRE(a.height() == b.height());
    CHECK(disbursed.result == originated.result);

    // Whole-state comparison: every record equal except the idempotency records, the proposal,
    // the partnership's acceptance terms and the journal entry's transaction identity.
    const auto& ea = a.state().entries();
    const auto& eb = b.state().entries();
    std::size_t compared = 0;
    for (const auto& [key, value] : ea) {
        if (key.rfind("id/", 0) == 0 || key.rfind("lp/", 0) == 0) {
            continue;
        }
        INFO(key);
        REQUIRE(eb.count(key) == 1);
        if (key.rfind("pt/", 0) == 0) {
            Partnership pa = decode_partnership(value).value();
            Partnership pb = decode_partnership(eb.at(key)).value();
            CHECK(pa.terms.require_partner_acceptance);
            pa.terms.require_partner_acceptance = false;
            pa.terms.accept_timeout_days = 0;
            CHECK(pa == pb);
        } else if (key.rfind("ev/", 0) == 0) {
            LoanEvent va = decode_loan_event(value).value();
            LoanEvent vb = decode_loan_event(eb.at(key)).value();
            va.tx_hash = vb.tx_hash;
            va.client_ref = vb.client_ref;
            CHECK(va == vb);
        } else {
            CHECK(value == eb.at(key));
        }
        ++compared;
    }
    for (const auto& [key, value] : eb) {
        if (key.rfind("id/", 0) != 0) {
            INFO(key);
            CHECK(ea.count(key) == 1);
        }
    }
    CHECK(compared > 15);
    // After disbursement the loan services like any other: E2 instalment #1.
    const auto paid = must_ok(a.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1")));
    CHECK(paid.result_json()["tranches"][1]["servicer_owes"] == "55347");
    CHECK(a.pos("WEBANK", "HUARUI") == -504653);
}

TEST_CASE("two pending proposals cannot together overrun a cap; rejection releases it", "[contracts][origination]") {
    Chain c(test_params());
    PartnershipSpec p = accepting(5);
    p.max_outstanding = "1000000";  // HR-side cap
    c.partnership(p);
    // L-1: HR 560000 reserved. L-2 of 800000 would add another 560000: 1120000 > 1000000.
    must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-1"))));
    const auto over = expect_rejected(c, 4401, "WEBANK", "loan.propose", propose_body(loan("L-2")), "2024-01-15");
    CHECK(over.detail_json()["used"] == "0");
    CHECK(over.detail_json()["reserved"] == "560000");
    CHECK(over.detail_json()["tranche"] == "560000");
    // 600000 at 30/70 -> HR 420000: 560000 + 420000 = 980000 fits.
    must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-3", "600000"))));
    CHECK(reserved(c, keys::reserved_partnership("P-WB-HR")) == 980000);
    // Still no room for L-2; HR rejects L-1, which frees 560000: now L-2 fits (420000 + 560000).
    expect_rejected(c, 4401, "WEBANK", "loan.propose", propose_body(loan("L-2")), "2024-01-16");
    const auto rejected = must_ok(c.run("2024-01-16", "HUARUI", "loan.reject_tranche",
                                        json::Value{{"loan_id", "L-1"}, {"reason", "outside our risk appetite"}}));
    CHECK(rejected.result_json()["status"] == "CANCELLED");
    CHECK(rejected.result_json()["outcome"] == "REJECTED");
    CHECK(rejected.result_json()["rejected_by"] == "HUARUI");
    CHECK(rejected.result_json()["tranches"][1]["acceptance"] == "REJECTED");
    CHECK(c.loan("L-1").status == LoanStatus::kCancelled);
    CHECK(reserved(c, keys::reserved_partnership("P-WB-HR")) == 420000);
    CHECK(reserved(c, keys::reserved_pair("WEBANK", "HUARUI")) == 420000);
    must_ok(c.run("2024-01-16", "WEBANK", "loan.propose", propose_body(loan("L-2"))));
    CHECK(reserved(c, keys::reserved_partnership("P-WB-HR")) == 980000);
    // A rejected (CANCELLED) loan takes no further answer and cannot be disbursed.
    expect_rejected(c, 5002, "HUARUI", "loan.accept_tranche", id_body("L-1"), "2024-01-16");
    expect_rejected(c, 5002, "WEBANK", "loan.disburse", disburse_body("L-1", "D-L1"), "2024-01-16");
    // Disbursing L-3 turns its 420000 reservation into usage: used + reserved stays 980000.
    must_ok(c.run("2024-01-17", "HUARUI", "loan.accept_tranche", id_body("L-3")));
    must_ok(c.run("2024-01-17", "WEBANK", "loan.disburse", disburse_body("L-3", "D-L3")));
    const auto view = query::get_partnership(c.state(), "P-WB-HR");
    REQUIRE(view.ok());
    CHECK((*view)["used"] == "420000");
    CHECK((*view)["reserved"] == "560000");
    CHECK(c.pos("WEBANK", "HUARUI") == -420000);
}

TEST_CASE("pending reservations count against the fronting limit and the reserve, for loan.originate too",
          "[contracts][origination]") {
    Chain c(test_params());
    PartnershipSpec pa = accepting(5);
    pa.fronting_limit = "1000000";
    c.partnership(pa);
    PartnershipSpec plain;  // same pair, no acceptance, the same fronting limit
    plain.id = "P-WB-HR-2";
    plain.fronting_limit = "1000000";
    c.partnership(plain);
    must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-1"))));
    // pos 0 - reserved 560000 - 560000 = -1120000 < -1000000, through either partnership.
    const auto d1 = expect_rejected(c, 4402, "WEBANK", "loan.propose", propose_body(loan("L-2")), "2024-01-15");
    CHECK(d1.detail_json()["position_after"] == "-1120000");
    LoanSpec other = loan("L-3");
    other.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-WB-HR-2"}};
    expect_rejected(c, 4402, "WEBANK", "loan.originate", originate_body(other), "2024-01-15");
    other.principal = "628571";  // HR 440000 (439999.7 rounds up by largest remainder): exactly -1000000
    must_ok(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(other)));
    CHECK(c.pos("WEBANK", "HUARUI") == -440000);

    // PREFUNDED: the reserve a pending proposal draws on is not there for anyone else. A bullet
    // paid off leaves WB owing HR 8680 (servicing_test): the reserve.
    Chain r(test_params());
    r.partnership(PartnershipSpec{});
    PartnershipSpec pre = accepting(5);
    pre.id = "P-PRE-ACC";
    pre.funding_mode = "PREFUNDED_RESERVE";
    r.partnership(pre);
    PartnershipSpec pre2;
    pre2.id = "P-PRE";
    pre2.funding_mode = "PREFUNDED_RESERVE";
    r.partnership(pre2);
    LoanSpec bullet = loan("L-0001");
    bullet.schedule = json::Value{{"type", "BULLET"}, {"due_date", "2024-02-15"}};
    must_ok(r.run("2024-01-15", "WEBANK", "loan.originate", originate_body(bullet)));
    must_ok(r.run("2024-02-15", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "812400", "PAY-1")));
    REQUIRE(r.pos("WEBANK", "HUARUI") == 8680);
    LoanSpec pending = loan("L-0002", "12400");  // HR 8680: the whole reserve
    pending.mode = "PREFUNDED_RESERVE";
    pending.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-PRE-ACC"}};
    must_ok(r.run("2024-02-16", "WEBANK", "loan.propose", propose_body(pending)));
    LoanSpec direct = loan("L-0003", "12");  // HR 8
    direct.mode = "PREFUNDED_RESERVE";
    direct.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-PRE"}};
    const auto d2 = expect_rejected(r, 4403, "WEBANK", "loan.originate", originate_body(direct), "2024-02-16");
    CHECK(d2.detail_json()["reserve"] == "0");
    must_ok(r.run("2024-02-16", "HUARUI", "loan.accept_tranche", id_body("L-0002")));
    must_ok(r.run("2024-02-16", "WEBANK", "loan.disburse", disburse_body("L-0002", "D-2")));
    CHECK(r.pos("WEBANK", "HUARUI") == 0);
}

TEST_CASE("expiry: the acceptance window's last day still counts, the next day cancels", "[contracts][origination]") {
    Chain c(test_params());
    c.partnership(accepting(3));
    must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-1"))));
    must_ok(c.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-2"))));
    CHECK(proposal(c, "L-1").expires_after == day("2024-01-18"));
    // 2024-01-18 = proposal date + 3: not yet "business date > proposal date + timeout".
    c.block("2024-01-18", {});
    CHECK(c.loan("L-1").status == LoanStatus::kPending);
    must_ok(c.run("2024-01-18", "HUARUI", "loan.accept_tranche", id_body("L-1")));
    must_ok(c.run("2024-01-18", "WEBANK", "loan.disburse", disburse_body("L-1", "D-L1")));
    CHECK(c.loan("L-1").status == LoanStatus::kActive);
    CHECK(c.loan("L-2").status == LoanStatus::kPending);
    CHECK(reserved(c, keys::reserved_partnership("P-WB-HR")) == 560000);
    // 2024-01-19: the prologue of the first block of the day cancels L-2 (even an empty block).
    const auto out = c.block("2024-01-19", {});
    CHECK(out.receipts.empty());
    CHECK(c.loan("L-2").status == LoanStatus::kCancelled);
    const LoanProposal p = proposal(c, "L-2");
    CHECK(p.outcome == ProposalOutcome::kExpired);
    CHECK(p.closed_height == c.height());
    CHECK_FALSE(reserved(c, keys::reserved_partnership("P-WB-HR")).has_value());
    CHECK_FALSE(reserved(c, keys::reserved_pair("WEBANK", "HUARUI")).has_value());
    CHECK_FALSE(has_prefix(c, "lx/"));
    const auto view = query::get_loan(c.state(), "L-2", day("2024-01-19"));
    REQUIRE(view.ok());
    CHECK((*view)["status"] == "CANCELLED");
    CHECK((*view)["proposal"]["outcome"] == "EXPIRED");
    const auto late = expect_rejected(c, 5002, "HUARUI", "loan.accept_tranche", id_body("L-2"), "2024-01-19");
    CHECK(late.detail_json()["outcome"] == "EXPIRED");
    expect_rejected(c, 5002, "WEBANK", "loan.disburse", disburse_body("L-2", "D-L2"), "2024-01-19");
    // The borrower's exposure counts only the funded loan.
    CHECK(c.loan("L-1").principal_out() == 800000);

    // A block whose first transaction would touch the expired loan sees it cancelled already:
    // the same day's accept in the first block after the window.
    Chain d(test_params());
    d.partnership(accepting(0));  // accept and disburse on the proposal's business date
    must_ok(d.run("2024-01-15", "WEBANK", "loan.propose", propose_body(loan("L-1"))));
    CHECK(proposal(d, "L-1").expires_after == day("2024-01-15"));
    const auto out16 = d.block("2024-01-16", {d.tx("HUARUI", "loan.accept_tranche", id_body("L-1"))});
    CHECK(out16.receipts.at(0).code == 5002);
    CHECK(out16.receipts.at(0).detail_json()["outcome"] == "EXPIRED");
    CHECK(d.loan("L-1").status == LoanStatus::kCancelled);  // the prologue's writes, not the tx's
    CHECK(proposal(d, "L-1").tranches[1].acceptance == Acceptance::kPending);
}

TEST_CASE("disbursing twice, and idempotency of each new type", "[contracts][origination]") {
    Chain c(test_params());
    c.partnership(accepting(5));
    const auto propose_tx = c.tx("WEBANK", "loan.propose", propose_body(loan("L-1")), "WB-PROP-1");
    const auto proposed = must_ok(c.block("2024-01-15", {propose_tx}).receipts.at(0));
    auto replay = [&](const std::shared_ptr<const ledger::Transaction>& tx, const TxReceipt& original) {
        const auto before = c.state().entries();
        const auto out = c.block("2024-01-16", {tx});
        const TxReceipt& dup = out.receipts.at(0);
        CHECK(dup.status == TxStatus::kDuplicate);
        CHECK(dup.result == original.result);
        CHECK(dup.detail_json()["original_tx_hash"] == tx->hash().hex());
        CHECK(c.state().entries() == before);
    };
    replay(propose_tx, proposed);
    // The same client_ref with another body: 3001; another client_ref with the same loan_id: 3002.
    expect_rejected(c, 3001, "WEBANK", "loan.propose", propose_body(loan("L-1", "800100")), "2024-01-16", "WB-PROP-1");
    expect_rejected(c, 3002, "WEBANK", "loan.propose", propose_body(loan("L-1")), "2024-01-16");
    expect_rejected(c, 3002, "WEBANK", "loan.originate", originate_body(loan("L-1")), "2024-01-16");

    const auto accept_tx = c.tx("HUARUI", "loan.accept_tranche", id_body("L-1"), "HR-ACC-1");
    const auto accepted = must_ok(c.block("2024-01-16", {accept_tx}).receipts.at(0));
    replay(accept_tx, accepted);
    expect_rejected(c, 3001, "HUARUI", "loan.accept_tranche", id_body("L-X"), "2024-01-16", "HR-ACC-1");

    const auto disburse_tx = c.tx("WEBANK", "loan.disburse", disburse_body("L-1", "D-1"), "WB-DISB-1");
    const auto disbursed = must_ok(c.block("2024-01-16", {disburse_tx}).receipts.at(0));
    replay(disburse_tx, disbursed);
    // Disbursing again: the reference is taken (3003), and with a fresh one the loan is no
    // longer PENDING (5002). Positions are E1's, once.
    expect_rejected(c, 3003, "WEBANK", "loan.disburse", disburse_body("L-1", "D-1"), "2024-01-16");
    expect_rejected(c, 5002, "WEBANK", "loan.disburse", disburse_body("L-1", "D-2"), "2024-01-16");
    expect_rejected(c, 3001, "WEBANK", "loan.disburse", disburse_body("L-1", "D-3"), "2024-01-16", "WB-DISB-1");
    CHECK(c.pos("WEBANK", "HUARUI") == -560000);
    CHECK(c.obligation("HUARUI", "WEBANK", Category::kFunding).count == 1);

    must_ok(c.run("2024-01-16", "WEBANK", "loan.propose", propose_body(loan("L-2"))));
    const auto reject_tx = c.tx("HUARUI", "loan.reject_tranche", id_body("L-2"), "HR-REJ-2");
    const auto rejected = must_ok(c.block("2024-01-16", {reject_tx}).receipts.at(0));
    replay(reject_tx, rejected);
    expect_rejected(c, 3001, "HUARUI", "loan.reject_tranche", json::Value{{"loan_id", "L-2"}, {"reason", "x"}},
                    "2024-01-16", "HR-REJ-2");
}

TEST_CASE("two-step origination errors change nothing", "[contracts][origination][errors]") {
    Chain c(test_params());
    c.partnership(accepting(5));
    PartnershipSpec plain;
    plain.id = "P-WB-HR-2";
    c.partnership(plain);
    PartnershipSpec bc;  // WB-BANKC, no acceptance
    bc.id = "P-WB-BC";
    bc.partner = "BANKC";
    bc.min_share_bps = 2000;
    c.partnership(bc);
    const std::string d = "2024-01-15";
    // 1001: a proposal names no disbursement reference; a disbursement must; unknown fields.
    json::Value with_ref = propose_body(loan("L-9"));
    with_ref["disbursement"]["channel_ref"] = "D-9";
    expect_rejected(c, 1001, "WEBANK", "loan.propose", with_ref, d);
    expect_rejected(c, 1001, "WEBANK", "loan.disburse", id_body("L-9"), d);
    expect_rejected(c, 1001, "HUARUI", "loan.accept_tranche", json::Value{{"loan_id", "L-9"}, {"x", 1}}, d);
    expect_rejected(c, 1001, "HUARUI", "loan.reject_tranche", json::Value{{"loan_id", "L-9"}, {"reason", ""}}, d);
    // 4006: loan.originate under a partnership that requires acceptance; 4007: loan.propose
    // where none does.
    expect_rejected(c, 4006, "WEBANK", "loan.originate", originate_body(loan("L-9")), d);
    LoanSpec plain_loan = loan("L-9");
    plain_loan.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 7000, "P-WB-HR-2"}};
    expect_rejected(c, 4007, "WEBANK", "loan.propose", propose_body(plain_loan), d);
    // Origination checks apply to proposals as to originations (one sample per family).
    LoanSpec bad_shares = loan("L-9");
    bad_shares.tranches = {{"WEBANK", 3000, ""}, {"HUARUI", 6999, "P-WB-HR"}};
    expect_rejected(c, 4102, "WEBANK", "loan.propose", propose_body(bad_shares), d);
    LoanSpec future = loan("L-9");
    future.value_date = "2024-01-16";
    expect_rejected(c, 5004, "WEBANK", "loan.propose", propose_body(future), d);
    expect_rejected(c, 2003, "REGUL", "loan.propose", propose_body(loan("L-9")), d);  // no SERVICER role

    // A three-bank proposal: HR must accept, BANKC's partnership does not ask.
    LoanSpec three = loan("L-3");
    three.tranches = {{"WEBANK", 4000, ""}, {"HUARUI", 4000, "P-WB-HR"}, {"BANKC", 2000, "P-WB-BC"}};
    const auto p3 = must_ok(c.run(d, "WEBANK", "loan.propose", propose_body(three)));
    CHECK(p3.result_json()["tranches"][2]["acceptance"] == "NOT_REQUIRED");
    CHECK(reserved(c, keys::reserved_partnership("P-WB-BC")) == 160000);
    // 2004: REGUL holds no tranche. 5001: no such loan.
    expect_rejected(c, 2004, "REGUL", "loan.accept_tranche", id_body("L-3"), d);
    expect_rejected(c, 5001, "HUARUI", "loan.accept_tranche", id_body("L-NONE"), d);
    expect_rejected(c, 5001, "HUARUI", "loan.reject_tranche", id_body("L-NONE"), d);
    // 4008: the servicer's own tranche, a tranche whose partnership does not ask.
    expect_rejected(c, 4008, "WEBANK", "loan.accept_tranche", id_body("L-3"), d);
    expect_rejected(c, 4008, "BANKC", "loan.accept_tranche", id_body("L-3"), d);
    expect_rejected(c, 4008, "BANKC", "loan.reject_tranche", id_body("L-3"), d);
    // 4009: HR has not accepted yet. 2003 / 5001 / 5002 for disbursement.
    const auto waiting = expect_rejected(c, 4009, "WEBANK", "loan.disburse", disburse_body("L-3", "D-3"), d);
    CHECK(waiting.detail_json()["waiting_for"] == json::Value::array({"HUARUI"}));
    expect_rejected(c, 2003, "HUARUI", "loan.disburse", disburse_body("L-3", "D-3"), d);
    expect_rejected(c, 5001, "WEBANK", "loan.disburse", disburse_body("L-NONE", "D-3"), d);
    must_ok(c.run(d, "HUARUI", "loan.accept_tranche", id_body("L-3")));
    // 4008: already accepted (no second answer, no withdrawal by rejection).
    expect_rejected(c, 4008, "HUARUI", "loan.accept_tranche", id_body("L-3"), d);
    expect_rejected(c, 4008, "HUARUI", "loan.reject_tranche", id_body("L-3"), d);
    // 4002 at disbursement: the partnership was suspended in between.
    must_ok(c.run(d, "BANKC", "partnership.suspend", json::Value{{"partnership_id", "P-WB-BC"}}));
    expect_rejected(c, 4002, "WEBANK", "loan.disburse", disburse_body("L-3", "D-3"), d);
    // 5002: accept on an ACTIVE (one-step) loan.
    must_ok(c.run(d, "WEBANK", "loan.originate", originate_body(plain_loan)));
    expect_rejected(c, 5002, "HUARUI", "loan.accept_tranche", id_body("L-9"), d);
}

TEST_CASE("loan proposal records round-trip and reject damage", "[contracts][origination][state]") {
    LoanProposal p;
    p.proposed_height = 7;
    p.proposed_date = day("2024-01-15");
    p.expires_after = day("2024-01-20");
    p.outcome = ProposalOutcome::kRejected;
    p.closed_height = 9;
    p.rejected_by = "HUARUI";
    p.reason = "no";
    p.tranches = {{Acceptance::kNotRequired, 240000, 0}, {Acceptance::kRejected, 560000, 9}};
    const std::string bytes = encode(p, kRecordVersionLatest);
    CHECK(decode_loan_proposal(bytes).value() == p);
    CHECK_FALSE(decode_loan_proposal(bytes + "x").ok());
    CHECK_FALSE(decode_loan_proposal(bytes.substr(0, bytes.size() - 1)).ok());
    std::string bad = bytes;
    bad[1 + 1 + 4 + 4] = 4;  // version, height (a one-byte varint), two dates, then the outcome byte
    CHECK_FALSE(decode_loan_proposal(bad).ok());
    CHECK(keys::proposal_expiry(day("2024-01-20"), "L-1") == "lx/20240120/L-1");
}

}  // namespace jc::contracts::test
