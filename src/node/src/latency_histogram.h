#pragma once

// A Prometheus histogram of durations for /metrics: fixed millisecond buckets, a sum and a
// count, all atomics, so any thread may observe while the metrics handler renders. Rendering
// reads the counters one by one: a scrape racing an observation may see the count and the
// buckets one apart, which Prometheus tolerates.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace jc::node {

class LatencyHistogram {
public:
    // Upper bounds of the buckets, in ms; one more bucket holds the rest (+Inf).
    // Up to 2.5 s: the per-stage histograms of a transaction's way (pool wait, consensus,
    // durable) have tails of hundreds of ms under load (ADR 0155).
    static constexpr std::array<std::int64_t, 11> kBoundsMs = {1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500};

    void observe_us(std::int64_t microseconds);

    // Appends the HELP, TYPE, cumulative buckets, sum (seconds) and count lines for `name`.
    void append_text(std::string& out, std::string_view name, std::string_view help) const;

private:
    std::atomic<std::uint64_t> sum_us_{0};
    std::atomic<std::uint64_t> count_{0};
    std::array<std::atomic<std::uint64_t>, kBoundsMs.size() + 1> buckets_{};
};

}  // namespace jc::node
