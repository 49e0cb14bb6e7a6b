// Goal: each Byzantine behaviour is rejected for the right reason, counted, and changes nothing,
// while honest validators stay safe and live. Method: a scripted 4-validator cluster where
// validator 3 (or the primary 0) is the adversary and hand-crafts messages with its own key;
// forged messages claim other validators' authorship without their keys. The simulator's
// randomised versions of the same behaviours are in test/sim/sim_test.cc.
#include "harness.h"

using namespace jc;
using namespace jc::consensus;
using namespace jc::consensus::testing;

namespace {

crypto::Signature junk_sig() {
    crypto::Signature s;
    s.bytes.fill(0x42);
    return s;
}

}  // namespace

TEST_CASE("byzantine: forged signatures are rejected and counted", "[consensus][byzantine]") {
    Harness h(4);
    REQUIRE(h.propose(0, "x"));
    // Validator 3 claims validator 1's prepare without 1's key.
    const Vote forged{VoteKind::kPrepare, 0, 1, sha256(std::string_view("d")), 1, junk_sig()};
    CHECK(h.step(2, Received{3, forged}).reason == Rejection::kBadSignature);
    // And signs a message as itself but names another signer.
    Message wrong_signer = h.sign_as(3, Vote{VoteKind::kCommit, 0, 1, sha256(std::string_view("d")), 3, {}});
    std::get<Vote>(wrong_signer).signer = 2;
    CHECK(h.step(1, Received{3, wrong_signer}).reason == Rejection::kBadSignature);
    CHECK(rejected(h.replica(2), Rejection::kBadSignature) == 1);
    h.pump();
    for (std::uint32_t i = 0; i < 4; ++i) {
        CHECK(h.ledger(i).size() == 1);
    }
}

TEST_CASE("byzantine: an equivocating primary gets at most one block per height", "[consensus][byzantine]") {
    Harness h(4);
    const auto a = h.propose(0, "a");
    REQUIRE(a);
    const Proposal b = sim::make_sim_proposal(1, test_genesis(), Bytes{'b'});
    const Message pp_b = h.sign_as(0, PrePrepare{0, 1, b, 0, {}});
    // Replica 3 sees b first, replicas 1 and 2 see a first; each refuses the second one.
    CHECK(h.step(3, Received{0, pp_b}).ok());
    h.drop = [](const Envelope& e) { return !std::holds_alternative<PrePrepare>(e.message); };
    h.pump();
    CHECK(h.step(1, Received{0, pp_b}).reason == Rejection::kEquivocation);
    CHECK(rejected(h.replica(3), Rejection::kEquivocation) == 1);  // a arrived second there
    h.drop = nullptr;
    h.tick_all(10);  // retransmission delivers the lost votes
    for (std::uint32_t i = 0; i < 3; ++i) {
        REQUIRE(h.ledger(i).size() == 1);
        CHECK(h.ledger(i)[0].proposal == *a);
    }
    // Replica 3 prepared b, so it cannot help a in view 0, but it never commits b either.
    for (const auto& blk : h.ledger(3)) {
        CHECK(blk.proposal == *a);
    }
}

TEST_CASE("byzantine: a pre-prepare from a non-primary or with an invalid block is refused", "[consensus][byzantine]") {
    Harness h(4);
    const Proposal p = sim::make_sim_proposal(1, test_genesis(), Bytes{'p'});
    CHECK(h.step(1, Received{3, h.sign_as(3, PrePrepare{0, 1, p, 3, {}})}).reason == Rejection::kNotPrimary);
    Proposal bad = p;
    bad.payload.push_back('!');  // digest no longer commits to the payload
    CHECK(h.step(1, Received{0, h.sign_as(0, PrePrepare{0, 1, bad, 0, {}})}).reason == Rejection::kInvalidProposal);
    const Proposal orphan = sim::make_sim_proposal(1, sha256(std::string_view("nowhere")), Bytes{'o'});
    CHECK(h.step(1, Received{0, h.sign_as(0, PrePrepare{0, 1, orphan, 0, {}})}).reason == Rejection::kParentMismatch);
}

TEST_CASE("byzantine: stale replays after commit change nothing", "[consensus][byzantine]") {
    Harness h(4);
    REQUIRE(h.propose(0, "x"));
    h.pump();
    const std::vector<Envelope> old = h.sent();
    const auto before = h.ledger(1).size();
    for (const auto& e : old) {
        if (e.to == 1) {
            (void)h.step(1, Received{e.from, e.message});
        }
    }
    CHECK(h.ledger(1).size() == before);
    CHECK(rejected(h.replica(1), Rejection::kStaleHeight) + rejected(h.replica(1), Rejection::kDuplicate) +
              rejected(h.replica(1), Rejection::kStaleView) > 0);
}

