// An HTTP/1.1 client for the node's JSON-RPC port, used by every subcommand that talks to a
// node. This header is Boost-free so the subcommands stay cheap to compile; the Boost.Beast
// connection underneath is HttpConnection in http_connection.h.
//
// HttpConnection is one keep-alive TCP connection carrying one request at a time; it connects on
// first use, reconnects when the server closed an idle connection (the request is resent once,
// which is safe because every JSON-RPC method is a read or idempotent by tx hash), and bounds
// every request by a timeout. Many connections can share one io_context (the bench does).
//
// https (ADR 0094): an Endpoint with `tls` connects with TLS 1.3, verifies the server's chain
// against `ca_file` (the system trust store when empty) and its certificate against the URL's
// host (an IP literal must be an IP SAN, a name a DNS SAN). A failed verification is an error
// naming the URL, never a silent fallback to plain HTTP.
//
// Bearer tokens (ADR 0091): `token` (or, when empty, the JOINTCLEAR_RPC_TOKEN environment
// variable) goes out as "Authorization: Bearer <token>" on every request.
//
// RpcClient wraps one connection with a private io_context for blocking use: JSON-RPC calls
// return the result or the error object; transport failures (refused, timeout, not HTTP, not
// JSON) come back as an Error whose message names the URL.
//
// Thread-safety: an HttpConnection is used from its io_context's thread only; an RpcClient from
// one thread at a time.
#pragma once

#include <jc/core/canonical_json.h>
#include <jc/core/error.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jc::tools {

// "http://HOST:PORT" or "https://HOST:PORT" (a trailing "/" is allowed; "HOST:PORT" alone
// means http).
struct Endpoint {
    std::string host;
    std::string port;
    bool tls = false;
    std::string ca_file;  // https: CA bundle that verifies the server; empty: system trust store
    std::string token;    // bearer token; empty: JOINTCLEAR_RPC_TOKEN if set
    [[nodiscard]] std::string url() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};
Result<Endpoint> parse_http_url(std::string_view url);

struct HttpResult {
    unsigned status = 0;
    std::string body;
};

// A JSON-RPC error object.
struct RpcErrorInfo {
    std::int64_t code = 0;
    std::string message;
    json::Value data;
    // "-32602 Invalid params: missing \"loan_id\"" (data.detail or data.reason appended).
    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] std::string reason() const;  // data.reason, or ""
};

// One JSON-RPC response: a result or an error.
struct RpcReply {
    json::Value result;
    std::optional<RpcErrorInfo> error;
    [[nodiscard]] bool ok() const { return !error.has_value(); }
};

// Decodes one response object of JSON-RPC 2.0.
Result<RpcReply> decode_rpc_reply(const json::Value& response);
// Builds {"jsonrpc":"2.0","id":id,"method":...,"params":...}.
json::Value rpc_request(std::int64_t id, const std::string& method, const json::Value& params);

class RpcClient {
public:
    explicit RpcClient(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~RpcClient();
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    Result<RpcReply> call(const std::string& method, const json::Value& params = json::Value::object(),
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // Sends an arbitrary request body (e.g. a batch) and returns the parsed response document.
    Result<json::Value> post_raw(const std::string& body, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    Result<HttpResult> get(const std::string& target, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }

private:
    Result<HttpResult> run(std::string target, std::optional<std::string> body, std::chrono::milliseconds timeout);

    struct Session;  // the io_context and connection, kept out of this header (Boost.Beast is heavy)

    Endpoint endpoint_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<Session> session_;
    std::int64_t next_id_ = 1;
};

}  // namespace jc::tools
