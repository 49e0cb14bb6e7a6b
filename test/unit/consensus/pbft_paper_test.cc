// Goal: the replica implements Castro & Liskov's PBFT (OSDI 1999 / TOCS 2002) as specified in
// docs/spec/consensus.md, section by section: normal case (§4.2), garbage collection and
// checkpoints (§4.3), view changes and the new-view computation (§4.4), persistence and
// restart (§4.5 / ADR 0012), plus the liveness rules (§4.5.2: f+1 join, timer with backoff).
// Method: real replicas driven by the scripted Harness: synchronous FIFO delivery, drop filters
// to lose messages or silence validators, explicit ticks, and held persistence acknowledgements.
#include "harness.h"

using namespace jc;
using namespace jc::consensus;
using namespace jc::consensus::testing;

namespace {

bool same_chain(Harness& h, std::uint32_t a, std::uint32_t b) {
    const auto& la = h.ledger(a);
    const auto& lb = h.ledger(b);
    for (std::size_t i = 0; i < std::min(la.size(), lb.size()); ++i) {
        if (la[i].proposal.digest != lb[i].proposal.digest) {
            return false;
        }
    }
    return true;
}

void check_certificates(Harness& h, std::uint32_t i) {
    for (const auto& b : h.ledger(i)) {
        REQUIRE(verify_certificate_with(b.certificate, VoteKind::kCommit, kChain, h.keys(), h.verifier()).ok());
        CHECK(b.certificate.height == b.height);
        CHECK(b.certificate.digest == b.proposal.digest);
    }
}

}  // namespace

TEST_CASE("§4.2 normal case: pre-prepare, prepare, commit; every replica commits with a certificate",
          "[consensus][paper]") {
    Harness h(4);
    const auto p = h.propose(0, "block-1");
    REQUIRE(p);
    h.pump();
    for (std::uint32_t i = 0; i < 4; ++i) {
        REQUIRE(h.ledger(i).size() == 1);
        CHECK(h.ledger(i)[0].proposal == *p);
        check_certificates(h, i);
    }
    CHECK(h.ledger(0)[0].proposal.parent_digest == test_genesis());
}

TEST_CASE("§4.2 only the primary proposes, and only at its slot", "[consensus][paper]") {
    Harness h(4);
    CHECK_FALSE(h.replica(1).proposal_slot().has_value());
    const auto slot = h.replica(0).proposal_slot();
    REQUIRE(slot);
    CHECK(slot->height == 1);
    CHECK(slot->parent_digest == test_genesis());
    const Proposal wrong = sim::make_sim_proposal(2, test_genesis(), Bytes{1});
    CHECK(h.step(0, Propose{2, wrong}).reason == Rejection::kWrongHeight);
    const Proposal invalid{sha256(std::string_view("not the header hash")), test_genesis(), Bytes{1}};
    CHECK(h.step(0, Propose{1, invalid}).reason == Rejection::kInvalidProposal);
}

TEST_CASE("§4.2 pipelining: a window of heights in flight commits in order", "[consensus][paper]") {
    Config c;
    c.window_heights = 4;
    c.results_lag_heights_max = 8;
    c.checkpoint_horizon_heights = 16;
    Harness h(4, c);
    // Four proposals before any message is delivered; the fifth does not fit the window.
    for (int k = 0; k < 4; ++k) {
        REQUIRE(h.propose(0, "b" + std::to_string(k)));
    }
    CHECK_FALSE(h.replica(0).proposal_slot().has_value());
    h.pump();
    for (std::uint32_t i = 0; i < 4; ++i) {
        REQUIRE(h.ledger(i).size() == 4);
        check_certificates(h, i);
        CHECK(same_chain(h, 0, i));
    }
    REQUIRE(h.replica(0).proposal_slot().has_value());
    CHECK(h.replica(0).proposal_slot()->height == 5);
}

TEST_CASE("§4.2 pipelining with reordering: later heights prepare only after their parent", "[consensus][paper]") {
    Harness h(4);
    REQUIRE(h.propose(0, "one"));
    REQUIRE(h.propose(0, "two"));
    // Deliver height 2's pre-prepare before height 1's everywhere.
    auto& net = h.network();
    std::stable_sort(net.begin(), net.end(), [](const Envelope& a, const Envelope& b) {
        const auto ha = std::holds_alternative<PrePrepare>(a.message) ? std::get<PrePrepare>(a.message).height : 0;
        const auto hb = std::holds_alternative<PrePrepare>(b.message) ? std::get<PrePrepare>(b.message).height : 0;
        return ha > hb;
    });
    h.pump();
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.ledger(i).size() == 2);
    }
}

