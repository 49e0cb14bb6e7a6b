// Time as an injected dependency.
//
// Nothing that changes ledger state reads a clock: the block timestamp is the only time there.
// Components that need time for timeouts or proposals (the node, RPC, tools) take a `Clock&`, so
// tests drive time instead of waiting for it.
//
// Thread-safety: SystemClock and ManualClock are safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace jc {

class Clock {
public:
    virtual ~Clock() = default;
    // Milliseconds since the Unix epoch (wall clock, for block timestamps).
    [[nodiscard]] virtual std::int64_t now_unix_ms() const = 0;
    // Milliseconds on a monotonic clock (for durations and deadlines).
    [[nodiscard]] virtual std::int64_t now_monotonic_ms() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] std::int64_t now_unix_ms() const override;
    [[nodiscard]] std::int64_t now_monotonic_ms() const override;
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t start_ms) : now_ms_(start_ms) {}
    [[nodiscard]] std::int64_t now_unix_ms() const override { return now_ms_.load(); }
    [[nodiscard]] std::int64_t now_monotonic_ms() const override { return now_ms_.load(); }
    void advance_ms(std::int64_t delta_ms) { now_ms_ += delta_ms; }

private:
    std::atomic<std::int64_t> now_ms_;
};

}  // namespace jc
