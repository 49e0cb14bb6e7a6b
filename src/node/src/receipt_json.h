// A receipt as the JSON-RPC methods answer it (docs/rpc.md, "Receipt"):
//
//   {"code", "detail" (only when present), "error", "height", "index", "result", "status", "tx_hash"}
//
// Two renderings of the same value: a tree, for callers that embed the receipt in a larger
// answer, and text, for answers that are the receipt itself (a waiting submission, getReceipt):
// `result` and `detail` are canonical JSON text already (the engine writes them and
// `ledger::Receipt::decode` checks them), so the text form copies them instead of parsing them
// into a tree only to print them again (ADR 0151). receipt_text(r).text == receipt_json(r).dump()
// for every valid receipt.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/core/canonical_json.h>
#include <jc/ledger/receipt.h>
#include <jc/rpc/dispatcher.h>

namespace jc::node {

// The receipt as a tree. `r` must be valid (ledger::Receipt::validate).
json::Value receipt_json(const ledger::Receipt& r);

// The same receipt as the JSON text receipt_json(r).dump() prints. `r` must be valid.
rpc::RawJson receipt_text(const ledger::Receipt& r);

}  // namespace jc::node
