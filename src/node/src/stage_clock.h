// Private: which committed blocks the per-stage latency histograms measure (ADR 0155), so each
// records only what its help text says.
//
// `block_consensus` is proposal -> commit of a block this node proposed. A height this node
// proposed may commit another block: a view change lets the next primary propose there (or
// re-propose another's block). ProposalTimes remembers the digest proposed with the time, and a
// commit is measured only when the committed digest is that one.
//
// `block_durable` is consensus commit -> executed and durable here. The storage thread may find
// the height already committed by a sync response (or not yet committable: its predecessor is
// missing, and sync brings both later); only a commit that this block's own execution made
// durable is measured (durable_measured).
//
// Thread-safety: ProposalTimes is owned by the consensus strand; durable_measured is pure.
#pragma once

#include <jc/core/bytes.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace jc::node {

class ProposalTimes {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // This node proposed `digest` at `height` (a later proposal at the height replaces it).
    void proposed(std::uint64_t height, const Hash& digest, TimePoint at);
    // Consensus committed `digest` at `height`: when this node proposed that block, or nullopt
    // if it proposed another one there or none. Every height up to `height` is settled and
    // forgotten (an abandoned view's proposals included).
    [[nodiscard]] std::optional<TimePoint> committed(std::uint64_t height, const Hash& digest);
    [[nodiscard]] std::size_t size() const { return proposed_.size(); }

private:
    std::map<std::uint64_t, std::pair<Hash, TimePoint>> proposed_;
};

// The storage thread's commit of a block consensus committed at `height` moved its committed
// height from `before` to `after`: true only when that call committed this block, i.e. the
// block's execution made it durable (not a sync response before it, not a later one).
[[nodiscard]] bool durable_measured(std::uint64_t height, std::uint64_t before, std::uint64_t after);

}  // namespace jc::node
