// Weighted quorum arithmetic beyond core's quorum_weight/fault_weight_max: validator weights,
// tallies of votes keyed by validator, the f+1 "join a higher view" rule and the choice of
// ViewChanges for a NewView. Pure functions, tested against naive references
// (test/unit/consensus/quorum_test.cc). Private to consensus/.
#pragma once

#include <jc/consensus/types.h>
#include <jc/core/assert.h>
#include <jc/core/certificate.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace jc::consensus::detail {

class Weights {
public:
    explicit Weights(const std::vector<ValidatorKey>& validators) {
        JC_ASSERT(!validators.empty(), "consensus.quorum.validators_nonempty");
        weights_.reserve(validators.size());
        for (const auto& v : validators) {
            weights_.push_back(v.weight);
            total_ += v.weight;
        }
        f_ = fault_weight_max(total_);
        q_ = quorum_weight(total_);
        JC_ASSERT(q_ + f_ == total_, "INV-Q1-intersection");
    }

    [[nodiscard]] std::uint64_t of(ValidatorIndex i) const {
        JC_ASSERT(i < weights_.size(), "consensus.quorum.known_validator");
        return weights_[i];
    }
    [[nodiscard]] std::size_t size() const { return weights_.size(); }
    [[nodiscard]] std::uint64_t total() const { return total_; }
    [[nodiscard]] std::uint64_t f() const { return f_; }
    [[nodiscard]] std::uint64_t quorum() const { return q_; }
    // Weight that guarantees at least one honest member.
    [[nodiscard]] std::uint64_t one_honest() const { return f_ + 1; }

    // Sum of the weights of the keys of `votes` (a map from ValidatorIndex) whose value satisfies
    // `pred`.
    template <typename Map, typename Pred>
    [[nodiscard]] std::uint64_t weight_where(const Map& votes, Pred pred) const {
        std::uint64_t sum = 0;
        for (const auto& [validator, value] : votes) {
            if (pred(value)) {
                sum += of(validator);
            }
        }
        return sum;
    }

private:
    std::vector<std::uint64_t> weights_;
    std::uint64_t total_ = 0;
    std::uint64_t f_ = 0;
    std::uint64_t q_ = 0;
};

// The largest view x such that validators whose (highest) view is >= x weigh at least
// `threshold`; nullopt when no view reaches it. `views` holds (view, weight) per validator.
inline std::optional<std::uint64_t> join_view(std::vector<std::pair<std::uint64_t, std::uint64_t>> views,
                                              std::uint64_t threshold) {
    std::sort(views.begin(), views.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::uint64_t weight = 0;
    for (const auto& [view, w] : views) {
        weight += w;
        if (weight >= threshold) {
            return view;
        }
    }
    return std::nullopt;
}

// From validators (sorted ascending) with their weights, the shortest prefix whose weight
// reaches `quorum`; empty when the whole set does not.
inline std::vector<ValidatorIndex> quorum_prefix(
    const std::vector<std::pair<ValidatorIndex, std::uint64_t>>& present, std::uint64_t quorum) {
    std::vector<ValidatorIndex> out;
    std::uint64_t weight = 0;
    for (const auto& [validator, w] : present) {
        out.push_back(validator);
        weight += w;
        if (weight >= quorum) {
            return out;
        }
    }
    return {};
}

}  // namespace jc::consensus::detail
