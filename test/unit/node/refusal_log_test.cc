// Goal: the node's log of refused peer input stays readable under a flood (issue 12) — the
// first refusal of each (peer, kind) is logged at once, repeats within the interval are only
// counted, the next line after the interval says how many were swallowed, hostile kinds are
// warnings and benign ones info. In JC_BYZANTINE builds also: the --byzantine list parser
// accepts exactly the five behaviour names (ADR 0092).
// Method: a RefusalLog over a spdlog logger writing to a string stream, driven with explicit
// monotonic times (no clock, no sleeps).
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "refusal_log.h"

#if defined(JC_BYZANTINE)
#include <jc/node/byzantine.h>
#endif

namespace {

struct Captured {
    std::ostringstream out;
    std::shared_ptr<spdlog::logger> logger;
    Captured() {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
        logger = std::make_shared<spdlog::logger>("refusal-test", sink);
        logger->set_pattern("%l|%v");
        logger->set_level(spdlog::level::debug);
    }
    std::vector<std::string> lines() {
        std::vector<std::string> v;
        std::istringstream in(out.str());
        for (std::string line; std::getline(in, line);) {
            v.push_back(line);
        }
        return v;
    }
};

}  // namespace

TEST_CASE("refusals: first line at once, repeats counted, one line per interval", "[node][refusal]") {
    Captured c;
    jc::node::RefusalLog log(c.logger, 10'000);
    using S = jc::node::RefusalLog::Severity;
    log.refused(0, "consensus bad_signature", S::kHostile, "Vote view 3", 1'000);
    for (int i = 0; i < 5; ++i) {
        log.refused(0, "consensus bad_signature", S::kHostile, "Vote view 3", 2'000 + i);
    }
    REQUIRE(c.lines().size() == 1);
    CHECK(c.lines()[0] == "warning|refused from validator 0: consensus bad_signature: Vote view 3");
    // Another peer and another kind have their own budget.
    log.refused(2, "consensus bad_signature", S::kHostile, "Vote view 3", 2'500);
    log.refused(0, "consensus stale_view", S::kBenign, "Prepare view 1", 2'600);
    REQUIRE(c.lines().size() == 3);
    CHECK(c.lines()[1] == "warning|refused from validator 2: consensus bad_signature: Vote view 3");
    CHECK(c.lines()[2] == "info|refused from validator 0: consensus stale_view: Prepare view 1");
    // Just before the interval: still swallowed; at it: a line with the count.
    log.refused(0, "consensus bad_signature", S::kHostile, "Commit view 4", 10'999);
    REQUIRE(c.lines().size() == 3);
    log.refused(0, "consensus bad_signature", S::kHostile, "Commit view 4", 11'000);
    REQUIRE(c.lines().size() == 4);
    CHECK(c.lines()[3] ==
          "warning|refused from validator 0: consensus bad_signature: Commit view 4 (6 more refused since the last line)");
    // And the count restarts.
    log.refused(0, "consensus bad_signature", S::kHostile, "Commit view 5", 21'000);
    REQUIRE(c.lines().size() == 5);
    CHECK(c.lines()[4] == "warning|refused from validator 0: consensus bad_signature: Commit view 5");
}

#if defined(JC_BYZANTINE)
TEST_CASE("byzantine: the behaviour list names exactly the known behaviours", "[node][byzantine]") {
    using jc::node::ByzantineBehaviour;
    auto ok = jc::node::parse_byzantine_behaviours("honest,equivocate,invalid,forge,stale,equivocate");
    REQUIRE(ok);
    CHECK(*ok == std::vector<ByzantineBehaviour>{ByzantineBehaviour::kHonest, ByzantineBehaviour::kEquivocate,
                                                 ByzantineBehaviour::kInvalid, ByzantineBehaviour::kForge,
                                                 ByzantineBehaviour::kStale, ByzantineBehaviour::kEquivocate});
    for (const char* bad : {"", "forge,", ",forge", "Forge", "silent", "forge,,stale"}) {
        INFO(bad);
        auto r = jc::node::parse_byzantine_behaviours(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find("--byzantine") != std::string::npos);
    }
    for (auto b : *ok) {
        CHECK(jc::node::parse_byzantine_behaviours(jc::node::byzantine_behaviour_name(b)).value().front() == b);
    }
}
#endif
