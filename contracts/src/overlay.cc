#include "overlay.h"

#include <jc/core/assert.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace jc::contracts {

Result<std::optional<std::string>> Overlay::get(std::string_view key) const {
    if (const std::string* typed = written_typed(key)) {
        return std::optional<std::string>{*typed};
    }
    const auto it = entries_.find(key);
    if (it != entries_.end()) {
        return it->second;
    }
    return parent_.get(key);
}

namespace {
bool key_less(const std::pair<const std::string, std::optional<std::string>>* a,
              const std::pair<const std::string, std::optional<std::string>>* b) {
    return a->first < b->first;
}

// A key's first 24 bytes as three big-endian words (zero-padded), beside its entry: comparing
// the words orders keys as their bytes do wherever they differ within those bytes, without
// following two pointers and calling memcmp per comparison; equal words fall back to the
// keys themselves. About 5,000 keys per 1,000-transaction block, sorted once (ADR 0173).
struct SortKey {
    std::uint64_t w0;
    std::uint64_t w1;
    std::uint64_t w2;
    const std::pair<const std::string, std::optional<std::string>>* entry;
};

std::uint64_t big_endian_word(const unsigned char* p) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, sizeof w);
    if constexpr (std::endian::native == std::endian::little) {
        w = __builtin_bswap64(w);
    }
    return w;
}

SortKey sort_key(const std::pair<const std::string, std::optional<std::string>>* entry) {
    std::array<unsigned char, 24> head{};
    const std::string& key = entry->first;
    std::memcpy(head.data(), key.data(), std::min(key.size(), head.size()));
    return SortKey{big_endian_word(head.data()), big_endian_word(head.data() + 8),
                   big_endian_word(head.data() + 16), entry};
}

bool sort_key_less(const SortKey& a, const SortKey& b) {
    if (a.w0 != b.w0) {
        return a.w0 < b.w0;
    }
    if (a.w1 != b.w1) {
        return a.w1 < b.w1;
    }
    if (a.w2 != b.w2) {
        return a.w2 < b.w2;
    }
    return a.entry->first < b.entry->first;
}

// Sorts entry pointers by key bytes. Keys are unique, so the order is total: the same on every
// node whatever the hash order they were collected in.
void sort_by_key(
    std::vector<const std::pair<const std::string, std::optional<std::string>>*>& entries) {
    std::vector<SortKey> keyed;
    keyed.reserve(entries.size());
    for (const auto* entry : entries) {
        keyed.push_back(sort_key(entry));
    }
    std::sort(keyed.begin(), keyed.end(), sort_key_less);
    for (std::size_t i = 0; i < keyed.size(); ++i) {
        entries[i] = keyed[i].entry;
    }
}
}  // namespace

const std::vector<const Overlay::Map::value_type*>& Overlay::ordered() const {
    if (!order_valid_) {
        order_.clear();
        order_.reserve(entries_.size());
        for (const auto& entry : entries_) {
            order_.push_back(&entry);
        }
        sort_by_key(order_);
        pending_.clear();
        order_valid_ = true;
    } else if (!pending_.empty()) {
        sort_by_key(pending_);
        const auto middle = static_cast<std::ptrdiff_t>(order_.size());
        order_.insert(order_.end(), pending_.begin(), pending_.end());
        std::inplace_merge(order_.begin(), order_.begin() + middle, order_.end(), key_less);
        pending_.clear();
    }
    JC_ASSERT(order_.size() == entries_.size(), "contracts.overlay.order_complete");
    return order_;
}

template <typename R, typename Use>
R Overlay::with_typed_set(std::string_view key, R otherwise, Use&& use) const {
    if (accounts_.covers(key)) {
        return use(accounts_);
    }
    if (obligations_.covers(key)) {
        return use(obligations_);
    }
    return otherwise;
}

const std::string* Overlay::written_typed(std::string_view key) const {
    return with_typed_set(key, static_cast<const std::string*>(nullptr), [&](auto& set) -> const std::string* {
        const auto* s = set.find_written(key);
        if (s == nullptr) {
            return nullptr;
        }
        typed_bytes_ = set.bytes(*s);
        return &typed_bytes_;
    });
}

bool Overlay::typed_written(std::string_view key) const {
    return with_typed_set(key, false, [&](auto& set) { return set.find_written(key) != nullptr; });
}

bool Overlay::typed_slot(std::string_view key) const {
    return with_typed_set(key, false, [&](auto& set) { return set.find(key) != nullptr; });
}

template <typename T>
Result<T> Overlay::typed(TypedRecords<T>& set, std::string_view key) const {
    auto slot = slot_of(set, key);
    if (!slot) {
        return std::move(slot).error();
    }
    return (*slot)->value;
}

template <typename T>
Status Overlay::put_typed(TypedRecords<T>& set, std::string_view key, const T& value) {
    auto assign = [&value](T& record) {
        record = value;
        return true;
    };
    auto wrote = update_typed(set, key, assign);
    if (!wrote) {
        return std::move(wrote).error();
    }
    return {};
}

Result<Account> Overlay::account(std::string_view key) const {
    return typed(accounts_, key);
}
Result<ObligationAggregate> Overlay::obligation(std::string_view key) const {
    return typed(obligations_, key);
}
Status Overlay::put_account(std::string_view key, const Account& value) {
    return put_typed(accounts_, key, value);
}
Status Overlay::put_obligation(std::string_view key, const ObligationAggregate& value) {
    return put_typed(obligations_, key, value);
}

