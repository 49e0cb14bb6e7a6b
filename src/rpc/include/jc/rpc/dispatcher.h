// JSON-RPC 2.0 dispatch: request parsing, the method table, batches, notifications and errors,
// independent of the transport (HTTP POST and WebSocket share it).
//
// Requests are parsed with the protocol's strict JSON parser (docs/protocol.md), so a
// transaction inside `params` can never be silently normalised on its way in (duplicate keys,
// floats and non-ASCII are refused as -32700 parse errors with the reason in `data`).
//
// Methods are asynchronous: a handler gets its params and a `Reply` it must call exactly once,
// from any thread, possibly later (e.g. `submitTransaction` with `wait`). A batch's response is
// sent when every member has replied; notifications (no `id`) get no response.
//
// Errors: the standard codes (-32700, -32600, -32601, -32602, -32603) and server errors in
// -32000..-32099 whose `data.reason` is a stable word (docs/rpc.md lists them).
//
// Thread-safety: add() before serving; handle() may be called concurrently from many threads.
#pragma once

#include <jc/core/canonical_json.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jc::rpc {

using json::Value;

// Stable server error codes (never renumber; docs/rpc.md).
enum ServerErrorCode : int {
    kTxRefused = -32001,   // reasons: BAD_TX, BAD_SIGNATURE, UNKNOWN_SIGNER, WRONG_CHAIN, DUPLICATE_TX
    kPoolFull = -32002,    // reason POOL_FULL
    kTooLarge = -32003,    // reason TOO_LARGE
    kNotReady = -32004,    // reason NOT_READY
    kTimeout = -32005,     // reason TIMEOUT
    kUnsupported = -32006, // reason UNSUPPORTED (e.g. subscribe over HTTP)
    kOverloaded = -32007,  // reason OVERLOADED (connection or queue limits)
    kUnauthorized = -32008, // reason UNAUTHORIZED: tokens are configured and none valid was given
    kForbidden = -32009,   // reason FORBIDDEN: the token's bank may not do this (submit as another bank)
    kQueryRefused = -32010, // reason QUERY_REFUSED: the ledger's rules refuse this query (ADR 0178)
};

struct RpcError {
    int code = -32603;
    std::string message;
    std::optional<Value> data;

    static RpcError parse_error(std::string detail);
    static RpcError invalid_request(std::string detail);
    static RpcError method_not_found(const std::string& method);
    static RpcError invalid_params(std::string detail);
    static RpcError internal(std::string detail);
    // A server error with a stable reason word and a human message.
    static RpcError server(int code, std::string reason, std::string message);
};

// A result already rendered as JSON text, written into the response as it is. For results the
// node holds as text anyway (a receipt's canonical `result` and `detail`, ADR 0120), so they are
// not parsed into a tree only to be printed again (ADR 0151). The text must be exactly one valid
// JSON value, without whitespace around it, as Value::dump() would print it; the caller vouches
// for that (the dispatcher does not re-parse it).
struct RawJson {
    std::string text;
};

using Outcome = std::variant<Value, RpcError, RawJson>;
using Reply = std::function<void(Outcome)>;

// Where a call came from; WebSocket calls carry a sink for subscription notifications.
class NotificationSink {
public:
    virtual ~NotificationSink() = default;
    // Queues a notification text; false if the connection is gone or over its limit.
    virtual bool push(std::string text) = 0;
};

// Whom a bearer token speaks for: one bank (ADR 0091, 0095), or the auditor (ADR 0097), who
// may make every read call some bank's token may make, for any bank, and submit nothing.
struct TokenHolder {
    std::string bank;      // a bank's token; empty for the auditor
    bool auditor = false;
};

struct CallContext {
    std::shared_ptr<NotificationSink> sink;  // null over HTTP
    // The bank whose bearer token authenticated this call; empty when RPC tokens are off
    // (ServerConfig::bearer_tokens empty), in which case the caller is whoever can reach the port,
    // and empty for the auditor's token.
    std::string bank;
    bool auditor = false;  // the auditor's token authenticated this call (bank is empty)

