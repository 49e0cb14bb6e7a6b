// The RPC server: JSON-RPC 2.0 over HTTP (`POST /`) and WebSocket (`/ws`), plus the operations
// endpoints `GET /metrics` (Prometheus text), `GET /healthz` and `GET /readyz` (API.md).
//
// Every limit is named in ServerConfig and answered with an error, never a hang: a body over
// the limit gets a JSON-RPC TOO_LARGE error (HTTP 413), connections over the limit get HTTP 503
// and are closed, idle connections time out, and a WebSocket client that does not read its
// notifications is disconnected when its queue exceeds the limit.
//
// TLS (ServerConfig::tls, ADR 0094): when a certificate is configured the same port speaks only
// TLS 1.3 — https for POST / and the GET endpoints, wss for /ws. A connection first has
// `handshake_timeout_ms` to complete its handshake (a client that connects and sends nothing
// is dropped when it runs out), at most `handshakes_max` handshakes run at once (more are
// closed at accept), and a client that speaks plain HTTP to the TLS port gets one plain-text
// "HTTP/1.1 400" naming https before the close, instead of a TLS alert it cannot read. With
// `client_ca_file` the server also requires a client certificate chaining to it (mutual TLS).
//
// Thread-safety: start()/stop() from the controlling thread; the server runs on the
// io_context's threads, each connection on its own strand. The dispatcher's handlers may reply
// from any thread.
#pragma once

#include <jc/core/bytes.h>
#include <jc/rpc/dispatcher.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace jc::rpc {

// Optional TLS on the RPC listener; empty cert_chain_file = plain HTTP (the loopback default).
struct TlsConfig {
    std::string cert_chain_file;   // PEM, leaf first
    std::string key_file;          // PEM private key of the leaf
    std::string client_ca_file;    // PEM CA bundle; non-empty: clients must present a certificate
    std::int64_t handshake_timeout_ms = 5'000;
    std::size_t handshakes_max = 64;  // TLS handshakes in progress at once
    [[nodiscard]] bool enabled() const { return !cert_chain_file.empty(); }
};

struct ServerConfig {
    std::string listen_address = "127.0.0.1:0";
    std::size_t connections_max = 512;
    std::int64_t idle_timeout_ms = 60'000;
    std::size_t header_bytes_max = 16 * 1024;
    std::size_t ws_queue_bytes_max = 16 << 20;
    // Requests read from one WebSocket and not yet answered; more get OVERLOADED (-32007) at
    // once, so a pipelining client cannot queue unbounded work on the node.
    std::size_t ws_in_flight_max = 64;
    // Bearer tokens, stored as SHA-256(token) → its holder (a bank, or the auditor). Empty: no
    // authentication (the default, with the server on loopback). Non-empty: every POST / and
    // WebSocket upgrade must carry "Authorization: Bearer <token>" of a listed token, else HTTP
    // 401 with a JSON-RPC UNAUTHORIZED error; the call's CallContext names that token's bank (or
    // marks the auditor). GET /healthz, /readyz and /metrics stay open (probes and scrapers
    // carry no secrets).
    std::map<Hash, TokenHolder> bearer_tokens;
    TlsConfig tls;
};

struct HttpHooks {
    std::function<std::string()> metrics;                   // Prometheus text exposition
    std::function<bool()> healthy;                          // process alive, loop turning
    std::function<std::pair<bool, std::string>()> ready;    // ready?, reason when not
};

struct ServerCounters {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::uint64_t> connections_open{0};
    std::atomic<std::uint64_t> http_requests{0};
    std::atomic<std::uint64_t> ws_messages{0};
    std::atomic<std::uint64_t> ws_dropped_slow{0};
    std::atomic<std::uint64_t> ws_overloaded{0};      // messages refused over ws_in_flight_max
    std::atomic<std::uint64_t> unauthorized{0};  // requests refused for a missing or unknown token
    // TLS listener only.
    std::atomic<std::uint64_t> tls_handshakes{0};          // completed
    std::atomic<std::uint64_t> tls_handshakes_failed{0};   // bad handshake, timeout, or plain HTTP
    std::atomic<std::uint64_t> tls_handshakes_refused{0};  // over handshakes_max at accept
    std::atomic<std::uint64_t> tls_handshakes_pending{0};
};

class Server {
public:
    Server(boost::asio::io_context& io, ServerConfig config, std::shared_ptr<const Dispatcher> dispatcher,
           HttpHooks hooks);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Errors: the listen address, or (with TLS) a certificate, key or CA file that cannot be
    // read or a key that does not match the certificate, each naming the file.
    Status start();
    void stop();
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] const ServerCounters& counters() const;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace jc::rpc
