#include "refusal_log.h"

namespace jc::node {

void RefusalLog::refused(std::uint32_t peer, const std::string& kind, Severity severity, const std::string& detail,
                         std::int64_t now_ms) {
    std::uint64_t suppressed = 0;
    {
        std::lock_guard lock(mutex_);
        auto key = std::make_pair(peer, kind);
        auto it = entries_.find(key);
        if (it == entries_.end()) {
            if (entries_.size() >= kEntriesMax) {
                entries_.clear();  // a fixed vocabulary never gets here; stay bounded regardless
            }
            entries_.emplace(std::move(key), Entry{now_ms, 0});
        } else if (now_ms - it->second.last_logged_ms < interval_ms_) {
            ++it->second.suppressed;
            return;
        } else {
            suppressed = it->second.suppressed;
            it->second = Entry{now_ms, 0};
        }
    }
    const auto level = severity == Severity::kHostile ? spdlog::level::warn : spdlog::level::info;
    if (suppressed == 0) {
        log_->log(level, "refused from validator {}: {}: {}", peer, kind, detail);
    } else {
        log_->log(level, "refused from validator {}: {}: {} ({} more refused since the last line)", peer, kind,
                  detail, suppressed);
    }
}

}  // namespace jc::node
