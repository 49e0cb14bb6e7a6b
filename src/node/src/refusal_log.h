// Private: rate-limited log lines about input a peer sent and this node refused (issue 12).
//
// ARCHITECTURE.md: bad input from peers is "rejected, counted, logged once, never a crash". A
// Byzantine peer can send thousands of bad messages a second, so each (peer, kind) gets its
// first line at once and then at most one line per interval, which carries how many were
// refused since the previous line. Kinds an honest cluster also produces in normal operation
// (late votes after a quorum, stale views after a view change, duplicates) are logged at info;
// kinds only a faulty or hostile peer produces (bad signatures, forged certificates, invalid
// blocks, undecodable bytes) at warning. Every line starts "refused from validator N:" so an
// operator (and test/integration/byzantine_test.py) can find them.
//
// Thread-safety: refused() may be called from any thread (one mutex; the map is bounded by
// peers × kinds, and kinds are a fixed vocabulary chosen by the node, never peer text).
#pragma once

#include <jc/core/log.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace jc::node {

class RefusalLog {
public:
    enum class Severity : std::uint8_t { kBenign, kHostile };

    RefusalLog(std::shared_ptr<spdlog::logger> log, std::int64_t interval_ms)
        : log_(std::move(log)), interval_ms_(interval_ms) {}

    // `kind` is a short fixed word ("consensus bad_signature", "proposal invalid", ...); `detail`
    // names the message and the reason. `now_ms` is a monotonic clock.
    void refused(std::uint32_t peer, const std::string& kind, Severity severity, const std::string& detail,
                 std::int64_t now_ms);

private:
    struct Entry {
        std::int64_t last_logged_ms = 0;
        std::uint64_t suppressed = 0;
    };
    static constexpr std::size_t kEntriesMax = 4096;

    std::shared_ptr<spdlog::logger> log_;
    std::int64_t interval_ms_;
    std::mutex mutex_;
    std::map<std::pair<std::uint32_t, std::string>, Entry> entries_;  // GUARDED_BY(mutex_)
};

}  // namespace jc::node
