// Goal: the per-stage histograms measure only what their help texts say (ADR 0155).
// block_consensus is proposal -> commit of a block this node proposed, so a height where another
// primary's block committed (after a view change) is not measured; block_durable is commit ->
// durable by this block's own execution, so a height a sync response committed first (or one
// whose predecessor was missing) is not measured. Method: ProposalTimes and durable_measured are
// the node's decisions, driven here with made-up digests and heights; time is an input.
#include "stage_clock.h"

#include <catch2/catch.hpp>

#include <chrono>

namespace jc::node {
namespace {

Hash filled_hash(std::uint8_t b) {
    Hash h;
    h.bytes.fill(b);
    return h;
}

const ProposalTimes::TimePoint kT0{std::chrono::milliseconds(1000)};

TEST_CASE("block_consensus measures only the block this node proposed at the height", "[node][stage_clock]") {
    ProposalTimes times;
    times.proposed(5, filled_hash(1), kT0);
    times.proposed(6, filled_hash(2), kT0 + std::chrono::milliseconds(10));
    // Our block commits at 5: measured from our proposal.
    const auto at5 = times.committed(5, filled_hash(1));
    REQUIRE(at5.has_value());
    CHECK(*at5 == kT0);
    // A view change: another primary's block commits at 6.
    CHECK_FALSE(times.committed(6, filled_hash(9)).has_value());
    CHECK(times.size() == 0);
    // A height this node never proposed.
    CHECK_FALSE(times.committed(7, filled_hash(3)).has_value());
}

TEST_CASE("a later proposal at a height replaces the earlier, and commits settle every height below",
          "[node][stage_clock]") {
    ProposalTimes times;
    times.proposed(5, filled_hash(1), kT0);
    // This node is primary again in a later view and proposes another block at 5.
    times.proposed(5, filled_hash(4), kT0 + std::chrono::milliseconds(300));
    times.proposed(6, filled_hash(2), kT0);
    times.proposed(8, filled_hash(3), kT0);
    // The commit at 6 settles 5 (its block is decided) without measuring it.
    const auto at6 = times.committed(6, filled_hash(2));
    CHECK(at6 == kT0);
    CHECK(times.size() == 1);
    CHECK_FALSE(times.committed(5, filled_hash(4)).has_value());
    ProposalTimes again;
    again.proposed(5, filled_hash(1), kT0);
    again.proposed(5, filled_hash(4), kT0 + std::chrono::milliseconds(300));
    CHECK_FALSE(again.committed(5, filled_hash(1)).has_value());
}

TEST_CASE("block_durable measures only a commit this block's execution made", "[node][stage_clock]") {
    // The next height, committed by this call.
    CHECK(durable_measured(/*height=*/5, /*before=*/4, /*after=*/5));
    // A sync response had committed it already (and maybe more).
    CHECK_FALSE(durable_measured(5, 5, 5));
    CHECK_FALSE(durable_measured(5, 7, 7));
    // Its predecessor was missing: nothing committed by this call.
    CHECK_FALSE(durable_measured(5, 3, 3));
    // A halt or a failed commit: nothing committed.
    CHECK_FALSE(durable_measured(5, 4, 4));
}

}  // namespace
}  // namespace jc::node
