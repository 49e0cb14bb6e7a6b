// Private: when the replica's Tick is due, and how often the node's timer wakes to check.
//
// The replica counts its timeouts in Ticks of consensus.tick_ms (view change after
// view_change_timeout_ticks of them), and the primary's hold bound is counted in tick_ms too. The
// node's timer wakes more often than that (the block interval, so blocks are cut promptly), so
// a Tick falls due on some wake-up at or after each tick_ms boundary. Counting the next one from
// the boundary, not from the wake-up, keeps Ticks tick_ms apart on average; otherwise each Tick
// was late by up to one timer period, and a 2 s view-change timeout took 2.4 s.
//
// After a stall (the consensus thread busy, the process stopped) one Tick is due and the next
// counts from then: missed Ticks are not delivered in a burst, which would run timeouts out early.
//
// Time is an input (milliseconds of a monotonic clock). Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace jc::node {

struct TickDue {
    bool due = false;
    std::int64_t mark = 0;  // the boundary the next Tick counts from
};

// `mark` is the boundary the last Tick counted from; `now` the wake-up's time.
[[nodiscard]] TickDue replica_tick_due(std::int64_t mark, std::int64_t now, std::int64_t tick_ms);

// The timer's period: min(tick_ms, max(block_interval_ms, 5)), and never over 1 s, so /healthz
// (a tick within 5 s) holds whatever the two are set to. The node arms the timer on a fixed grid
// (the previous expiry plus the period), so its wake-ups do not drift.
[[nodiscard]] std::int64_t tick_timer_period_ms(std::int64_t tick_ms, std::int64_t block_interval_ms);

}  // namespace jc::node
