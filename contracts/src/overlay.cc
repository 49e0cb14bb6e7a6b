#include "overlay.h"

#include <jc/core/assert.h>

namespace jc::contracts {

Result<std::optional<std::string>> Overlay::get(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it != entries_.end()) {
        return it->second;
    }
    return parent_.get(key);
}

Status Overlay::scan(std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& visit) const {
    // Collect the parent's entries under the prefix, then merge with the buffered ones. Scans
    // are for queries and checks over small prefixes, never the transaction hot path.
    std::vector<std::pair<std::string, std::string>> base;
    JC_TRY_STATUS(parent_.scan(prefix, [&](std::string_view k, std::string_view v) {
        base.emplace_back(std::string(k), std::string(v));
        return true;
    }));
    auto it = entries_.lower_bound(prefix);
    auto in_prefix = [&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; };
    std::size_t b = 0;
    while (true) {
        const bool have_overlay = it != entries_.end() && in_prefix(it->first);
        const bool have_base = b < base.size();
        if (!have_overlay && !have_base) {
            return {};
        }
        if (have_overlay && (!have_base || it->first <= base[b].first)) {
            if (have_base && it->first == base[b].first) {
                ++b;  // the buffered value shadows the parent's
            }
            if (it->second && !visit(it->first, *it->second)) {
                return {};
            }
            ++it;
        } else {
            if (!visit(base[b].first, base[b].second)) {
                return {};
            }
            ++b;
        }
    }
}

void Overlay::set(std::string key, std::optional<std::string> value) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        undo_.push_back(Undo{key, false, std::nullopt});
        entries_.emplace(std::move(key), std::move(value));
    } else {
        undo_.push_back(Undo{key, true, std::move(it->second)});
        it->second = std::move(value);
    }
}

void Overlay::put(std::string key, std::string value) { set(std::move(key), std::move(value)); }

void Overlay::erase(std::string key) { set(std::move(key), std::nullopt); }

void Overlay::rollback(Savepoint sp) {
    JC_ASSERT(sp <= undo_.size(), "contracts.overlay.savepoint_valid");
    while (undo_.size() > sp) {
        Undo& u = undo_.back();
        if (u.existed) {
            entries_.find(u.key)->second = std::move(u.previous);
        } else {
            entries_.erase(u.key);
        }
        undo_.pop_back();
    }
}

ledger::StateWrites Overlay::writes() const {
    ledger::StateWrites out;
    out.reserve(entries_.size());
    for (const auto& [k, v] : entries_) {
        out.push_back(ledger::StateWrite{k, v});
    }
    return out;
}

}  // namespace jc::contracts
