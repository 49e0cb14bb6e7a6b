// Fuzz target: a JSON-RPC request body (HTTP POST or a WebSocket message) through the real
// Dispatcher: strict parse, request validation, the method table, batches and notifications.
//
// Methods stand in for the node's handler shapes: one replies at once with its params, one
// replies later (after handle() returned, like submitTransaction with wait), one answers a server
// error, one throws (a handler bug must cost one request, not the node). Properties, for every
// input: `done` is called exactly once; what it sends is a JSON object or a non-empty array;
// every response object has "jsonrpc":"2.0", an "id" and exactly one of result/error, with error
// codes in the documented set; a single request with a valid id is answered with that id; a
// batch is answered with at most one response per member, none for notifications. Seeds:
// corpus/jsonrpc_request_fuzz.
#include <jc/core/assert.h>
#include <jc/rpc/dispatcher.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using jc::rpc::Value;

std::vector<jc::rpc::Reply>& deferred() {
    static std::vector<jc::rpc::Reply> replies;
    return replies;
}

const jc::rpc::Dispatcher& dispatcher() {
    // Built once and never destroyed (the Dispatcher holds atomics: not movable).
    static const jc::rpc::Dispatcher* d = [] {
        auto* x = new jc::rpc::Dispatcher;
        x->set_limits({.body_bytes_max = 1 << 16, .batch_length_max = 8, .depth_max = 16});
        x->add("echo", {.summary = "replies with its params"},
              [](const Value& p, const jc::rpc::CallContext&, jc::rpc::Reply reply) { reply(p); });
        x->add("later", {.summary = "replies after handle() returns"},
              [](const Value&, const jc::rpc::CallContext&, jc::rpc::Reply reply) {
                  deferred().push_back(std::move(reply));
              });
        x->add("refuse", {.summary = "a server error"},
              [](const Value&, const jc::rpc::CallContext&, jc::rpc::Reply reply) {
                  reply(jc::rpc::RpcError::server(jc::rpc::kTxRefused, "BAD_TX", "refused"));
              });
        x->add("throws", {.summary = "a handler bug"},
              [](const Value& p, const jc::rpc::CallContext&, jc::rpc::Reply) {
                  (void)p.at("missing").get<std::int64_t>();  // throws nlohmann::json::out_of_range
                  throw std::runtime_error("unreachable");
              });
        return x;
    }();
    return *d;
}

bool known_code(std::int64_t code) {
    return code == -32700 || code == -32600 || code == -32601 || code == -32602 || code == -32603 ||
           (code <= -32001 && code >= -32007);
}

void check_response(const nlohmann::json& r) {
    JC_ASSERT(r.is_object(), "fuzz.rpc.response_object");
    JC_ASSERT(r.contains("jsonrpc") && r["jsonrpc"] == "2.0", "fuzz.rpc.response_version");
    JC_ASSERT(r.contains("id"), "fuzz.rpc.response_id");
    JC_ASSERT(r.contains("result") != r.contains("error"), "fuzz.rpc.result_xor_error");
    if (r.contains("error")) {
        JC_ASSERT(r["error"].contains("code") && r["error"]["code"].is_number_integer() &&
                      known_code(r["error"]["code"].get<std::int64_t>()),
                  "fuzz.rpc.error_code_known");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    int calls = 0;
    std::optional<std::string> sent;
    dispatcher().handle(body, jc::rpc::CallContext{}, [&](std::optional<std::string> response) {
        ++calls;
        sent = std::move(response);
    });
    // The deferred replies arrive later, in reverse order (any order must work).
    auto replies = std::move(deferred());
    deferred().clear();
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
        JC_ASSERT(calls == 0, "fuzz.rpc.not_done_before_deferred_replies");
        (*it)(Value{{"later", true}});
    }
    JC_ASSERT(calls == 1, "fuzz.rpc.done_exactly_once");
    if (!sent) {
        return 0;  // only notifications
    }
    const auto out = nlohmann::json::parse(*sent, nullptr, /*allow_exceptions=*/false);
    JC_ASSERT(!out.is_discarded(), "fuzz.rpc.response_is_json");
    if (out.is_array()) {
        JC_ASSERT(!out.empty() && out.size() <= 8, "fuzz.rpc.batch_response_size");
        for (const auto& r : out) {
            check_response(r);
        }
        return 0;
    }
    check_response(out);
    // A single well-formed request object with an integer or string id is answered with it.
    const auto in = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!in.is_discarded() && in.is_object() && in.contains("id") && (in["id"].is_number_integer() || in["id"].is_string()) &&
        !out.contains("error")) {
        JC_ASSERT(out["id"] == in["id"], "fuzz.rpc.id_echoed");
    }
    return 0;
}
