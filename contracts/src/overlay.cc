#include "overlay.h"

#include <jc/core/assert.h>

#include <algorithm>

namespace jc::contracts {

Result<std::optional<std::string>> Overlay::get(std::string_view key) const {
    const auto it = entries_.find(key);
    if (it != entries_.end()) {
        return it->second;
    }
    return parent_.get(key);
}

std::vector<Overlay::Entry> Overlay::sorted(std::string_view prefix) const {
    std::vector<Entry> out;
    for (const auto& [k, v] : entries_) {
        if (k.compare(0, prefix.size(), prefix) == 0) {
            out.push_back(Entry{&k, &v});
        }
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return *a.key < *b.key; });
    return out;
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
    const std::vector<Entry> mine = sorted(prefix);
    std::size_t m = 0;
    std::size_t b = 0;
    while (m < mine.size() || b < base.size()) {
        if (m < mine.size() && (b == base.size() || *mine[m].key <= base[b].first)) {
            if (b < base.size() && *mine[m].key == base[b].first) {
                ++b;  // the buffered value shadows the parent's
            }
            const auto& value = *mine[m].value;
            if (value && !visit(*mine[m].key, *value)) {
                return {};
            }
            ++m;
        } else {
            if (!visit(base[b].first, base[b].second)) {
                return {};
            }
            ++b;
        }
    }
    return {};
}

void Overlay::set(std::string key, std::optional<std::string> value) {
    auto [it, inserted] = entries_.try_emplace(std::move(key));
    if (inserted) {
        undo_.push_back(Undo{&*it, false, std::nullopt});
    } else {
        undo_.push_back(Undo{&*it, true, std::move(it->second)});
    }
    it->second = std::move(value);
}

void Overlay::put(std::string key, std::string value) { set(std::move(key), std::move(value)); }

void Overlay::erase(std::string key) { set(std::move(key), std::nullopt); }

void Overlay::rollback(Savepoint sp) {
    JC_ASSERT(sp <= undo_.size(), "contracts.overlay.savepoint_valid");
    while (undo_.size() > sp) {
        Undo& u = undo_.back();
        if (u.existed) {
            u.entry->second = std::move(u.previous);
        } else {
            // Newer writes to this key were undone first (the log is a stack), so the node is
            // still the one this write created.
            const std::string key = u.entry->first;  // not a reference into the dying node
            entries_.erase(key);
        }
        undo_.pop_back();
    }
}

ledger::StateWrites Overlay::take_writes() {
    // The nodes are sorted as handles (a pointer each) and only then moved into the write list
    // once: sorting the StateWrites themselves moved two strings per swap.
    std::vector<Map::node_type> nodes;
    nodes.reserve(entries_.size());
    while (!entries_.empty()) {
        nodes.push_back(entries_.extract(entries_.begin()));
    }
    // Keys are unique, so the order is total: the same on every node whatever the hash order.
    std::sort(nodes.begin(), nodes.end(),
              [](const Map::node_type& a, const Map::node_type& b) { return a.key() < b.key(); });
    ledger::StateWrites out;
    out.reserve(nodes.size());
    for (auto& node : nodes) {
        out.push_back(ledger::StateWrite{std::move(node.key()), std::move(node.mapped())});
    }
    undo_.clear();
    return out;
}

}  // namespace jc::contracts