TEST_CASE("§4.2 n = 1 is a dev chain: the single validator commits its own proposals", "[consensus][paper]") {
    Harness h(1);
    for (int k = 0; k < 20; ++k) {
        REQUIRE(h.propose(0, "dev" + std::to_string(k)));
    }
    CHECK(h.ledger(0).size() == 20);
    check_certificates(h, 0);
    CHECK(h.replica(0).status().stable_height == 20);
}

TEST_CASE("§4.2 weighted quorums: a heavy validator is needed for a quorum", "[consensus][paper]") {
    // W = 5, f = 1, Q = 4: validators 1..3 weigh 3 together and cannot commit without 0.
    Harness h(std::vector<std::uint64_t>{2, 1, 1, 1});
    REQUIRE(h.propose(0, "x"));
    h.drop = [](const Envelope& e) { return e.from == 0 && !std::holds_alternative<PrePrepare>(e.message); };
    h.pump();
    for (std::uint32_t i = 1; i < 4; ++i) {
        CHECK(h.ledger(i).empty());
    }
    h.drop = nullptr;
    h.tick_all(8);  // retransmission delivers validator 0's votes
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.ledger(i).size() == 1);
    }
}

TEST_CASE("§4.2 persist before send: no vote leaves before its record is acknowledged", "[consensus][paper]") {
    Harness h(4);
    h.hold_acks(1, true);
    REQUIRE(h.propose(0, "x"));
    h.sent().clear();
    h.pump();
    const auto sent_by_1 = [&] {
        return std::count_if(h.sent().begin(), h.sent().end(), [](const Envelope& e) { return e.from == 1; });
    };
    CHECK(sent_by_1() == 0);
    CHECK_FALSE(h.durable(1).size() > 0);
    h.ack(1);
    CHECK(sent_by_1() > 0);
    CHECK(h.durable(1).size() > 0);
}

TEST_CASE("§4.3 checkpoints become stable with a quorum and collect garbage", "[consensus][paper]") {
    Harness h(4);
    for (int k = 0; k < 5; ++k) {
        REQUIRE(h.propose(0, "b" + std::to_string(k)));
        h.pump();
    }
    for (std::uint32_t i = 0; i < 4; ++i) {
        const auto st = h.replica(i).status();
        CHECK(st.head_height == 5);
        CHECK(st.executed_height == 5);
        CHECK(st.stable_height == 5);
        CHECK(st.log_slots == 0);
        CHECK(st.checkpoint_votes == 0);
        REQUIRE(h.stable(i));
        CHECK(verify_certificate_with(*h.stable(i), VoteKind::kCheckpoint, kChain, h.keys(), h.verifier()).ok());
        CHECK(h.stable(i)->height == 5);
    }
}

TEST_CASE("§4.3 a replica whose results differ from the checkpoint quorum halts loudly", "[consensus][paper]") {
    Harness h(4);
    h.corrupt_results(3);
    REQUIRE(h.propose(0, "x"));
    h.pump();
    REQUIRE(h.diverged(3));
    CHECK(h.diverged(3)->height == 1);
    CHECK(h.diverged(3)->ours != h.diverged(3)->quorum);
    CHECK(h.replica(3).status().halted);
    CHECK(h.step(3, Tick{}).reason == Rejection::kHalted);
    for (std::uint32_t i = 0; i < 3; ++i) {
        CHECK_FALSE(h.diverged(i));
        CHECK_FALSE(h.replica(i).status().halted);
    }
}

TEST_CASE("§4.3 the results lag is bounded: no votes beyond stable + results_lag_heights_max", "[consensus][paper]") {
    Config c;
    c.window_heights = 2;
    c.results_lag_heights_max = 2;
    c.checkpoint_horizon_heights = 4;
    Harness h(4, c);
    // Checkpoints are lost: nothing becomes stable, so heights stop at the lag bound.
    h.drop = [](const Envelope& e) { return std::holds_alternative<Checkpoint>(e.message); };
    for (int k = 0; k < 4; ++k) {
        if (h.propose(0, "b" + std::to_string(k))) {
            h.pump();
        }
    }
    CHECK(h.ledger(1).size() == 2);
    CHECK_FALSE(h.replica(0).proposal_slot().has_value());
    h.drop = nullptr;
    h.set_work_pending(true);
    h.tick_all(5);  // retransmitted checkpoints make height 2 stable
    CHECK(h.replica(1).status().stable_height == 2);
    CHECK(h.replica(0).proposal_slot().has_value());
}