void Overlay::flush_typed() const {
    if (!typed_unflushed_) {
        return;
    }
    auto put = [this](const std::string& key, std::string bytes) {
        const auto it = entries_.find(key);
        if (it != entries_.end() && it->second && *it->second == bytes) {
            return;
        }
        set(key, std::move(bytes));
    };
    accounts_.flush(put);
    obligations_.flush(put);
    typed_unflushed_ = false;
}

std::vector<Overlay::Entry> Overlay::sorted(std::string_view prefix) const {
    if (accounts_.meets(prefix) || obligations_.meets(prefix)) {
        flush_typed();
    }
    const auto& order = ordered();
    auto it = std::lower_bound(order.begin(), order.end(), prefix,
                               [](const Map::value_type* e, std::string_view p) { return e->first < p; });
    std::vector<Entry> out;
    for (; it != order.end() && (*it)->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        out.push_back(Entry{&(*it)->first, &(*it)->second});
    }
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

void Overlay::set(std::string key, std::optional<std::string> value) const {
    auto [it, inserted] = entries_.try_emplace(std::move(key));
    if (inserted) {
        if (order_valid_) {
            pending_.push_back(&*it);
        }
        undo_.push_back(Undo{&*it, false, std::nullopt});
    } else {
        undo_.push_back(Undo{&*it, true, std::move(it->second)});
    }
    it->second = std::move(value);
}

void Overlay::put(std::string key, std::string value) {
    JC_ASSERT(!typed_slot(key), "contracts.overlay.typed_record_written_as_bytes");
    set(std::move(key), std::move(value));
}

void Overlay::erase(std::string key) {
    JC_ASSERT(!typed_slot(key), "contracts.overlay.typed_record_written_as_bytes");
    set(std::move(key), std::nullopt);
}

bool Overlay::noted(std::string_view bank, Concern::Record record, std::string_view id) const {
    return std::any_of(concerns_.begin(), concerns_.end(), [&](const Concern& c) {
        return c.record == record && c.bank == bank && c.id == id;
    });
}

void Overlay::note_concern(std::string_view bank, Concern::Record record, std::string_view id) {
    if (noted(bank, record, id)) {
        return;
    }
    if (concerns_.empty()) {
        concerns_.reserve(8);  // a repayment notes its loan's and partnerships' banks: ~4-6
    }
    concerns_.push_back(Concern{std::string(bank), record, std::string(id)});
}

std::vector<Concern> Overlay::take_concerns() {
    std::vector<Concern> out = std::move(concerns_);
    concerns_.clear();
    std::sort(out.begin(), out.end());
    return out;
}

void Overlay::rollback(Savepoint sp) {
    JC_ASSERT(sp.bytes <= undo_.size(), "contracts.overlay.savepoint_valid");
    JC_ASSERT(sp.concerns <= concerns_.size(), "contracts.overlay.concern_savepoint_valid");
    concerns_.resize(sp.concerns);
    // Either log may undo what a flush relied on; the next walk re-flushes (equal bytes are
    // skipped).
    const bool accounts_undone = accounts_.rollback(sp.accounts);
    const bool obligations_undone = obligations_.rollback(sp.obligations);
    if (accounts_undone || obligations_undone || undo_.size() > sp.bytes) {
        typed_unflushed_ = true;
    }
    while (undo_.size() > sp.bytes) {
        Undo& u = undo_.back();
        // A typed slot loaded from the bytes about to change goes stale (typed_records.h).
        with_typed_set(u.entry->first, false, [&](auto& set) {
            set.forget_clean(u.entry->first);
            return true;
        });
        if (u.existed) {
            u.entry->second = std::move(u.previous);
        } else {
            // Newer writes to this key were undone first (the log is a stack), so the node is
            // still the one this write created.
            const std::string key = u.entry->first;  // not a reference into the dying node
            if (order_valid_) {
                if (!pending_.empty() && pending_.back() == u.entry) {
                    pending_.pop_back();
                } else {
                    order_valid_ = false;  // rebuilt from the map on next use
                    pending_.clear();
                }
            }
            entries_.erase(key);
        }
        undo_.pop_back();
    }
}

ledger::StateWrites Overlay::take_writes() {
    // The key order is sorted as node pointers (or kept from the invariant pass), and each node
    // is then extracted and its strings moved into the write list once: sorting the
    // StateWrites themselves moved two strings per swap.
    flush_typed();
    accounts_.clear();
    obligations_.clear();
    typed_unflushed_ = false;
    const auto& order = ordered();
    ledger::StateWrites out;
    out.reserve(order.size());
    for (const Map::value_type* entry : order) {
        // extract() only unlinks the node, which the handle then owns, so the key it was found
        // by (the node's own) stays valid during the call.
        auto node = entries_.extract(entry->first);
        out.push_back(ledger::StateWrite{std::move(node.key()), std::move(node.mapped())});
    }
    JC_ASSERT(entries_.empty(), "contracts.overlay.order_extracted");
    order_.clear();
    order_valid_ = false;
    undo_.clear();
    return out;
}

}  // namespace jc::contracts
