#include "latency_histogram.h"

#include <iterator>

namespace jc::node {
namespace {

// The bucket bounds in seconds, as Prometheus writes them.
constexpr const char* kLe[] = {"0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
static_assert(std::size(kLe) == LatencyHistogram::kBoundsMs.size() + 1);

}  // namespace

void LatencyHistogram::observe_us(std::int64_t microseconds) {
    const auto us = microseconds < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(microseconds);
    std::size_t bucket = kBoundsMs.size();
    for (std::size_t i = 0; i < kBoundsMs.size(); ++i) {
        if (us <= static_cast<std::uint64_t>(kBoundsMs[i]) * 1000) {
            bucket = i;
            break;
        }
    }
    buckets_[bucket]++;
    sum_us_ += us;
    count_++;
}

void LatencyHistogram::append_text(std::string& out, std::string_view name, std::string_view help) const {
    const std::string n(name);
    out += "# HELP " + n + " " + std::string(help) + "\n";
    out += "# TYPE " + n + " histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        cumulative += buckets_[i].load();
        out += n + "_bucket{le=\"" + kLe[i] + "\"} " + std::to_string(cumulative) + "\n";
    }
    const auto sum_us = sum_us_.load();
    out += n + "_sum " + std::to_string(sum_us / 1'000'000) + "." +
           std::to_string(1'000'000 + sum_us % 1'000'000).substr(1) + "\n";
    out += n + "_count " + std::to_string(count_.load()) + "\n";
}

}  // namespace jc::node
