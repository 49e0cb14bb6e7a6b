// Overlay: buffered writes over a parent StateReader, with savepoints.
//
// Reads see the newest buffered value, else the parent. Writes are buffered in an ordered map;
// every write logs the previous buffered entry so that rollback(savepoint) undoes exactly the
// writes made since the savepoint (a rejected transaction, a failed atomic batch). Savepoints
// nest. writes() returns the buffered entries in key order: the block's StateWrites.
//
// Private to jc_contracts. Thread-safety: not synchronised; one per block execution.
#pragma once

#include <jc/ledger/state.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::contracts {

class Overlay final : public ledger::StateReader {
public:
    explicit Overlay(const ledger::StateReader& parent) : parent_(parent) {}

    [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const override;
    // Merges buffered entries with the parent's, in key order.
    [[nodiscard]] Status scan(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;

    void put(std::string key, std::string value);
    void erase(std::string key);

    using Savepoint = std::size_t;
    [[nodiscard]] Savepoint savepoint() const { return undo_.size(); }
    void rollback(Savepoint sp);
    // Forgets the undo log: everything buffered so far is final for this block.
    // REQUIRES: no savepoint taken since the last release is still to be rolled back.
    void release_undo() { undo_.clear(); }

    [[nodiscard]] const ledger::StateReader& parent() const { return parent_; }
    // Buffered entries (nullopt = delete), in key order.
    [[nodiscard]] const std::map<std::string, std::optional<std::string>, std::less<>>& entries() const {
        return entries_;
    }
    [[nodiscard]] ledger::StateWrites writes() const;

private:
    void set(std::string key, std::optional<std::string> value);

    struct Undo {
        std::string key;
        bool existed;                          // was the key buffered before this write?
        std::optional<std::string> previous;   // its buffered value then
    };

    const ledger::StateReader& parent_;
    std::map<std::string, std::optional<std::string>, std::less<>> entries_;
    std::vector<Undo> undo_;
};

}  // namespace jc::contracts