TEST_CASE("§4.4 the view-change timer runs only when there is work", "[consensus][paper]") {
    Harness h(4);
    h.tick_all(200);
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.replica(i).status().view == 0);
    }
    h.set_work_pending(true);  // requests wait, but the primary proposes nothing
    h.tick_all(Config{}.view_change_timeout_ticks + 5);
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.replica(i).status().view >= 1);
    }
}

TEST_CASE("§4.4 view change after a silent primary; the new primary continues the chain", "[consensus][paper]") {
    Harness h(4);
    REQUIRE(h.propose(0, "before"));
    h.pump();
    h.drop = [](const Envelope& e) { return e.from == 0 || e.to == 0; };
    h.set_work_pending(true);
    h.tick_all(Config{}.view_change_timeout_ticks + 5);
    for (std::uint32_t i = 1; i < 4; ++i) {
        CHECK(h.replica(i).status().view == 1);
        CHECK(h.replica(i).status().status == ViewStatus::kNormal);
    }
    const auto p = h.propose(1, "after");
    REQUIRE(p);
    CHECK(p->parent_digest == h.ledger(1)[0].proposal.digest);
    h.pump();
    for (std::uint32_t i = 1; i < 4; ++i) {
        REQUIRE(h.ledger(i).size() == 2);
        CHECK(h.ledger(i)[1].certificate.view == 1);
    }
}

TEST_CASE("§4.4 a block prepared before the view change is re-proposed with the same digest",
          "[consensus][paper]") {
    Harness h(4);
    // Everyone prepares height 1 but every Commit is lost: nothing commits in view 0.
    h.drop = [](const Envelope& e) {
        return std::holds_alternative<Vote>(e.message) && std::get<Vote>(e.message).kind == VoteKind::kCommit;
    };
    const auto p = h.propose(0, "prepared");
    REQUIRE(p);
    h.pump();
    CHECK(h.ledger(1).empty());
    // Now the primary goes silent and its late commits never arrive.
    h.drop = [](const Envelope& e) {
        return e.from == 0 || e.to == 0 ||
               (std::holds_alternative<Vote>(e.message) && std::get<Vote>(e.message).view == 0);
    };
    h.set_work_pending(true);
    h.tick_all(Config{}.view_change_timeout_ticks + 10);
    for (std::uint32_t i = 1; i < 4; ++i) {
        REQUIRE(h.ledger(i).size() == 1);
        CHECK(h.ledger(i)[0].proposal == *p);  // the prepared block survived the view change
        CHECK(h.ledger(i)[0].certificate.view == 1);
    }
}

TEST_CASE("§4.4 new-view: a backup recomputes the selection and rejects a different one",
          "[consensus][paper]") {
    Harness h(4);
    h.drop = [](const Envelope& e) { return std::holds_alternative<NewView>(e.message); };
    h.set_work_pending(true);
    h.tick_all(Config{}.view_change_timeout_ticks + 3);
    // Replica 1 (primary of view 1) built a NewView; catch it from the sent log.
    std::optional<NewView> nv;
    for (const auto& e : h.sent()) {
        if (const auto* m = std::get_if<NewView>(&e.message)) {
            nv = *m;
        }
    }
    REQUIRE(nv);
    NewView altered = *nv;
    altered.selected.push_back({1, sha256(std::string_view("invented"))});
    const Message signed_altered = h.sign_as(1, altered);
    CHECK(h.step(2, Received{1, signed_altered}).reason == Rejection::kBadNewView);
    CHECK(h.replica(2).status().status == ViewStatus::kViewChange);
    CHECK(h.step(2, Received{1, *nv}).ok());
    CHECK(h.replica(2).status().status == ViewStatus::kNormal);
    CHECK(h.replica(2).status().view == nv->view);
}

TEST_CASE("§4.5.2 a replica joins a higher view only on f+1 weight of view changes", "[consensus][paper]") {
    Harness h(4);
    const auto vc_from = [&](ValidatorIndex signer, std::uint64_t view) {
        ViewChange vc;
        vc.new_view = view;
        vc.signer = signer;
        vc.committed = {0, test_genesis(), std::nullopt};
        return h.sign_as(signer, vc);
    };
    CHECK(h.step(0, Received{2, vc_from(2, 5)}).ok());
    CHECK(h.replica(0).status().view == 0);  // one validator (f = 1) is not enough
    CHECK(h.step(0, Received{3, vc_from(3, 7)}).ok());
    const auto st = h.replica(0).status();
    CHECK(st.view == 5);  // the largest view that f+1 weight has reached
    CHECK(st.status == ViewStatus::kViewChange);
}

