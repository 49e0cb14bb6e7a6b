// The contract engine: a pure, deterministic function from (parent state, block context, the
// block's transactions) to (one receipt per transaction, the ordered state writes).
//
//   Engine engine;
//   auto out = engine.execute_block(parent, BlockContext::at(height, timestamp_ms), txs);
//   if (!out) { halt loudly: out.error() names the height and the broken invariant }
//
// No floating point, wall clock, randomness, I/O or unordered iteration: the same parent and
// block give byte-identical receipts and writes on every node and build. Transactions run in
// order against a buffered overlay of the parent; a REJECTED transaction (or a failed atomic
// batch) is rolled back and changes nothing. The engine does not verify signatures (the node
// did, once); it does check that the signer is a registered key of an ACTIVE sender bank.
//
// Errors: a business rejection is a receipt (status REJECTED, a DOMAIN.md B.5 code). An Error
// from execute_block means the block cannot be executed at all: the backing store failed,
// state is corrupt, or an invariant (T1-T8 per transaction when enabled, B1-B6 per block,
// always; B7 replay when enabled) is violated (ERR_INVARIANT_VIOLATION, 9900). The node must
// then halt, naming the height, rather than diverge.
//
// Thread-safety: an Engine holds only its options; execute_block is const and may run
// concurrently on different parents (each call builds its own overlay).
#pragma once

#include <jc/contracts/error_codes.h>
#include <jc/core/canonical_json.h>
#include <jc/core/error.h>
#include <jc/ledger/state.h>
#include <jc/ledger/transaction.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace jc::contracts {

struct BlockContext {
    std::uint64_t height = 0;
    std::int64_t timestamp_ms = 0;
    std::int32_t business_date = 0;  // days since 1970-01-01, CST (UTC+8)

    // The context of a block at `height` with `timestamp_ms`; the business date is derived.
    static BlockContext at(std::uint64_t height, std::int64_t timestamp_ms);
};

// A bank a transaction (or a block's prologue) concerns, and the record it may read to see how
// (ADR 0179): every party of a loan created or changed (servicer and tranche holders), both
// banks of a partnership or settlement instruction written, every bank with an obligation in a
// cycle closed (and its settlement agent), and for governance every member (`bank` empty). Every
// posting and obligation belongs to one of these records, so every bank whose sub-ledger is
// touched is named.
struct Concern {
    enum class Record : std::uint8_t {
        kLoan = 0,
        kPartnership = 1,
        kInstruction = 2,
        kProposal = 3,
        kCycle = 4
    };
    std::string bank;  // "" for every member
    Record record = Record::kLoan;
    std::string id;  // the loan_id, partnership_id, instruction_id, proposal_id or cycle_id

    friend auto operator<=>(const Concern&, const Concern&) = default;
    friend bool operator==(const Concern&, const Concern&) = default;
};
// "loan_id", "partnership_id", "instruction_id", "proposal_id", "cycle_id": the record's id
// field name, as the queries that read it take it.
std::string_view concern_id_field(Concern::Record record);

enum class TxStatus : std::uint8_t { kOk = 0, kDuplicate = 1, kRejected = 2 };
std::string_view tx_status_name(TxStatus status);  // "OK" | "DUPLICATE" | "REJECTED"

// `detail` and `result` are canonical JSON text (RFC 8785, json::canonicalize's bytes): exactly
// what the ledger's receipt stores and hashes, produced once by the engine (ADR 0120).
struct TxReceipt {
    TxStatus status = TxStatus::kOk;
    std::int32_t code = 0;       // 0 when OK or DUPLICATE
    std::string error;           // "" when OK or DUPLICATE, else e.g. "ERR_SHARES_NOT_100"
    std::string detail;          // what to fix (REJECTED) or the original tx (DUPLICATE); "" when none
    std::string result = "null";  // the effect (OK) or the original result (DUPLICATE); "null" when none
    // Whom an OK transaction concerns and through which record (ADR 0179), for the node's
    // bank_events. Sorted and distinct; empty unless OK. Deterministic like the rest, but not
    // part of the ledger's receipt: never hashed or stored.
    std::vector<Concern> concerns;

    // The texts parsed (tests, tools; not for hot paths): detail_json() is null when detail is "".
    // REQUIRES: the texts came from the engine (they always parse).
    [[nodiscard]] json::Value detail_json() const;
    [[nodiscard]] json::Value result_json() const;
};

struct BlockOutput {
    std::vector<TxReceipt> receipts;  // one per transaction, in block order
    // Whom the block prologue concerns (TxReceipt::concerns' rules): a cycle closed at its
    // cutoff, loan proposals expired. Sorted and distinct; not part of the ledger.
    std::vector<Concern> prologue_concerns;
    ledger::StateWrites writes;       // ordered by key; apply in this order
};

struct EngineOptions {
    // Check T1-T8 after every transaction (tests, the simulator, and the debug flag). B1-B4 are
    // checked after every block regardless.
    bool check_tx_invariants = false;
    // B7: execute every block a second time from the same parent and compare writes and
    // receipts (tests, the simulator, the debug flag; doubles execution cost).
    bool check_replay = false;
};

class Engine {
public:
    explicit Engine(EngineOptions options = {}) : options_(options) {}

    [[nodiscard]] Result<BlockOutput> execute_block(
        const ledger::StateReader& parent, const BlockContext& ctx,
        std::span<const std::shared_ptr<const ledger::Transaction>> txs) const;

    [[nodiscard]] const EngineOptions& options() const { return options_; }

private:
    EngineOptions options_;
};

}  // namespace jc::contracts
