#include <jc/ledger/state.h>

namespace jc::ledger {

Result<std::optional<std::string>> MemoryState::get(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{it->second};
}

Status MemoryState::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    for (auto it = entries_.lower_bound(prefix); it != entries_.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0) {
            break;
        }
        if (!visit(it->first, it->second)) {
            break;
        }
    }
    return {};
}

void MemoryState::apply(const StateWrites& writes) {
    for (const auto& w : writes) {
        if (w.value) {
            entries_.insert_or_assign(w.key, *w.value);
        } else {
            entries_.erase(w.key);
        }
    }
}

}  // namespace jc::ledger
