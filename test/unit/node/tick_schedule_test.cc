// Goal: the replica's Ticks come tick_ms apart on average whatever the timer's period, a stall
// yields one Tick and not a burst, and the timer wakes at least once a second. Method: the
// wake-ups of the node's timer simulated with integer milliseconds.
#include "tick_schedule.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace jc::node;

namespace {

// The times at which Ticks are delivered when the timer wakes every `period` ms from `start`.
std::vector<std::int64_t> ticks(std::int64_t start, std::int64_t period, std::int64_t tick, std::int64_t until,
                                std::int64_t mark = 0) {
    std::vector<std::int64_t> out;
    for (std::int64_t now = start; now <= until; now += period) {
        const TickDue t = replica_tick_due(mark, now, tick);
        if (t.due) {
            mark = t.mark;
            out.push_back(now);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("ticks stay tick_ms apart on average when the timer period does not divide tick_ms", "[node][unit]") {
    // Defaults: tick 50 ms, timer every 20 ms. Counting from each wake-up made them 60 ms apart.
    const auto t = ticks(1'000'000, 20, 50, 1'000'000 + 60'000, 1'000'000);
    REQUIRE(t.size() >= 2);
    const double mean = static_cast<double>(t.back() - t.front()) / static_cast<double>(t.size() - 1);
    CHECK(mean == Approx(50.0).epsilon(0.01));
    for (std::size_t i = 1; i < t.size(); ++i) {
        CHECK(t[i] - t[i - 1] >= 40);  // one timer period early at most, never two at once
        CHECK(t[i] - t[i - 1] <= 60);
    }
    // 40 ticks (a view-change timeout) take 2 s, not 2.4 s.
    CHECK(t[40] - t[0] == Approx(2000).margin(20));
}

TEST_CASE("after a stall one tick is due and the next is a full tick later", "[node][unit]") {
    const TickDue late = replica_tick_due(1000, 5000, 50);  // 4 s without a wake-up
    REQUIRE(late.due);
    CHECK(late.mark == 5000);
    CHECK_FALSE(replica_tick_due(late.mark, 5020, 50).due);
    CHECK_FALSE(replica_tick_due(late.mark, 5040, 50).due);
    CHECK(replica_tick_due(late.mark, 5050, 50).due);
    // A first wake-up long after the zero mark is such a stall too.
    CHECK(replica_tick_due(0, 123'456, 50).mark == 123'456);
}

TEST_CASE("the timer wakes at the shorter of tick and block interval, at least 5 ms and at most 1 s", "[node][unit]") {
    CHECK(tick_timer_period_ms(50, 20) == 20);
    CHECK(tick_timer_period_ms(50, 0) == 5);
    CHECK(tick_timer_period_ms(10, 20) == 10);
    CHECK(tick_timer_period_ms(1, 0) == 1);
    CHECK(tick_timer_period_ms(10'000, 8'000) == 1000);  // /healthz wants a tick within 5 s
}