TEST_CASE("§4.5.2 timeouts double per failed view and are capped", "[consensus][paper]") {
    Config c;
    c.view_change_timeout_ticks = 4;
    c.view_change_timeout_ticks_max = 16;
    Harness h(4, c);
    h.drop = [](const Envelope& e) { return std::holds_alternative<NewView>(e.message); };  // every view fails
    h.set_work_pending(true);
    std::vector<std::uint64_t> timeouts;
    for (int k = 0; k < 200; ++k) {
        h.tick_all(1);
        const auto t = h.replica(2).status().timeout_ticks;
        if (timeouts.empty() || timeouts.back() != t) {
            timeouts.push_back(t);
        }
    }
    CHECK(timeouts == std::vector<std::uint64_t>{4, 8, 16});
    CHECK(h.replica(2).status().view >= 3);
}

TEST_CASE("§4.5 restart: recorded votes are never contradicted at the same (view, height)",
          "[consensus][paper]") {
    Harness h(4);
    const auto p = h.propose(0, "original");
    REQUIRE(p);
    // Replica 2 receives only the pre-prepare and prepares it; nothing else is delivered.
    h.drop = [](const Envelope& e) { return !(e.to == 2 && std::holds_alternative<PrePrepare>(e.message)); };
    h.pump();
    REQUIRE(std::any_of(h.durable(2).begin(), h.durable(2).end(), [](const Record& r) {
        return std::holds_alternative<VoteRecord>(r) && std::get<VoteRecord>(r).kind == VoteKind::kPrepare;
    }));
    h.crash_and_restart(2);
    // An equivocating primary now offers another block at (0, 1).
    const Proposal other = sim::make_sim_proposal(1, test_genesis(), Bytes{'o', 't', 'h', 'e', 'r'});
    h.sent().clear();
    const auto out = h.step(2, Received{0, h.sign_as(0, PrePrepare{0, 1, other, 0, {}})});
    CHECK(out.reason == Rejection::kEquivocation);
    for (const auto& e : h.sent()) {
        if (const auto* v = std::get_if<Vote>(&e.message); v && v->signer == 2 && v->height == 1) {
            CHECK(v->digest == p->digest);
        }
    }
    // The recorded prepare is re-sent after the restart, and the original block still commits.
    h.drop = nullptr;
    h.tick_all(10);
    for (std::uint32_t i = 0; i < 4; ++i) {
        REQUIRE(h.ledger(i).size() == 1);
        CHECK(h.ledger(i)[0].proposal == *p);
    }
}

TEST_CASE("§4.5 restart: a lost (unacknowledged) vote was never sent", "[consensus][paper]") {
    Harness h(4);
    h.hold_acks(3, true);
    REQUIRE(h.propose(0, "x"));
    h.pump();
    CHECK(std::none_of(h.sent().begin(), h.sent().end(), [](const Envelope& e) { return e.from == 3; }));
    h.hold_acks(3, false);
    h.crash_and_restart(3);  // its Prepare record is lost with the crash
    h.tick_all(10);
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.ledger(i).size() == 1);
    }
}

TEST_CASE("catch-up: a replica that is behind asks for blocks and moves its head on Synced",
          "[consensus][paper]") {
    Harness h(4);
    h.drop = [](const Envelope& e) { return e.to == 3; };
    for (int k = 0; k < 3; ++k) {
        REQUIRE(h.propose(0, "b" + std::to_string(k)));
        h.pump();
    }
    CHECK(h.ledger(3).empty());
    h.drop = nullptr;
    h.set_work_pending(true);
    h.tick_all(Config{}.retransmit_ticks + Config{}.fetch_retry_ticks + 2);
    REQUIRE_FALSE(h.fetches(3).empty());
    CHECK(h.fetches(3).front().from_height == 1);
    CHECK(h.fetches(3).front().to_height >= 3);
    for (const auto& b : h.ledger(0)) {
        CHECK(h.step(3, Synced{b.height, b.proposal.digest, b.proposal.parent_digest, b.certificate}).ok());
    }
    CHECK(h.replica(3).status().head_height == 3);
    // A block that does not extend the head, or with a bad certificate, is refused.
    auto b = h.ledger(0)[2];
    CHECK(h.step(3, Synced{3, b.proposal.digest, b.proposal.parent_digest, b.certificate}).reason ==
          Rejection::kStaleHeight);
}

