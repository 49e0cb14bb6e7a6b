// The bank_events notification (API.md subscribe, DOMAIN.md B.9 streamNotifications): what one
// committed transaction, or a block's prologue, tells one bank (ADR 0179).
//
// A bank hears of every transaction it sent, accepted or refused, and of every accepted
// transaction that concerns it (contracts::Concern): one on a loan it funds, a partnership or
// settlement instruction it is a side of, a cycle it has obligations in, governance. Another
// bank's transaction can touch records this bank is no party to (a batch over several loans, a
// cycle close over every pair), so its `result` and `detail` are left out, and `concerns` names
// this bank's records, to read with the queries that check access:
//
//   {"code", "concerns": [{"loan_id": …} | {"partnership_id": …} | {"instruction_id": …} |
//                         {"cycle_id": …} | {"proposal_id": …}, …],
//    "detail" (own only, when present), "error", "height", "index", "result" (own only),
//    "sender", "status", "tx_hash", "type"}
//
// A block's prologue (a cycle closed at its cutoff, loan proposals expired) belongs to no
// transaction; a bank it concerns gets {"concerns", "height", "type": "block.prologue"}.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/engine.h>
#include <jc/core/canonical_json.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/transaction.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace jc::node {

// The notification for `bank` of the transaction `tx` with receipt `receipt` and the engine's
// `concerns` (sorted, as TxReceipt::concerns), or nullopt when the transaction is not the
// bank's and does not concern it. `receipt` must be valid (ledger::Receipt::validate).
std::optional<json::Value> bank_event(std::string_view bank, const ledger::Transaction& tx,
                                      const ledger::Receipt& receipt,
                                      std::span<const contracts::Concern> concerns);

// The notification for `bank` of the prologue of the block at `height` (BlockOutput::
// prologue_concerns), or nullopt when it does not concern the bank.
std::optional<json::Value> bank_prologue_event(std::string_view bank, std::uint64_t height,
                                               std::span<const contracts::Concern> concerns);

}  // namespace jc::node
