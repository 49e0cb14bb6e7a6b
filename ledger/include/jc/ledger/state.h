// The ledger state: an ordered key-value map of byte strings, and the narrow interfaces through
// which the contract engine reads it and reports its changes.
//
// The engine reads through a `StateReader` (the store's snapshot at the parent height, an
// in-memory map in tests, or a read-only view for RPC queries) and produces `StateWrites`: an
// ordered list of puts and deletes. Order matters: the state commitment hashes the writes in
// the order the engine produced them, and the store applies them in that order.
//
// Keys and values are arbitrary bytes held in std::string. Scans visit keys in ascending
// bytewise order, so iteration is deterministic everywhere.
//
// Thread-safety: a StateReader must be safe for concurrent const use when it is shared (the
// store's snapshots are). MemoryState is not synchronised.
#pragma once

#include <jc/core/error.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::ledger {

struct StateWrite {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key

    friend bool operator==(const StateWrite&, const StateWrite&) = default;
};
using StateWrites = std::vector<StateWrite>;

class StateReader {
public:
    virtual ~StateReader() = default;

    // The value at `key`, or nullopt when absent. An error means the backing store failed.
    [[nodiscard]] virtual Result<std::optional<std::string>> get(std::string_view key) const = 0;

    // Calls `visit(key, value)` for each key starting with `prefix`, in ascending byte order,
    // until it returns false.
    [[nodiscard]] virtual Status scan(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;
};

// An in-memory state: for tests, the simulator and benchmarks.
class MemoryState final : public StateReader {
public:
    [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const override;
    [[nodiscard]] Status scan(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;

    void apply(const StateWrites& writes);
    [[nodiscard]] const std::map<std::string, std::string, std::less<>>& entries() const {
        return entries_;
    }

private:
    std::map<std::string, std::string, std::less<>> entries_;
};

}  // namespace jc::ledger
