// Overlay: buffered writes over a parent StateReader, with savepoints.
//
// Reads see the newest buffered value, else the parent. Writes are buffered in a hash map (the
// hot path does ~25 lookups per repayment; ordered-map lookups over long shared key prefixes
// cost several times more). Every write logs the previous buffered entry so that
// rollback(savepoint) undoes exactly the writes made since the savepoint (a rejected
// transaction, a failed atomic batch). Savepoints nest.
//
// Determinism: the hash map is never iterated in an order that matters. sorted() and
// take_writes() sort the entries by key bytes, so the block's StateWrites are in key order on
// every node, and prefix walks (the invariant pass) see keys in ascending order.
//
// Key order (ADR 0162): the first sorted() call sorts the buffered keys once (pointers to the
// map's nodes) and later calls binary-search that order for their prefix instead of walking
// every entry (the invariant pass makes ~12 prefix walks per block); take_writes() reuses it.
// Once the order exists, keys buffered later are queued and merged into it by the next call
// (O(n + k log k), never more than the walk it replaces); a rollback that removes the newest
// queued key pops it, any other removal drops the order, rebuilt on next use. Before the first
// sorted() call (the transactions) keeping it costs one branch per write.
//
// Typed records (ADR 0173): accounts and obligation aggregates are read and written as typed
// values (account(), put_account(), ...) held in TypedRecords, not as bytes. Their bytes reach
// the byte map only when needed: a walk (sorted(), scan()) over a prefix they fall under and
// take_writes() flush them first, and get()/read() of such a key return the typed value's
// encoding. A flush writes each value's own encoding, so no read made after it returns
// anything else than before it, hence it may happen under const. The entries a walk returned
// are views of the byte map as of that walk: a typed write after it shows in the next walk.
//
// Concerns (ADR 0179): beside the writes, the overlay keeps whom the current transaction's
// writes concern (engine.h Concern), for the node's bank_events notifications. They are not state
// and never reach the ledger; they sit here only so that a rollback forgets them together with the
// writes it undoes.
//
// Private to jc_contracts. Thread-safety: not synchronised; one per block execution.
#pragma once

#include <jc/contracts/engine.h>
#include <jc/contracts/records.h>
#include <jc/ledger/state.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "typed_records.h"

namespace jc::contracts {

class Overlay final : public ledger::StateReader {
public:
    // `version`: the record version this block writes in (Params::record_version, ADR 0175);
    // the typed records are encoded in it, and handlers pass record_version() to encode().
    Overlay(const ledger::StateReader& parent, RecordVersion version) : parent_(parent), version_(version) {}

