// Goal: governance.set_params and member.register / update / suspend take effect only with a
// quorum of member banks' approvals (ADR 0060), with deterministic expiry, and every
// governance rejection changes nothing.
// Method: the test chain's voters are WEBANK, HUARUI and BANKC (REGUL is regulator-only,
// SUSPBK suspended), so the default quorum is ceil(3 x 5001 / 10000) = 2: a proposal by one bank
// executes on the first other bank's approval. Each case reads the records back (params, member)
// and the next transactions' behaviour; rejections compare the whole state before and after.
#include "chain.h"

#include <jc/contracts/query.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace jc::contracts::test {
namespace {

struct Gov {
    Chain c{test_params()};

    TxReceipt expect(int code, const std::string& bank, const std::string& type, const json::Value& body,
                     const std::string& date = "2024-03-01") {
        return expect_rejected(c, code, bank, type, body, date);
    }

    Params params() const {
        auto raw = c.state().get(keys::params());
        REQUIRE(raw.ok());
        REQUIRE(raw->has_value());
        return decode_params(**raw).value();
    }
    std::optional<Member> member(const std::string& bank) const {
        auto raw = c.state().get(keys::member(bank));
        REQUIRE(raw.ok());
        if (!raw->has_value()) {
            return std::nullopt;
        }
        return decode_member(**raw).value();
    }
};

json::Value approve(const std::string& id, const std::string& d) {
    return json::Value{{"proposal_id", id}, {"action_digest", d}};
}

const json::Value kSetParams{{"proposal_id", "GP-1"},
                             {"cycle_cutoffs", json::Value::array({"10:00", "15:30", "24:00"})},
                             {"rate_bases", json::Value::array({"DAILY"})},
                             {"rounding_mode", "HALF_EVEN"},
                             {"calendar", json::Value{{"add_holidays", json::Value::array({"2024-10-01", "2024-10-02"})},
                                                      {"add_working_weekends", json::Value::array({"2024-09-29"})}}}};

}  // namespace

TEST_CASE("set_params executes at quorum and applies from the next block", "[contracts][governance]") {
    Gov g;
    const Params before = g.params();
    const auto proposed = must_ok(g.c.run("2024-03-01", "WEBANK", "governance.set_params", kSetParams));
    const json::Value p = proposed.result_json()["proposal"];
    CHECK(p["status"] == "OPEN");
    CHECK(p["approvals"] == json::Value::array({"WEBANK"}));
    CHECK(p["voters"] == 3);
    CHECK(p["quorum"] == 2);
    CHECK(p["action_digest"] == action_digest("governance.set_params", kSetParams));
    CHECK(p["expires_after"] == "2024-03-08");
    CHECK(g.params() == before);  // one approval of two: nothing changes yet

    // HUARUI approves; in the same block WEBANK originates an ACT/360 loan: the old parameters
    // still hold for this block.
    g.c.partnership(PartnershipSpec{});
    LoanSpec l;
    l.basis = "ACT/360";
    l.rate = "180000000";
    l.penalty_rate = "270000000";
    const auto approve_tx = g.c.tx("HUARUI", "governance.approve", approve("GP-1", action_digest("governance.set_params", kSetParams)));
    const auto out = g.c.block("2024-03-01", {approve_tx, g.c.tx("WEBANK", "loan.originate", originate_body(l))});
    must_ok(out.receipts[0]);
    must_ok(out.receipts[1]);
    CHECK(out.receipts[0].result_json()["proposal"]["status"] == "EXECUTED");
    CHECK(out.receipts[0].result_json()["executed"]["effective"] == "from the next block");
    const Params after = g.params();
    CHECK(after.cycle_cutoffs_minutes == std::vector<std::uint32_t>{600, 930, 1440});
    CHECK(after.rate_bases == 1);
    CHECK(after.rounding == arith::Rounding::kHalfEven);
    CHECK(after.holidays == std::vector<Date>{day("2024-10-01"), day("2024-10-02")});
    CHECK(after.working_weekends == std::vector<Date>{day("2024-09-29")});
    CHECK(after.products == before.products);  // untouched fields keep their values
    // From the next block: ACT/360 is no longer allowed for new loans (1006).
    LoanSpec l2 = l;
    l2.loan_id = "L-0002";
    l2.channel_ref = "DISB-0002";
    g.expect(1006, "WEBANK", "loan.originate", originate_body(l2), "2024-03-02");
    // DUPLICATE replay of the executing approval: same result, nothing changes.
    {
        const auto snapshot = g.c.state().entries();
        const auto dup = g.c.block("2024-03-02", {approve_tx}).receipts.at(0);
        CHECK(dup.status == TxStatus::kDuplicate);
        CHECK(dup.result == out.receipts[0].result);
        CHECK(g.c.state().entries() == snapshot);
    }
    // An executed proposal takes no more approvals (6006).
    g.expect(6006, "BANKC", "governance.approve", approve("GP-1", action_digest("governance.set_params", kSetParams)), "2024-03-02");
    // A calendar change can remove what it added.
    const json::Value undo{{"proposal_id", "GP-2"},
                           {"calendar", json::Value{{"remove_holidays", json::Value::array({"2024-10-02"})}}}};
    must_ok(g.c.run("2024-03-03", "BANKC", "governance.set_params", undo));
    must_ok(g.c.run("2024-03-03", "WEBANK", "governance.approve", approve("GP-2", action_digest("governance.set_params", undo))));
    CHECK(g.params().holidays == std::vector<Date>{day("2024-10-01")});
}

