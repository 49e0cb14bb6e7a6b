// Goal: the new-view selection (paper §4.4, ADR 0011) is exactly right. Method: hand-built
// ViewChange sets covering the base (highest commit claim), highest-view-wins, the deterministic
// tie-break, stopping at a gap and at a chain break, and re-committing the certified chain below
// the base; plus an order-independence property over random permutations.
#include "cluster.h"
#include "detail/new_view.h"
#include "fake_crypto.h"

#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace jc;
using namespace jc::consensus;

namespace {

Hash genesis() { return sha256(std::string_view("g")); }

PreparedEntry entry(std::uint64_t view, std::uint64_t height, const Hash& parent, std::string_view tag) {
    Proposal p = sim::make_sim_proposal(height, parent, Bytes(tag.begin(), tag.end()));
    return {p, Certificate{VoteKind::kPrepare, view, height, p.digest, {}}};
}

ViewChange vc(ValidatorIndex signer, std::uint64_t claim_height, const Hash& claim_digest,
              std::vector<PreparedEntry> entries) {
    ViewChange v;
    v.new_view = 9;
    v.signer = signer;
    v.committed.height = claim_height;
    v.committed.digest = claim_digest;
    if (claim_height > 0) {
        v.committed.certificate = Certificate{VoteKind::kCommit, 1, claim_height, claim_digest, {}};
    }
    v.prepared = std::move(entries);
    return v;
}

consensus::detail::Selection select(const std::vector<ViewChange>& vcs) {
    std::vector<const ViewChange*> ptrs;
    for (const auto& v : vcs) {
        ptrs.push_back(&v);
    }
    return consensus::detail::compute_new_view(ptrs, 8);
}

}  // namespace

TEST_CASE("new view: empty prepared sets select nothing above the highest claim", "[consensus][new_view]") {
    const auto s = select({vc(0, 0, genesis(), {}), vc(1, 0, genesis(), {}), vc(2, 0, genesis(), {})});
    CHECK(s.low == 0);
    CHECK(s.low_digest == genesis());
    CHECK(s.entries.empty());
    CHECK(s.high() == 0);
}

TEST_CASE("new view: highest view wins and the chain continues from it", "[consensus][new_view]") {
    const PreparedEntry a1 = entry(1, 1, genesis(), "a1");
    const PreparedEntry b1 = entry(3, 1, genesis(), "b1");  // re-proposed in a later view
    const PreparedEntry b2 = entry(3, 2, b1.proposal.digest, "b2");
    const PreparedEntry a2 = entry(1, 2, a1.proposal.digest, "a2");
    const auto s = select({vc(0, 0, genesis(), {a1, a2}), vc(1, 0, genesis(), {b1, b2}), vc(2, 0, genesis(), {})});
    REQUIRE(s.entries.size() == 2);
    CHECK(s.entries[0].proposal == b1.proposal);
    CHECK(s.entries[1].proposal == b2.proposal);
    CHECK(s.entries[1].view == 3);
}

TEST_CASE("new view: a gap or a chain break ends the selection (no null blocks)", "[consensus][new_view]") {
    const PreparedEntry e1 = entry(2, 1, genesis(), "1");
    const PreparedEntry e3 = entry(2, 3, sha256(std::string_view("x")), "3");
    auto s = select({vc(0, 0, genesis(), {e1, e3}), vc(1, 0, genesis(), {})});
    REQUIRE(s.entries.size() == 1);  // height 2 missing: stop
    CHECK(s.high() == 1);

    const PreparedEntry orphan = entry(2, 2, sha256(std::string_view("not e1")), "2");
    s = select({vc(0, 0, genesis(), {e1, orphan})});
    CHECK(s.entries.size() == 1);  // height 2 does not extend height 1: stop
}

TEST_CASE("new view: the base is the highest commit claim and entries at or below it are not re-proposed afresh",
          "[consensus][new_view]") {
    const PreparedEntry e1 = entry(1, 1, genesis(), "1");
    const PreparedEntry e2 = entry(1, 2, e1.proposal.digest, "2");
    const PreparedEntry e3 = entry(1, 3, e2.proposal.digest, "3");
    // Validator 1 knows height 2 committed (digest of e2) and prepared 3 on top of it.
    const auto s = select({vc(0, 0, genesis(), {e1, e2}), vc(1, 2, e2.proposal.digest, {e3})});
    CHECK(s.low == 2);
    CHECK(s.low_digest == e2.proposal.digest);
    // Re-commit section: heights 1..2 walk down from the certified digest through entries.
    REQUIRE(s.floor == 0);
    REQUIRE(s.entries.size() == 3);
    CHECK(s.entries[0].proposal == e1.proposal);
    CHECK(s.entries[1].proposal == e2.proposal);
    CHECK(s.entries[2].proposal == e3.proposal);
}

TEST_CASE("new view: below the base only the certified digest is taken", "[consensus][new_view]") {
    const PreparedEntry e1 = entry(1, 1, genesis(), "1");
    const PreparedEntry fork1 = entry(5, 1, genesis(), "fork");  // higher view, but not the certified chain
    const PreparedEntry e2 = entry(1, 2, e1.proposal.digest, "2");
    const auto s = select({vc(0, 2, e2.proposal.digest, {}), vc(1, 0, genesis(), {fork1, e2}), vc(2, 0, genesis(), {e1})});
    REQUIRE(s.entries.size() == 2);
    CHECK(s.entries[0].proposal == e1.proposal);
    CHECK(s.entries[1].proposal == e2.proposal);
}

TEST_CASE("new view: equal views tie-break on the larger digest, whatever the order", "[consensus][new_view]") {
    const PreparedEntry x = entry(4, 1, genesis(), "x");
    const PreparedEntry y = entry(4, 1, genesis(), "y");
    std::vector<ViewChange> vcs = {vc(0, 0, genesis(), {x}), vc(1, 0, genesis(), {y}), vc(2, 0, genesis(), {})};
    const Hash expected = std::max(x.proposal.digest, y.proposal.digest);
    std::sort(vcs.begin(), vcs.end(), [](const auto& a, const auto& b) { return a.signer < b.signer; });
    do {
        const auto s = select(vcs);
        REQUIRE(s.entries.size() == 1);
        CHECK(s.entries[0].proposal.digest == expected);
    } while (std::next_permutation(vcs.begin(), vcs.end(), [](const auto& a, const auto& b) { return a.signer < b.signer; }));
}
