#include "bank_event.h"

#include <string>
#include <utility>

#include "receipt_json.h"

namespace jc::node {
namespace {

// This bank's records among `concerns` (and every member's), as [{"<record>_id": id}, ...].
json::Value refs_of(std::string_view bank, std::span<const contracts::Concern> concerns) {
    json::Value refs = json::Value::array();
    for (const contracts::Concern& c : concerns) {
        if (c.bank.empty() || c.bank == bank) {
            refs.push_back(json::Value{{std::string(contracts::concern_id_field(c.record)), c.id}});
        }
    }
    return refs;
}

}  // namespace

std::optional<json::Value> bank_event(std::string_view bank, const ledger::Transaction& tx,
                                      const ledger::Receipt& receipt,
                                      std::span<const contracts::Concern> concerns) {
    json::Value refs = refs_of(bank, concerns);
    const bool own = tx.sender() == bank;
    // Another bank's refusal or replay concerns nobody else (the engine names no one for them).
    if (!own && (refs.empty() || receipt.status != ledger::ReceiptStatus::kOk)) {
        return std::nullopt;
    }
    // Another bank's receipt is built without its result: nothing to parse, nothing to withhold.
    json::Value v =
        own ? receipt_json(receipt)
            : json::Value{{"tx_hash", receipt.tx_hash.hex()},
                          {"height", receipt.height},
                          {"index", receipt.index},
                          {"status", std::string(ledger::receipt_status_name(receipt.status))},
                          {"code", receipt.code},
                          {"error", receipt.error}};
    v["concerns"] = std::move(refs);
    v["sender"] = tx.sender();
    v["type"] = tx.type();
    return v;
}

std::optional<json::Value> bank_prologue_event(std::string_view bank, std::uint64_t height,
                                               std::span<const contracts::Concern> concerns) {
    json::Value refs = refs_of(bank, concerns);
    if (refs.empty()) {
        return std::nullopt;
    }
    return json::Value{
        {"concerns", std::move(refs)}, {"height", height}, {"type", "block.prologue"}};
}

}  // namespace jc::node