TEST_CASE("byzantine: view changes with fake certificates are rejected signature by signature",
          "[consensus][byzantine]") {
    Harness h(4);
    REQUIRE(h.propose(0, "x"));
    h.pump();
    const Certificate real = h.ledger(0)[0].certificate;
    const Proposal p2 = sim::make_sim_proposal(2, real.digest, Bytes{'f'});

    // (1) A prepared certificate whose co-signers' signatures are forged.
    ViewChange vc;
    vc.new_view = 1;
    vc.signer = 3;
    vc.committed = {1, real.digest, real};
    Certificate fake{VoteKind::kPrepare, 0, 2, p2.digest, {{0, junk_sig()}, {1, junk_sig()}, {3, {}}}};
    fake.signatures[2].sig = std::get<Vote>(h.sign_as(3, Vote{VoteKind::kPrepare, 0, 2, p2.digest, 3, {}})).sig;
    vc.prepared = {{p2, fake}};
    CHECK(h.step(1, Received{3, h.sign_as(3, vc)}).reason == Rejection::kBadViewChange);

    // (2) Only its own valid signature: below quorum.
    fake.signatures = {fake.signatures[2]};
    vc.prepared = {{p2, fake}};
    CHECK(h.step(1, Received{3, h.sign_as(3, vc)}).reason == Rejection::kBadViewChange);

    // (3) A real certificate attached to another proposal.
    Certificate moved = real;
    moved.kind = VoteKind::kPrepare;
    vc.prepared = {{p2, moved}};
    CHECK(h.step(1, Received{3, h.sign_as(3, vc)}).reason == Rejection::kBadViewChange);

    // (4) A commit claim above the truth with a forged certificate.
    ViewChange claim;
    claim.new_view = 1;
    claim.signer = 3;
    const Hash made_up = sha256(std::string_view("made up"));
    claim.committed = {9, made_up, Certificate{VoteKind::kCommit, 0, 9, made_up, {{0, junk_sig()}, {1, junk_sig()}, {2, junk_sig()}}}};
    CHECK(h.step(1, Received{3, h.sign_as(3, claim)}).reason == Rejection::kBadViewChange);

    CHECK(rejected(h.replica(1), Rejection::kBadViewChange) == 4);
    CHECK(h.replica(1).status().certified_height == 1);
    CHECK(h.replica(1).status().view == 0);
}

TEST_CASE("byzantine: a NewView without a quorum of view changes is refused", "[consensus][byzantine]") {
    Harness h(4);
    ViewChange own;
    own.new_view = 3;  // primary of view 3 is validator 3
    own.signer = 3;
    own.committed = {0, test_genesis(), std::nullopt};
    NewView nv;
    nv.view = 3;
    nv.signer = 3;
    nv.view_changes = {std::get<ViewChange>(h.sign_as(3, own))};
    CHECK(h.step(1, Received{3, h.sign_as(3, nv)}).reason == Rejection::kBadNewView);
    CHECK(h.replica(1).status().view == 0);
    // Signed by someone who is not the primary of that view.
    nv.signer = 2;
    CHECK(h.step(1, Received{3, h.sign_as(2, nv)}).reason == Rejection::kNotPrimary);
}

TEST_CASE("byzantine: floods of far-ahead messages stay within the per-peer buffer", "[consensus][byzantine]") {
    Config c;
    c.future_messages_per_peer_max = 8;
    Harness h(4, c);
    for (std::uint64_t k = 0; k < 200; ++k) {
        const Message m = h.sign_as(3, Vote{VoteKind::kPrepare, 1 + k, 1, sha256(std::string_view("d")), 3, {}});
        (void)h.step(1, Received{3, m});
        const Message far = h.sign_as(3, Vote{VoteKind::kCommit, 0, 1000000 + k, sha256(std::string_view("d")), 3, {}});
        (void)h.step(1, Received{3, far});
    }
    const auto st = h.replica(1).status();
    CHECK(st.buffered_messages <= 8);
    CHECK(rejected(h.replica(1), Rejection::kBufferFull) > 0);
    CHECK(rejected(h.replica(1), Rejection::kOutOfWindow) == 200);
    // Honest traffic from others is unaffected.
    REQUIRE(h.propose(0, "x"));
    h.pump();
    CHECK(h.ledger(1).size() == 1);
}

TEST_CASE("byzantine: a silent validator does not stop the others (f = 1 of 4)", "[consensus][byzantine]") {
    Harness h(4);
    h.drop = [](const Envelope& e) { return e.from == 3; };
    for (int k = 0; k < 5; ++k) {
        REQUIRE(h.propose(0, "b" + std::to_string(k)));
        h.pump();
    }
    for (std::uint32_t i = 0; i < 3; ++i) {
        CHECK(h.ledger(i).size() == 5);
    }
}
