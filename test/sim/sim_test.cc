// Goal: each Byzantine behaviour and each fault class, run through the simulator, leaves the
// honest validators safe (S1-S5 after every step) and live (L1 after healing). Method: one
// fixed seed per scenario, short runs; jointclear-sim covers many seeds (sim_fixed_seeds,
// sim_random_seeds).
#include "cluster.h"

#include <catch2/catch.hpp>

#include <string>

using jc::sim::ByzantineMode;
using jc::sim::Cluster;
using jc::sim::Options;

namespace {

Options scenario(std::uint64_t seed, std::uint32_t n, std::uint32_t byzantine, ByzantineMode mode) {
    Options o;
    o.seed = seed;
    o.validators = n;
    o.byzantine = byzantine;
    o.byzantine_mode = mode;
    o.steps = 6000;
    return o;
}

void run_and_check(const Options& o) {
    Cluster cluster(o);
    const auto r = cluster.run();
    INFO("seed=" << o.seed << " n=" << o.validators << " byzantine=" << o.byzantine << " mode="
                 << jc::sim::byzantine_mode_name(o.byzantine_mode) << ": " << r.violation);
    CHECK(r.ok);
    CHECK(r.height_min >= o.liveness_heights);
}

}  // namespace

TEST_CASE("sim: fault-free runs commit on every size", "[sim]") {
    for (std::uint32_t n : {1u, 2u, 3u, 4u, 7u}) {
        Options o = scenario(11, n, 0, ByzantineMode::kMixed);
        o.network_faults = o.partitions = o.crashes = false;
        run_and_check(o);
    }
}

TEST_CASE("sim: network faults, partitions and crashes with honest validators", "[sim]") {
    run_and_check(scenario(21, 4, 0, ByzantineMode::kMixed));
    run_and_check(scenario(22, 7, 0, ByzantineMode::kMixed));
}

TEST_CASE("sim: each Byzantine behaviour leaves the honest validators safe and live", "[sim][byzantine]") {
    for (int m = 0; m < jc::sim::kByzantineModes; ++m) {
        const auto mode = static_cast<ByzantineMode>(m);
        SECTION(std::string(jc::sim::byzantine_mode_name(mode))) {
            run_and_check(scenario(31 + static_cast<std::uint64_t>(m), 4, 1, mode));
            run_and_check(scenario(41 + static_cast<std::uint64_t>(m), 7, 2, mode));
        }
    }
}

TEST_CASE("sim: the same seed replays exactly", "[sim]") {
    const Options o = scenario(5, 4, 1, ByzantineMode::kMixed);
    Cluster a(o);
    Cluster b(o);
    const auto ra = a.run();
    const auto rb = b.run();
    CHECK(ra.steps == rb.steps);
    CHECK(ra.sim_time_ms == rb.sim_time_ms);
    CHECK(ra.height_max == rb.height_max);
    CHECK(ra.messages == rb.messages);
    CHECK(ra.rejected == rb.rejected);
}

TEST_CASE("sim: a primary crash triggers a view change and progress resumes", "[sim]") {
    // Goal: liveness after a primary crash, scripted. Method: 4 replicas, no random faults,
    // crash replica 0 (primary of view 0) once blocks flow, expect the others to go on.
    Options o = scenario(3, 4, 0, ByzantineMode::kMixed);
    o.network_faults = o.partitions = o.crashes = false;
    Cluster cluster(o);
    REQUIRE(cluster.run_until([&] { return cluster.committed_height_min_honest() >= 3; }, 20000));
    cluster.crash(0);
    const std::uint64_t before = cluster.committed_height_max_honest();
    REQUIRE(cluster.run_until([&] {
        std::uint64_t m = UINT64_MAX;
        for (std::uint32_t i = 1; i < 4; ++i) {
            m = std::min(m, cluster.status(i).head_height);
        }
        return m >= before + 20;  // beyond what the crashed primary had in flight
    }, 200000));
    CHECK(cluster.ok());
    CHECK(cluster.status(1).view >= 1);
}