TEST_CASE("§4.5 restart: corrupt or contradictory records are refused, not trusted", "[consensus][paper]") {
    Harness h(4);
    REQUIRE(h.propose(0, "x"));
    h.pump();
    sim::FakeSigner signer(sim::fake_secret(77, 1));
    sim::SimProposalValidator validator;
    const auto open = [&](const Recovered& r) { return Replica::create(h.config(1), signer, h.verifier(), validator, r); };

    Recovered base;
    base.committed_height = 0;
    base.committed_digest = test_genesis();
    REQUIRE(open(base).ok());

    Recovered two_votes = base;
    two_votes.records = {VoteRecord{VoteKind::kPrepare, 0, 1, sha256(std::string_view("a")), std::nullopt},
                         VoteRecord{VoteKind::kPrepare, 0, 1, sha256(std::string_view("b")), std::nullopt}};
    auto r = open(two_votes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::kCorruption);

    Recovered forged_prepared = base;
    const Proposal p = sim::make_sim_proposal(1, test_genesis(), Bytes{'p'});
    forged_prepared.records = {PreparedRecord{{p, Certificate{VoteKind::kPrepare, 0, 1, p.digest, {{0, {}}, {1, {}}, {2, {}}}}}}};
    r = open(forged_prepared);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::kCorruption);

    Recovered bad_head = base;
    bad_head.committed_height = 1;
    bad_head.committed_digest = h.ledger(0)[0].proposal.digest;
    bad_head.committed_certificate = h.ledger(0)[0].certificate;
    bad_head.committed_certificate->signatures.pop_back();  // below quorum now
    r = open(bad_head);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Errc::kCorruption);

    Recovered good_head = base;
    good_head.committed_height = 1;
    good_head.committed_digest = h.ledger(0)[0].proposal.digest;
    good_head.committed_certificate = h.ledger(0)[0].certificate;
    good_head.executed_height = 2;  // executed beyond the ledger head
    r = open(good_head);
    REQUIRE_FALSE(r.ok());
    good_head.executed_height = 1;
    CHECK(open(good_head).ok());
}

TEST_CASE("config: inconsistent limits are refused with a reason", "[consensus][config]") {
    Harness h(4);
    Config ok = h.config(0);
    REQUIRE(validate_config(ok).ok());
    const auto refuses = [](Config c) { return !validate_config(c).ok(); };
    Config c = ok;
    c.self = 4;
    CHECK(refuses(c));
    c = ok;
    c.validators[2].index = 5;
    CHECK(refuses(c));
    c = ok;
    c.validators[1].weight = 0;
    CHECK(refuses(c));
    c = ok;
    c.window_heights = 0;
    CHECK(refuses(c));
    c = ok;
    c.window_heights = kWindowHeightsMax + 1;
    CHECK(refuses(c));
    c = ok;
    c.results_lag_heights_max = c.window_heights - 1;
    CHECK(refuses(c));
    c = ok;
    c.checkpoint_horizon_heights = c.results_lag_heights_max - 1;
    CHECK(refuses(c));
    c = ok;
    c.view_change_timeout_ticks_max = c.view_change_timeout_ticks - 1;
    CHECK(refuses(c));
    c = ok;
    c.validators.clear();
    CHECK(refuses(c));
}

TEST_CASE("regression: checkpoints queued behind unacknowledged votes stay bounded", "[consensus][regress]") {
    // Found by the simulator (weighted, seed 10217): own Checkpoints wait in the same FIFO as
    // votes awaiting persistence, so a slow disk released many at once past the trim.
    Config c;
    c.checkpoint_horizon_heights = 16;
    Harness h(4, c);
    h.hold_acks(1, true);  // replica 1's disk stalls; the others commit without its votes
    for (int k = 0; k < 40; ++k) {
        if (h.propose(0, "b" + std::to_string(k))) {
            h.pump();
        }
    }
    CHECK(h.ledger(1).size() >= 30);  // it still commits and executes from the others' votes
    h.ack(1);                         // everything is released at once: bounds must hold
    h.hold_acks(1, false);
    h.tick_all(5);
    CHECK_FALSE(h.replica(1).status().halted);
}
