#include "stage_clock.h"

namespace jc::node {

void ProposalTimes::proposed(std::uint64_t height, const Hash& digest, TimePoint at) {
    proposed_[height] = {digest, at};
}

std::optional<ProposalTimes::TimePoint> ProposalTimes::committed(std::uint64_t height, const Hash& digest) {
    std::optional<TimePoint> at;
    if (auto it = proposed_.find(height); it != proposed_.end() && it->second.first == digest) {
        at = it->second.second;
    }
    proposed_.erase(proposed_.begin(), proposed_.upper_bound(height));
    return at;
}

bool durable_measured(std::uint64_t height, std::uint64_t before, std::uint64_t after) {
    // commit() commits only before + 1, so this is "this call committed `height`".
    return before < height && after >= height;
}

}  // namespace jc::node
