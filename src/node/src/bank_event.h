// The bank_events notification (API.md subscribe, DOMAIN.md B.9 streamNotifications): what one
// committed transaction tells one bank (ADR 0179).
//
// A bank hears of every transaction it sent, accepted or refused, and of every accepted
// transaction that concerns it (contracts::Concern): one on a loan it funds, a partnership or
// settlement instruction it is a side of, governance. Others' receipts are cut to what the bank
// may read anyway: a transaction of another bank can touch records the bank is no party to (a
// batch over several loans, a cycle close over every pair), so its `result` and `detail` are
// left out, and `concerns` names the records to read with the queries that check access.
//
//   {"code", "concerns": [{"loan_id": …} | {"partnership_id": …} | {"instruction_id": …} |
//                         {"proposal_id": …}, …],
//    "detail" (own only, when present), "error", "height", "index", "result" (own only),
//    "sender", "status", "tx_hash", "type"}
//
// Thread-safety: a pure function.
#pragma once

#include <jc/contracts/engine.h>
#include <jc/core/canonical_json.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/transaction.h>

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

}  // namespace jc::node