    [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const override;
    // Merges buffered entries with the parent's, in key order.
    [[nodiscard]] Status scan(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;

    // Accounts and obligation aggregates are written typed (put_account(), update_account(),
    // ...). Their keys may be written as bytes only while this overlay holds no typed slot for
    // that record (tests load a block's writes this way); asserted.
    void put(std::string key, std::string value);
    void erase(std::string key);

    struct Savepoint {
        std::size_t bytes;
        std::size_t accounts;
        std::size_t obligations;
        std::size_t concerns;
    };
    [[nodiscard]] Savepoint savepoint() const {
        return Savepoint{undo_.size(), accounts_.savepoint(), obligations_.savepoint(),
                         concerns_.size()};
    }
    void rollback(Savepoint sp);
    // Forgets the undo logs: everything buffered so far is final for this block.
    // REQUIRES: no savepoint taken since the last release is still to be rolled back.
    void release_undo() {
        undo_.clear();
        accounts_.release_undo();
        obligations_.release_undo();
    }

    // The account or obligation aggregate at `key` (its zero value when absent), decoded at most
    // once per block. A record that does not decode is Errc::kCorruption, with the key.
    [[nodiscard]] Result<Account> account(std::string_view key) const;
    [[nodiscard]] Result<ObligationAggregate> obligation(std::string_view key) const;
    // Writes the record at `key`, undone by a rollback like any other write.
    [[nodiscard]] Status put_account(std::string_view key, const Account& value);
    [[nodiscard]] Status put_obligation(std::string_view key, const ObligationAggregate& value);
    // Reads the record at `key` and writes it back as `change(T&)` left it when that returns
    // true: one lookup for both. Returns whether it wrote.
    template <typename Change>
    [[nodiscard]] Result<bool> update_account(std::string_view key, Change&& change) {
        return update_typed(accounts_, key, change);
    }
    template <typename Change>
    [[nodiscard]] Result<bool> update_obligation(std::string_view key, Change&& change) {
        return update_typed(obligations_, key, change);
    }

    // Notes that the writes since the last take_concerns() concern `bank` through a record
    // (see the top comment; bank "" is every member). Undone by rollback like a write.
    void note_concern(std::string_view bank, Concern::Record record, std::string_view id);
    [[nodiscard]] bool noted(std::string_view bank, Concern::Record record,
                             std::string_view id) const;
    // What was noted since the last call, sorted and distinct; the overlay forgets it.
    [[nodiscard]] std::vector<Concern> take_concerns();

    [[nodiscard]] const ledger::StateReader& parent() const { return parent_; }
    [[nodiscard]] RecordVersion record_version() const { return version_; }

    // Whether `key` has a buffered write (a value or a delete). When it has none, a read sees
    // the parent's value.
    [[nodiscard]] bool buffers(std::string_view key) const {
        return entries_.find(key) != entries_.end() || typed_written(key);
    }

    // Calls `use` with the current value at `key` (nullopt when absent) and returns its result
    // (a Result<T>). A buffered value is passed as a view, not copied as get() must: most of a
    // repayment's reads are of accounts and aggregates written earlier in the block (ADR 0140).
    // The view is valid only during the call, and `use` must not read this overlay again: a
    // typed record's encoding is held in one buffer that the next such read reuses.
    template <typename Use>
    auto read(std::string_view key, Use&& use) const -> decltype(use(std::optional<std::string_view>{})) {
        if (const std::string* typed = written_typed(key)) {
            return use(std::optional<std::string_view>{*typed});
        }
        return read_bytes(key, std::forward<Use>(use));
    }

    struct Entry {
        const std::string* key;
        const std::optional<std::string>* value;  // nullopt: delete
    };
    // Buffered entries with keys starting with `prefix`, in key order.
    [[nodiscard]] std::vector<Entry> sorted(std::string_view prefix = {}) const;
    // The buffered entries as the block's writes, in key order; leaves the overlay empty.
    [[nodiscard]] ledger::StateWrites take_writes();

private:
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    using Map =
        std::unordered_map<std::string, std::optional<std::string>, KeyHash, std::equal_to<>>;

    // read() without the typed records: the buffered bytes, else the parent's.
    template <typename Use>
    auto read_bytes(std::string_view key, Use&& use) const
        -> decltype(use(std::optional<std::string_view>{})) {
        const auto it = entries_.find(key);
        if (it != entries_.end()) {
            if (!it->second) {
                return use(std::optional<std::string_view>{});
            }
            return use(std::optional<std::string_view>{*it->second});
        }
        auto raw = parent_.get(key);
        if (!raw) {
            return std::move(raw).error();
        }
        if (!raw->has_value()) {
            return use(std::optional<std::string_view>{});
        }
        return use(std::optional<std::string_view>{**raw});
    }
    void set(std::string key, std::optional<std::string> value) const;
    // When `key` is a typed record this block wrote: its encoding, kept in typed_bytes_ until the
    // next call (a view of it is what read() passes on). Else nullptr.
    const std::string* written_typed(std::string_view key) const;
    // Calls `use` with the typed set whose prefix covers `key` and returns its result, or
    // `otherwise` when no set covers it.
    template <typename R, typename Use>
    R with_typed_set(std::string_view key, R otherwise, Use&& use) const;
    bool typed_slot(std::string_view key) const;     // whether a loaded typed slot holds `key`
    bool typed_written(std::string_view key) const;  // whether this block wrote `key` typed
    // The slot for `key`, loaded from the bytes on first touch.
    template <typename T>
    Result<typename TypedRecords<T>::Slot*> slot_of(TypedRecords<T>& set,
                                                    std::string_view key) const {
        if (auto* s = set.find(key)) {
            return s;
        }
        // No slot: no typed write either, so the bytes are the record's.
        return read_bytes(
            key, [&](std::optional<std::string_view> bytes) { return set.load(key, bytes); });
    }
    template <typename T, typename Change>
    Result<bool> update_typed(TypedRecords<T>& set, std::string_view key, Change& change) {
        auto slot = slot_of(set, key);
        if (!slot) {
            return std::move(slot).error();
        }
        T value = (*slot)->value;
        if (!change(value)) {
            return false;
        }
        set.write(*slot, value);
        typed_unflushed_ = true;
        return true;
    }
    template <typename T>
    Result<T> typed(TypedRecords<T>& set, std::string_view key) const;
    template <typename T>
    Status put_typed(TypedRecords<T>& set, std::string_view key, const T& value);
    // Encodes the written typed records into the byte map (skipping bytes already equal).
    void flush_typed() const;
    // The buffered entries in key order (builds order_ on first use; see the top comment).
    const std::vector<const Map::value_type*>& ordered() const;

    // Points at the map's node (references to unordered_map elements survive rehashing), so
    // the log copies no keys; a rollback finds new keys again through the node's own key.
    struct Undo {
        Map::value_type* entry;
        bool existed;                         // was the key buffered before this write?
        std::optional<std::string> previous;  // its buffered value then
    };

    const ledger::StateReader& parent_;
    RecordVersion version_;
    // Mutable for flush_typed() (see the top comment) and for the typed sets' first-touch loads.
    mutable Map entries_;
    mutable std::vector<Undo> undo_;
    mutable TypedRecords<Account> accounts_{keys::kAccountPrefix, decode_account, encode, version_};
    mutable TypedRecords<ObligationAggregate> obligations_{keys::kObligationPrefix, decode_obligation, encode,
                                                           version_};
    mutable bool typed_unflushed_ = false;  // a typed write or a rollback since the last flush
    mutable std::string typed_bytes_;
    // Every node of entries_ in key order while order_valid_ (node pointers survive rehashing).
    mutable std::vector<const Map::value_type*> order_;
    mutable bool order_valid_ = false;
    // Keys buffered since order_ was last brought up to date, in insertion order.
    mutable std::vector<const Map::value_type*> pending_;
    // In noting order, each once (a transaction concerns a handful of banks and records).
    std::vector<Concern> concerns_;
};

}  // namespace jc::contracts