    // A token holder, whom the read policy applies to (a bank or the auditor). False only with
    // RPC tokens off: every method open.
    [[nodiscard]] bool restricted() const { return auditor || !bank.empty(); }
    // May read what concerns `bank_id` (its positions, events, the transactions it sent, the
    // loans it is party to): its own token, the auditor, or tokens off.
    [[nodiscard]] bool may_read_bank(std::string_view bank_id) const { return !restricted() || auditor || bank == bank_id; }
    // FORBIDDEN (-32009) naming the token's holder and what it may not read.
    [[nodiscard]] RpcError forbidden(const std::string& what) const;
    // Who this is, for messages: "WEBANK" or "the auditor".
    [[nodiscard]] std::string holder() const { return auditor ? std::string("the auditor") : bank; }
};

// What a bank's bearer token may call (ADR 0095). With RPC tokens off (CallContext::bank empty)
// every method is open, as on a development loopback. The default closes a method to bank
// tokens, so a method added without a decision leaks nothing. The auditor's token (ADR 0097) may
// call what some bank's token may call, for any bank: kConsortium and kChecked reads,
// kOwnBank naming bank_id; never kTokenless, and nothing that submits (handlers refuse it).
enum class Access {
    kTokenless,   // whole-ledger data (e.g. every bank's totals): refused to bank tokens
    kConsortium,  // consortium-wide data every member holds anyway (heads, headers, validators)
    kOwnBank,     // params.bank_id must be the token's bank; filled in with it when absent
    kChecked,     // the handler decides from ctx.bank (a loan's parties, a transaction's sender)
};

// One by-name parameter of a method: an OpenRPC content descriptor.
struct Param {
    std::string name;
    // JSON Schema of its value. Its "type" ("string", "integer", "boolean" or "object"), when
    // given, is checked before the method runs; finer rules (patterns, ranges) are the method's.
    Value schema = Value::object();
    bool required = false;
};

struct MethodInfo {
    std::string summary;
    Access access = Access::kTokenless;
    // Every parameter the method takes (ADR 0180). The dispatcher answers -32602 before calling
    // the method for a member of params not declared here, a required one missing, or one of
    // the wrong JSON type; rpc.discover publishes the same list. nullopt: undeclared, any params
    // object reaches the method (test doubles; every node method declares its list).
    std::optional<std::vector<Param>> params = std::nullopt;
    Value result_schema = Value::object();
};

using Method = std::function<void(const Value& params, const CallContext& ctx, Reply reply)>;

struct DispatchLimits {
    std::size_t body_bytes_max = 1 << 20;
    std::size_t batch_length_max = 100;
    std::size_t depth_max = 32;
};

struct DispatchCounters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> errors{0};
};

class Dispatcher {
public:
    void add(std::string name, MethodInfo info, Method method);

    // Handles one HTTP body or WebSocket message. `done` receives the response text, or nullopt
    // when nothing must be sent (only notifications). Called exactly once, from any thread.
    void handle(std::string_view body, const CallContext& ctx,
                std::function<void(std::optional<std::string>)> done) const;

    // Answers a whole message with one error without calling any method (e.g. OVERLOADED when
    // a connection is over its in-flight cap): each request with a valid id gets the error
    // under its id, notifications get nothing, unparseable text gets one error with id null.
    [[nodiscard]] std::optional<std::string> refuse(std::string_view body, const RpcError& error) const;

    // The OpenRPC document describing every method (for rpc.discover).
    [[nodiscard]] Value openrpc(const std::string& title, const std::string& version) const;

    [[nodiscard]] const DispatchCounters& counters() const { return counters_; }
    void set_limits(const DispatchLimits& limits) { limits_ = limits; }
    [[nodiscard]] const DispatchLimits& limits() const { return limits_; }

private:
    struct Entry {
        MethodInfo info;
        Method method;
    };
    // `done` receives the response's JSON text, or nullopt for a notification.
    void call_one(const Value& request, const CallContext& ctx,
                  std::function<void(std::optional<std::string>)> done) const;

    std::map<std::string, Entry, std::less<>> methods_;
    DispatchLimits limits_;
    mutable DispatchCounters counters_;
};

// The JSON text of a response object.
std::string response_text(const Value& id, const Outcome& outcome);
Value error_object(const RpcError& error);

}  // namespace jc::rpc