TEST_CASE("governance rejections change nothing", "[contracts][governance][errors]") {
    Gov g;
    must_ok(g.c.run("2024-03-01", "WEBANK", "governance.set_params", kSetParams));
    const std::string d = action_digest("governance.set_params", kSetParams);
    g.expect(6001, "HUARUI", "governance.approve", approve("GP-NONE", d));
    g.expect(6004, "HUARUI", "governance.approve", approve("GP-1", std::string(64, '0')));
    g.expect(6005, "WEBANK", "governance.approve", approve("GP-1", d));  // the proposer already approved
    g.expect(2007, "REGUL", "governance.approve", approve("GP-1", d));   // regulator-only: not a voter
    g.expect(6002, "HUARUI", "governance.set_params", kSetParams);       // proposal id taken
    g.expect(2007, "REGUL", "governance.set_params", json::Value{{"proposal_id", "GP-R"}, {"npl_dpd_threshold", 60}});
    // Expiry: created 2024-03-01 with ttl 7 days -> approvals after 2024-03-08 are refused.
    g.expect(6003, "HUARUI", "governance.approve", approve("GP-1", d), "2024-03-09");
    // Form and validity of the parameters.
    g.expect(1001, "WEBANK", "governance.set_params", json::Value{{"proposal_id", "GP-3"}});  // nothing to change
    g.expect(1001, "WEBANK", "governance.set_params", json::Value{{"proposal_id", "GP-3"}, {"cutoffs", 1}});
    g.expect(1001, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"}, {"cycle_cutoffs", json::Value::array({"25:00"})}});
    g.expect(1006, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"}, {"rate_bases", json::Value::array({"ACT/365"})}});
    g.expect(1005, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"},
                         {"calendar", json::Value{{"add_holidays", json::Value::array({"2024-02-30"})}}}});
    g.expect(6007, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"}, {"cycle_cutoffs", json::Value::array({"16:00", "11:00"})}});
    g.expect(6007, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"},
                         {"calendar", json::Value{{"remove_holidays", json::Value::array({"2024-05-01"})}}}});
    g.expect(6007, "WEBANK", "governance.set_params",
             json::Value{{"proposal_id", "GP-3"}, {"rate_bases", json::Value::array()}});
}

TEST_CASE("member register, update and suspend by quorum", "[contracts][governance]") {
    Gov g;
    const auto new_key = crypto::SecretKey::from_hex(std::string(63, '7') + "1").value();
    const json::Value reg{{"proposal_id", "GP-M1"},
                          {"bank_id", "NEWBK"},
                          {"name", "New Bank"},
                          {"cnaps_code", "999900000011"},
                          {"keys", json::Value::array({new_key.public_key().hex()})},
                          {"roles", json::Value::array({"FUNDER"})}};
    must_ok(g.c.run("2024-03-01", "BANKC", "governance.set_params", json::Value{{"proposal_id", "GP-0"}, {"npl_dpd_threshold", 90}}));
    must_ok(g.c.run("2024-03-01", "WEBANK", "member.register", reg));
    CHECK_FALSE(g.member("NEWBK").has_value());
    const auto done = must_ok(g.c.run("2024-03-01", "HUARUI", "governance.approve", approve("GP-M1", action_digest("member.register", reg))));
    CHECK(done.result_json()["executed"]["member"]["bank_id"] == "NEWBK");
    const auto m = g.member("NEWBK");
    REQUIRE(m.has_value());
    CHECK(m->status == MemberStatus::kActive);
    CHECK(m->has_role(Role::kFunder));
    CHECK(m->keys == std::vector<crypto::PublicKey>{new_key.public_key()});
    // Now 4 voters: quorum ceil(4 x 0.5001) = 3. NEWBK signs with its key and votes on GP-0.
    {
        ledger::UnsignedTx u{kChainId, "governance.approve", "NEWBK", "NB-1",
                             approve("GP-0", action_digest("governance.set_params",
                                                    json::Value{{"proposal_id", "GP-0"}, {"npl_dpd_threshold", 90}}))};
        auto signed_tx = ledger::Transaction::sign(u, new_key);
        REQUIRE(signed_tx.ok());
        const auto r = g.c.block("2024-03-01", {std::make_shared<const ledger::Transaction>(*signed_tx)}).receipts.at(0);
        must_ok(r);
        CHECK(r.result_json()["proposal"]["quorum"] == 3);
        CHECK(r.result_json()["proposal"]["status"] == "OPEN");  // BANKC + NEWBK = 2 of 3
    }
    g.expect(6008, "WEBANK", "member.register", [&] {
        json::Value b = reg;
        b["proposal_id"] = "GP-M2";
        return b;
    }());
    g.expect(6010, "WEBANK", "member.register", [&] {
        json::Value b = reg;
        b["proposal_id"] = "GP-M2";
        b["bank_id"] = "OTHER";
        b["keys"] = json::Value::array({g.c.key("HUARUI").public_key().hex()});
        return b;
    }());
    g.expect(6009, "WEBANK", "member.update", json::Value{{"proposal_id", "GP-M2"}, {"bank_id", "NOBANK"}, {"name", "X"}});
    g.expect(1001, "WEBANK", "member.update", json::Value{{"proposal_id", "GP-M2"}, {"bank_id", "NEWBK"}});
    g.expect(1001, "WEBANK", "member.register", [&] {
        json::Value b = reg;
        b["proposal_id"] = "GP-M2";
        b["keys"] = json::Value::array({"02" + std::string(64, '0')});  // not a curve point
        return b;
    }());

    // Update: rename NEWBK (3 approvals needed now).
    const json::Value upd{{"proposal_id", "GP-M3"}, {"bank_id", "NEWBK"}, {"name", "New Bank Ltd"}};
    must_ok(g.c.run("2024-03-02", "WEBANK", "member.update", upd));
    must_ok(g.c.run("2024-03-02", "HUARUI", "governance.approve", approve("GP-M3", action_digest("member.update", upd))));
    CHECK(g.member("NEWBK")->name == "New Bank");
    must_ok(g.c.run("2024-03-02", "BANKC", "governance.approve", approve("GP-M3", action_digest("member.update", upd))));
    CHECK(g.member("NEWBK")->name == "New Bank Ltd");

    // Suspend BANKC: at execution the member changes at once, so BANKC's next transaction in the
    // same block is refused (2002).
    const json::Value sus{{"proposal_id", "GP-M4"}, {"bank_id", "BANKC"}};
    must_ok(g.c.run("2024-03-03", "WEBANK", "member.suspend", sus));
    must_ok(g.c.run("2024-03-03", "HUARUI", "governance.approve", approve("GP-M4", action_digest("member.suspend", sus))));
    CHECK(g.member("BANKC")->status == MemberStatus::kActive);  // 2 of 3 approvals so far
    ledger::UnsignedTx u{kChainId, "governance.approve", "NEWBK", "NB-2", approve("GP-M4", action_digest("member.suspend", sus))};
    auto nb = ledger::Transaction::sign(u, new_key);
    REQUIRE(nb.ok());
    const auto out = g.c.block("2024-03-03", {std::make_shared<const ledger::Transaction>(*nb),
                                              g.c.tx("BANKC", "governance.set_params",
                                                     json::Value{{"proposal_id", "GP-X"}, {"npl_dpd_threshold", 80}})});
    must_ok(out.receipts[0]);
    CHECK(out.receipts[0].result_json()["proposal"]["status"] == "EXECUTED");
    CHECK(g.member("BANKC")->status == MemberStatus::kSuspended);
    CHECK(out.receipts[1].code == 2002);
    // Voters are now WEBANK, HUARUI, NEWBK: BANKC's earlier approval of GP-0 no longer counts.
    g.expect(2002, "WEBANK", "member.suspend", json::Value{{"proposal_id", "GP-M5"}, {"bank_id", "BANKC"}}, "2024-03-04");

    // getMembers answers from this state: the registered bank, its new name and key, and the
    // suspension, in bank_id order.
    const auto listed = query::list_members(g.c.state());
    REQUIRE(listed.ok());
    std::vector<std::string> ids;
    for (const auto& listed_member : listed.value()["members"]) {
        ids.push_back(listed_member["bank_id"].get<std::string>());
        if (listed_member["bank_id"] == "NEWBK") {
            CHECK(listed_member["name"] == "New Bank Ltd");
            CHECK(listed_member["keys"] == json::Value::array({new_key.public_key().hex()}));
            CHECK(listed_member["roles"] == json::Value::array({"FUNDER"}));
            CHECK(listed_member["status"] == "ACTIVE");
        }
        if (listed_member["bank_id"] == "BANKC") {
            CHECK(listed_member["status"] == "SUSPENDED");
        }
    }
    CHECK(std::find(ids.begin(), ids.end(), "NEWBK") != ids.end());
    CHECK(std::is_sorted(ids.begin(), ids.end()));
}

TEST_CASE("governance proposals read back as approvers must see them", "[contracts][governance][query]") {
    // What a bank reads before it approves: the action body and its digest, who approved, the
    // quorum, and the status on a given business date (OPEN, EXECUTED, or EXPIRED after the TTL).
    Gov g;
    const json::Value suspend{{"proposal_id", "GP-S"}, {"bank_id", "BANKC"}};
    must_ok(g.c.run("2024-03-01", "WEBANK", "governance.set_params", kSetParams));
    must_ok(g.c.run("2024-03-01", "HUARUI", "member.suspend", suspend));
    const Date mar1 = day("2024-03-01");

    auto gp1 = query::get_governance_proposal(g.c.state(), "GP-1", mar1);
    REQUIRE(gp1.ok());
    const json::Value& p = *gp1;
    CHECK(p["status"] == "OPEN");
    CHECK(p["type"] == "governance.set_params");
    CHECK(p["action"] == kSetParams);
    CHECK(p["action_digest"] == action_digest("governance.set_params", kSetParams));
    CHECK(p["proposer"] == "WEBANK");
    CHECK(p["approvals"] == json::Value::array({"WEBANK"}));
    CHECK(p["quorum"] == 2);
    CHECK(p["voters"] == 3);
    CHECK(p["created_date"] == "2024-03-01");
    CHECK(p["expires_after"] == "2024-03-08");
    CHECK_FALSE(p.contains("executed_height"));
    // Past its TTL an open proposal reads as EXPIRED (an approval would get 6003).
    CHECK((*query::get_governance_proposal(g.c.state(), "GP-1", day("2024-03-08")))["status"] == "OPEN");
    CHECK((*query::get_governance_proposal(g.c.state(), "GP-1", day("2024-03-09")))["status"] == "EXPIRED");
    CHECK(query::get_governance_proposal(g.c.state(), "GP-NONE", mar1)->is_null());

    // BANKC's suspension executes on WEBANK's approval; the electorate shrinks to 2, whose strict
    // majority is still 2 (ceil(2 x 5001 / 10000)).
    must_ok(g.c.run("2024-03-02", "WEBANK", "governance.approve",
                    approve("GP-S", action_digest("member.suspend", suspend))));
    auto all = query::list_governance_proposals(g.c.state(), "", day("2024-03-02"));
    REQUIRE(all.ok());
    REQUIRE((*all)["count"] == 2);
    CHECK((*all)["proposals"][0]["proposal_id"] == "GP-1");  // proposal-id order
    const json::Value& s = (*all)["proposals"][1];
    CHECK(s["status"] == "EXECUTED");
    CHECK(s["approvals"] == json::Value::array({"HUARUI", "WEBANK"}));
    CHECK(s["executed_height"].get<std::uint64_t>() > s["created_height"].get<std::uint64_t>());
    CHECK(s["voters"] == 2);
    CHECK(s["quorum"] == 2);
    auto open = query::list_governance_proposals(g.c.state(), "OPEN", day("2024-03-02"));
    REQUIRE((*open)["count"] == 1);
    CHECK((*open)["proposals"][0]["proposal_id"] == "GP-1");
    CHECK((*query::list_governance_proposals(g.c.state(), "EXPIRED", day("2024-03-09")))["count"] == 1);
    CHECK((*query::list_governance_proposals(g.c.state(), "EXECUTED", day("2024-03-09")))["count"] == 1);
    auto bad = query::list_governance_proposals(g.c.state(), "PENDING", mar1);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == Errc::kInvalidArgument);
}

}  // namespace jc::contracts::test
