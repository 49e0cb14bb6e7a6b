#include "tick_schedule.h"

#include <algorithm>

namespace jc::node {

TickDue replica_tick_due(std::int64_t mark, std::int64_t now, std::int64_t tick_ms) {
    if (now - mark < tick_ms) {
        return {false, mark};
    }
    // On the grid while the wake-ups keep up; after falling a whole tick behind (a stall),
    // the grid restarts at now, so the next Tick is a full tick_ms away.
    const std::int64_t boundary = mark + tick_ms;
    return {true, now - boundary < tick_ms ? boundary : now};
}

std::int64_t tick_timer_period_ms(std::int64_t tick_ms, std::int64_t block_interval_ms) {
    constexpr std::int64_t kPeriodMaxMs = 1000;
    return std::clamp<std::int64_t>(std::min(tick_ms, std::max<std::int64_t>(block_interval_ms, 5)), 1, kPeriodMaxMs);
}

}  // namespace jc::node
