// Goal: the weighted quorum arithmetic is right. Method: compare core's quorum_weight and
// fault_weight_max, and consensus/src/detail/quorum.h's tallies, join_view and quorum_prefix,
// against naive references (brute force over subsets for the intersection property, plain loops
// for the rest) on exhaustive small cases and seeded random weight vectors (etcd's
// quorum/quick_test.go).
#include "cluster.h"
#include "detail/quorum.h"

#include <jc/core/certificate.h>

#include <catch2/catch.hpp>

#include <map>

using namespace jc;
using namespace jc::consensus;

namespace {

// Naive: the largest f with 3f < W, and Q = W - f.
std::uint64_t naive_f(std::uint64_t w) {
    std::uint64_t f = 0;
    while (3 * (f + 1) < w) {
        ++f;
    }
    return f;
}

}  // namespace

TEST_CASE("f and Q match the naive definition for every total weight up to 500", "[consensus][quorum]") {
    for (std::uint64_t w = 1; w <= 500; ++w) {
        const std::uint64_t f = naive_f(w);
        CHECK(fault_weight_max(w) == f);
        CHECK(quorum_weight(w) == w - f);
    }
    CHECK(quorum_weight(1) == 1);  // the n = 1 dev chain
    CHECK(quorum_weight(4) == 3);
    CHECK(quorum_weight(7) == 5);
}

TEST_CASE("any two quorums share more than f weight (brute force over subsets)", "[consensus][quorum]") {
    sim::Rng rng(42);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = static_cast<std::size_t>(rng.range(1, 7));
        std::vector<std::uint64_t> w(n);
        std::uint64_t total = 0;
        for (auto& x : w) {
            x = rng.range(1, 5);
            total += x;
        }
        const std::uint64_t q = quorum_weight(total);
        const std::uint64_t f = fault_weight_max(total);
        const auto weight = [&](std::uint32_t mask) {
            std::uint64_t s = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (mask & (1u << i)) {
                    s += w[i];
                }
            }
            return s;
        };
        for (std::uint32_t a = 0; a < (1u << n); ++a) {
            if (weight(a) < q) {
                continue;
            }
            for (std::uint32_t b = 0; b < (1u << n); ++b) {
                if (weight(b) >= q) {
                    REQUIRE(weight(a & b) > f);
                }
            }
        }
    }
}

TEST_CASE("weight tallies, join_view and quorum_prefix match naive loops", "[consensus][quorum]") {
    sim::Rng rng(7);
    for (int trial = 0; trial < 500; ++trial) {
        const std::uint32_t n = static_cast<std::uint32_t>(rng.range(1, 12));
        std::vector<ValidatorKey> keys;
        for (std::uint32_t i = 0; i < n; ++i) {
            keys.push_back({i, {}, rng.range(1, 4)});
        }
        const consensus::detail::Weights weights(keys);
        std::map<ValidatorIndex, int> votes;
        for (std::uint32_t i = 0; i < n; ++i) {
            if (rng.chance(600)) {
                votes[i] = static_cast<int>(rng.range(0, 2));
            }
        }
        for (int value = 0; value < 3; ++value) {
            std::uint64_t naive = 0;
            for (const auto& [i, v] : votes) {
                naive += v == value ? keys[i].weight : 0;
            }
            CHECK(weights.weight_where(votes, [&](int v) { return v == value; }) == naive);
        }

        std::vector<std::pair<std::uint64_t, std::uint64_t>> views;
        for (std::uint32_t i = 0; i < n; ++i) {
            views.emplace_back(rng.range(0, 6), keys[i].weight);
        }
        const std::uint64_t threshold = weights.one_honest();
        std::optional<std::uint64_t> naive_view;
        for (std::uint64_t x = 0; x <= 6; ++x) {
            std::uint64_t at_least = 0;
            bool present = false;
            for (const auto& [v, w] : views) {
                at_least += v >= x ? w : 0;
                present = present || v == x;
            }
            if (present && at_least >= threshold) {
                naive_view = x;
            }
        }
        CHECK(consensus::detail::join_view(views, threshold) == naive_view);

        std::vector<std::pair<ValidatorIndex, std::uint64_t>> present;
        for (const auto& [i, v] : votes) {
            present.emplace_back(i, keys[i].weight);
        }
        const auto prefix = consensus::detail::quorum_prefix(present, weights.quorum());
        std::uint64_t all = 0;
        for (const auto& [i, w] : present) {
            all += w;
        }
        if (all < weights.quorum()) {
            CHECK(prefix.empty());
        } else {
            std::uint64_t got = 0;
            for (auto i : prefix) {
                got += keys[i].weight;
            }
            CHECK(got >= weights.quorum());
            CHECK(got - keys[prefix.back()].weight < weights.quorum());  // shortest
            for (std::size_t k = 0; k < prefix.size(); ++k) {
                CHECK(prefix[k] == present[k].first);
            }
        }
    }
}
