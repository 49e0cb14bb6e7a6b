#include "bank_event.h"

#include "receipt_json.h"

#include <string>
#include <utility>

namespace jc::node {

std::optional<json::Value> bank_event(std::string_view bank, const ledger::Transaction& tx,
                                      const ledger::Receipt& receipt,
                                      std::span<const contracts::Concern> concerns) {
    json::Value refs = json::Value::array();
    for (const contracts::Concern& c : concerns) {
        if (c.bank.empty() || c.bank == bank) {
            refs.push_back(json::Value{{std::string(contracts::concern_id_field(c.record)), c.id}});
        }
    }
    const bool own = tx.sender() == bank;
    if (!own && refs.empty()) {
        return std::nullopt;
    }
    json::Value v = receipt_json(receipt);
    if (!own) {
        v.erase("result");
        v.erase("detail");
    }
    v["concerns"] = std::move(refs);
    v["sender"] = tx.sender();
    v["type"] = tx.type();
    return v;
}

}  // namespace jc::node
