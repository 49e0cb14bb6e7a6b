// TypedRecords<T>: one block's working set of one kind of small, hot record, kept decoded
// (ADR 0173).
//
// A repayment posts to ~11 accounts and ~3 obligation aggregates, nearly all the same few dozen
// records across a block. Read-modify-write through the overlay's bytes decoded, re-encoded and
// re-buffered each of them per transaction, and logged a copy of the old bytes for rollback.
// Here each record is decoded once per block (at first touch) and written in place; the
// Overlay encodes the records written so far into its byte map only when something must see
// bytes: a walk over their prefix, a point read of the bytes, and the block's writes.
//
// A slot holds the value as of now and whether this block wrote it. A loaded slot never written
// equals the record's bytes (the overlay's or the parent's), because those bytes change only
// through a flush of this set, and through a raw write the overlay allows only while the key
// has no loaded slot. Writes are logged (slot, previous value, previously written) so that a
// rollback restores the slots exactly. The byte map's own undo log restores the flushed bytes,
// and a written slot wins over the bytes on every read, so the two logs need no coordination,
// with one exception: when a byte rollback changes the bytes of a key whose slot is loaded but
// not written (the bytes of a raw write the slot was loaded from), the overlay unloads the
// slot (forget_clean), and the next touch decodes the bytes then visible into it again.
//
// Determinism: slots live in first-touch order, which is the block's transaction order, and
// flush() visits them in that order; the hash index is only looked up, never iterated.
//
// Private to jc_contracts. Thread-safety: not synchronised; owned by one Overlay.
#pragma once

#include <jc/contracts/records.h>
#include <jc/core/assert.h>
#include <jc/core/error.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jc::contracts {

template <typename T>
class TypedRecords {
public:
    using Decode = Result<T> (*)(std::string_view bytes);
    using Encode = std::string (*)(const T& value, RecordVersion version);

    struct Slot {
        std::string key;
        T value{};
        bool written = false;  // by this block, and not rolled back
        bool loaded = true;    // false: stale, decoded again on next touch (forget_clean)
    };

    // `version`: the record version every value is encoded in (ADR 0175).
    TypedRecords(std::string_view prefix, Decode decode, Encode encode, RecordVersion version)
        : prefix_(prefix), decode_(decode), encode_(encode), version_(version) {}
    TypedRecords(const TypedRecords&) = delete;
    TypedRecords& operator=(const TypedRecords&) = delete;

    [[nodiscard]] bool covers(std::string_view key) const { return key.starts_with(prefix_); }
    // Whether a walk over the keys that start with `walk_prefix` can meet a key of this set.
    [[nodiscard]] bool meets(std::string_view walk_prefix) const {
        return walk_prefix.starts_with(prefix_) ||
               std::string_view(prefix_).starts_with(walk_prefix);
    }

    // The loaded slot for `key`, or nullptr.
    [[nodiscard]] Slot* find(std::string_view key) {
        const auto it = index_.find(key);
        return it == index_.end() || !it->second->loaded ? nullptr : it->second;
    }
    [[nodiscard]] const Slot* find(std::string_view key) const {
        const auto it = index_.find(key);
        return it == index_.end() || !it->second->loaded ? nullptr : it->second;
    }
    [[nodiscard]] const Slot* find_written(std::string_view key) const {
        const Slot* s = find(key);
        return s != nullptr && s->written ? s : nullptr;
    }

    // Decodes a record's current bytes (nullopt: absent, the zero value) into its slot: a new
    // one, or the stale one forget_clean left. REQUIRES: `key` has no loaded slot.
    [[nodiscard]] Result<Slot*> load(std::string_view key, std::optional<std::string_view> bytes) {
        JC_ASSERT(covers(key) && find(key) == nullptr, "contracts.typed_records.load_new");
        T value{};
        if (bytes) {
            auto decoded = decode_(*bytes);
            if (!decoded) {
                return decoded.error().with_context(key);
            }
            value = std::move(decoded).value();
        }
        if (const auto stale = index_.find(key); stale != index_.end()) {
            Slot* slot = stale->second;
            slot->value = std::move(value);
            slot->loaded = true;
            return slot;
        }
        Slot& slot = slots_.emplace_back(Slot{std::string(key), std::move(value), false, true});
        index_.emplace(std::string_view(slot.key), &slot);  // deque elements never move
        return &slot;
    }

    // Marks the slot of `key` stale when it is loaded and not written: its bytes are about to
    // change under it (a byte rollback). A written slot is unaffected, as it wins over the
    // bytes; an unwritten one has no undo entries left (only a write makes one, and undoing it
    // is what made the slot unwritten), so nothing refers to it while it is stale.
    void forget_clean(std::string_view key) {
        if (Slot* s = find(key); s != nullptr && !s->written) {
            s->loaded = false;
        }
    }

    // REQUIRES: `s` is one of this set's slots (from find() or load()).
    void write(Slot* s, const T& value) {
        undo_.push_back(Undo{s, s->value, s->written});
        s->value = value;
        s->written = true;
    }

    [[nodiscard]] std::size_t savepoint() const { return undo_.size(); }
    // Undoes the writes made since `sp`; returns whether there were any.
    bool rollback(std::size_t sp) {
        JC_ASSERT(sp <= undo_.size(), "contracts.typed_records.savepoint_valid");
        const bool any = undo_.size() > sp;
        while (undo_.size() > sp) {
            Undo& u = undo_.back();
            u.slot->value = std::move(u.previous);
            u.slot->written = u.was_written;
            undo_.pop_back();
        }
        return any;
    }
    void release_undo() { undo_.clear(); }

    // Calls put(key, encoded bytes) for every written slot, in first-touch order.
    template <typename Put>
    void flush(Put&& put) const {
        for (const Slot& s : slots_) {
            if (s.written) {
                put(s.key, encode_(s.value, version_));
            }
        }
    }
    [[nodiscard]] std::string bytes(const Slot& s) const { return encode_(s.value, version_); }

    void clear() {
        index_.clear();
        slots_.clear();
        undo_.clear();
    }

private:
    struct KeyHash {
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    struct Undo {
        Slot* slot;
        T previous;
        bool was_written;
    };

    std::string prefix_;
    Decode decode_;
    Encode encode_;
    RecordVersion version_;
    std::deque<Slot> slots_;
    std::unordered_map<std::string_view, Slot*, KeyHash> index_;  // views of slots_' keys
    std::vector<Undo> undo_;
};

}  // namespace jc::contracts
