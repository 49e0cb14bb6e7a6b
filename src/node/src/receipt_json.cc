#include "receipt_json.h"

#include <string>
#include <string_view>
#include <utility>

namespace jc::node {

using json::Value;

Value receipt_json(const ledger::Receipt& r) {
    Value v{{"tx_hash", r.tx_hash.hex()},
            {"height", r.height},
            {"index", r.index},
            {"status", std::string(ledger::receipt_status_name(r.status))},
            {"code", r.code},
            {"error", r.error},
            {"result", r.result.empty() ? Value(nullptr) : Value::parse(r.result)}};
    if (!r.detail.empty()) {
        v["detail"] = Value::parse(r.detail);
    }
    return v;
}

// Members in the (sorted) order Value::dump() prints them. The answers to waiting submissions
// are the node's most frequent RPC output.
rpc::RawJson receipt_text(const ledger::Receipt& r) {
    std::string out;
    out.reserve(160 + r.result.size() + r.detail.size() + r.error.size());
    out += "{\"code\":";
    out += std::to_string(r.code);
    if (!r.detail.empty()) {
        out += ",\"detail\":";
        out += r.detail;
    }
    out += ",\"error\":";
    out += Value(r.error).dump();  // free text: escaped as dump() escapes it
    out += ",\"height\":";
    out += std::to_string(r.height);
    out += ",\"index\":";
    out += std::to_string(r.index);
    out += ",\"result\":";
    out += r.result.empty() ? std::string_view("null") : std::string_view(r.result);
    out += ",\"status\":\"";
    out += ledger::receipt_status_name(r.status);  // an upper-case word
    out += "\",\"tx_hash\":\"";
    out += r.tx_hash.hex();
    out += "\"}";
    return rpc::RawJson{std::move(out)};
}

}  // namespace jc::node
