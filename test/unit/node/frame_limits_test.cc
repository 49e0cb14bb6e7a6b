// Goal: the node's frame-size bound is exactly the size of the largest consensus message the
// codec accepts, and a config whose p2p frame or send-queue limit is below it is refused with
// a precise error (unset limits are derived from it). Method: build a maximal new view (every
// count at its codec limit, every proposal at its byte limit, every certificate full), encode
// it, check it decodes under those limits and that its size equals the bound; then resolve
// configs around the bound.
#include "frame_limits.h"

#include <jc/consensus/messages.h>

#include <catch2/catch.hpp>

using namespace jc;
using namespace jc::node;

namespace {

Certificate full_certificate(VoteKind kind, std::uint64_t height, std::uint64_t signers) {
    Certificate c;
    c.kind = kind;
    c.view = 3;
    c.height = height;
    for (std::uint32_t v = 0; v < signers; ++v) {
        c.signatures.push_back({v, crypto::Signature{}});
    }
    return c;
}

}  // namespace

TEST_CASE("the bound is the encoded size of a maximal new view, which decodes", "[node][unit]") {
    consensus::CodecLimits limits;
    limits.proposal_bytes_max = 3000;
    limits.prepared_entries_max = 6;
    limits.view_changes_max = 4;
    limits.selected_max = 6;
    limits.certificate_signatures_max = 4;
    consensus::NewView nv;
    nv.view = 3;
    nv.signer = 3;
    for (std::uint32_t s = 0; s < limits.view_changes_max; ++s) {
        consensus::ViewChange vc;
        vc.new_view = 3;
        vc.signer = s;
        vc.committed.height = 10;
        vc.committed.certificate = full_certificate(VoteKind::kCommit, 10, limits.certificate_signatures_max);
        for (std::uint64_t h = 11; h < 11 + limits.prepared_entries_max; ++h) {
            consensus::PreparedEntry e;
            e.proposal.payload.assign(limits.proposal_bytes_max, 0x5a);
            e.certificate = full_certificate(VoteKind::kPrepare, h, limits.certificate_signatures_max);
            vc.prepared.push_back(std::move(e));
        }
        nv.view_changes.push_back(std::move(vc));
    }
    for (std::uint64_t h = 11; h < 11 + limits.selected_max; ++h) {
        nv.selected.push_back({h, Hash{}});
    }
    const Bytes encoded = consensus::encode(nv);
    REQUIRE(consensus::decode(encoded, limits).ok());
    CHECK(consensus_message_bytes_max(limits) == encoded.size());
    // One more payload byte anywhere no longer decodes: the bound is tight, not generous.
    limits.proposal_bytes_max -= 1;
    CHECK_FALSE(consensus::decode(encoded, limits).ok());
}

TEST_CASE("p2p frame and send-queue limits below the bound are refused with the numbers", "[node][unit]") {
    const std::size_t bound = 300u << 20;
    P2pConfig unset;
    unset.limits.frame_bytes_max = 0;
    unset.limits.send_queue_bytes_max = 0;
    P2pConfig p = unset;
    REQUIRE(resolve_frame_limits(p, bound, "these limits").ok());
    CHECK(p.limits.frame_bytes_max == bound);
    CHECK(p.limits.send_queue_bytes_max == 2 * bound);
    p = unset;
    REQUIRE(resolve_frame_limits(p, 1000, "these limits").ok());
    CHECK(p.limits.frame_bytes_max == 16u << 20);  // small bounds keep the historical defaults
    CHECK(p.limits.send_queue_bytes_max == 64u << 20);

    p = unset;
    p.limits.frame_bytes_max = 16u << 20;
    auto refused = resolve_frame_limits(p, bound, "genesis params.block_bytes_max 4194304");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message() ==
          "config p2p.frame_bytes_max: 16777216 is below 314572800, the largest consensus message (a new view) "
          "genesis params.block_bytes_max 4194304 can produce; set it to at least 314572800, leave it out to use "
          "that bound, or lower the block or window limits");
    p.limits.frame_bytes_max = bound;
    CHECK(resolve_frame_limits(p, bound, "x").ok());

    p = unset;
    p.limits.frame_bytes_max = bound;
    p.limits.send_queue_bytes_max = bound;
    auto queue = resolve_frame_limits(p, bound, "x");
    REQUIRE_FALSE(queue.ok());
    CHECK(queue.error().message().rfind("config p2p.send_queue_bytes_max: 314572800 is below twice", 0) == 0);
}
