#include <jc/rpc/server.h>

#include <jc/core/log.h>
#include <jc/core/sha256.h>
#include <jc/tls/context.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <future>
#include <optional>

namespace jc::rpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

Result<tcp::endpoint> parse_endpoint(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) {
        return Error(Errc::kInvalidArgument, "RPC listen address \"" + address + "\" is not host:port");
    }
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.substr(0, colon), ec);
    if (ec) {
        return Error(Errc::kInvalidArgument, "RPC listen address \"" + address + "\": " + ec.message());
    }
    unsigned long port = 0;
    try {
        port = std::stoul(address.substr(colon + 1));
    } catch (...) {
        port = 70000;
    }
    if (port > 65535) {
        return Error(Errc::kInvalidArgument, "RPC listen port in \"" + address + "\" is invalid");
    }
    return tcp::endpoint(ip, static_cast<std::uint16_t>(port));
}

// The holder of the request's bearer token, or nothing. Tokens are compared by their SHA-256, so
// the server keeps no token in memory and a timing difference reveals nothing about one.
std::optional<TokenHolder> bearer_holder(const std::map<Hash, TokenHolder>& tokens,
                                       const http::request<http::string_body>& request) {
    const auto header = request.find(http::field::authorization);
    if (header == request.end()) {
        return std::nullopt;
    }
    const std::string_view value(header->value().data(), header->value().size());
    constexpr std::string_view kScheme = "Bearer ";
    if (value.size() <= kScheme.size() || value.substr(0, kScheme.size()) != kScheme) {
        return std::nullopt;
    }
    const auto token = value.substr(kScheme.size());
    const auto found = tokens.find(sha256(as_bytes(token)));
    if (found == tokens.end()) {
        return std::nullopt;
    }
    return found->second;
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
public:
    Impl(asio::io_context& io, ServerConfig config, std::shared_ptr<const Dispatcher> dispatcher, HttpHooks hooks)
        : io_(io),
          config_(std::move(config)),
          dispatcher_(std::move(dispatcher)),
          hooks_(std::move(hooks)),
          acceptor_(asio::make_strand(io)),
          log_(jc::log::get("rpc")) {}

    Status start();
    void stop();
    void accept_next();

    asio::io_context& io_;
    ServerConfig config_;
    std::shared_ptr<const Dispatcher> dispatcher_;
    HttpHooks hooks_;
    tcp::acceptor acceptor_;
    std::unique_ptr<ssl::context> ssl_ctx_;  // set by start() when config_.tls.enabled()
    ServerCounters counters_;
    std::atomic<bool> stopped_{false};
    std::atomic<bool> listening_{false};  // start() succeeded
    std::atomic<std::uint16_t> port_{0};
    std::shared_ptr<spdlog::logger> log_;
};

namespace {

// Decrements the open-connection count when the last reference to a connection goes away.
struct ConnectionSlot {
    ServerCounters& counters;
    explicit ConnectionSlot(ServerCounters& c) : counters(c) { counters.connections_open++; }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot() { counters.connections_open--; }
};

// Counts a TLS handshake in progress for as long as it lives (ServerConfig::tls.handshakes_max).
struct HandshakeSlot {
    ServerCounters& counters;
    explicit HandshakeSlot(ServerCounters& c) : counters(c) { counters.tls_handshakes_pending++; }
    HandshakeSlot(const HandshakeSlot&) = delete;
    HandshakeSlot& operator=(const HandshakeSlot&) = delete;
    ~HandshakeSlot() { counters.tls_handshakes_pending--; }
};

// Stream is beast::tcp_stream (plain) or TlsStream (wss).
template <class Stream>
class WsSession : public NotificationSink, public std::enable_shared_from_this<WsSession<Stream>> {
public:
    using std::enable_shared_from_this<WsSession<Stream>>::shared_from_this;
    WsSession(std::shared_ptr<Server::Impl> server, Stream&& stream,
              std::shared_ptr<ConnectionSlot> slot)
        : server_(std::move(server)), ws_(std::move(stream)), slot_(std::move(slot)) {}

    void run(http::request<http::string_body> request, TokenHolder holder) {
        holder_ = std::move(holder);
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        ws_.read_message_max(server_->dispatcher_->limits().body_bytes_max);
        ws_.async_accept(request, beast::bind_front_handler(&WsSession::accepted, shared_from_this()));
    }

    bool push(std::string text) override {
        if (closed_.load()) {
            return false;
        }
        asio::dispatch(ws_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
            self->enqueue(std::move(t));
        });
        return true;
    }

private:
    void accepted(beast::error_code ec) {
        if (ec) {
            closed_ = true;
            return;
        }
        read();
    }

    void read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            closed_ = true;
            return;
        }
        server_->counters_.ws_messages++;
        std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        auto self = shared_from_this();
        if (in_flight_.load() >= server_->config_.ws_in_flight_max) {
            server_->counters_.ws_overloaded++;
            auto refusal = server_->dispatcher_->refuse(
                text, RpcError::server(kOverloaded, "OVERLOADED",
                                       "more than " + std::to_string(server_->config_.ws_in_flight_max) +
                                           " requests in flight on this connection; wait for answers"));
            if (refusal) {
                enqueue(std::move(*refusal));
            }
            read();
            return;
        }
        in_flight_ += 1;
        server_->dispatcher_->handle(text, CallContext{self, holder_.bank, holder_.auditor}, [self](std::optional<std::string> response) {
            self->in_flight_ -= 1;
            if (response) {
                self->push(std::move(*response));
            }
        });
        read();
    }

    void enqueue(std::string text) {
        if (closed_) {
            return;
        }
        if (queued_bytes_ + text.size() > server_->config_.ws_queue_bytes_max) {
            // A subscriber that does not read is cut off rather than allowed to grow memory.
            server_->counters_.ws_dropped_slow++;
            closed_ = true;
            beast::get_lowest_layer(ws_).close();
            return;
        }
        queued_bytes_ += text.size();
        queue_.push_back(std::move(text));
        if (!writing_) {
            write_next();
        }
    }

    void write_next() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(asio::buffer(queue_.front()),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            self->writing_ = false;
                            self->queued_bytes_ -= self->queue_.front().size();
                            self->queue_.pop_front();
                            if (ec) {
                                self->closed_ = true;
                                return;
                            }
                            if (!self->queue_.empty()) {
                                self->write_next();
                            }
                        });
    }

    std::shared_ptr<Server::Impl> server_;
    websocket::stream<Stream> ws_;
    std::shared_ptr<ConnectionSlot> slot_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    std::atomic<bool> closed_{false};
    std::atomic<std::size_t> in_flight_{0};  // read, handed to the dispatcher, not yet answered
    TokenHolder holder_;  // whom the upgrade request's token speaks for (empty bank: auth off or auditor)
};

// Stream is beast::tcp_stream (plain HTTP) or TlsStream (https, after the handshake).
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;
    static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

    // `buffer` holds bytes already read past the TLS handshake (the start of the first request).
    HttpSession(std::shared_ptr<Server::Impl> server, Stream&& stream, std::shared_ptr<ConnectionSlot> slot,
                beast::flat_buffer buffer = {})
        : server_(std::move(server)), stream_(std::move(stream)), slot_(std::move(slot)), buffer_(std::move(buffer)) {}

    void run() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::read, shared_from_this()));
    }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(server_->dispatcher_->limits().body_bytes_max);
        parser_->header_limit(static_cast<std::uint32_t>(server_->config_.header_bytes_max));
        beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server_->config_.idle_timeout_ms));
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == ssl::error::stream_truncated) {
            close();
            return;
        }
        if (ec == http::error::body_limit) {
            respond_json(http::status::payload_too_large,
                         response_text(nullptr, RpcError::server(kTooLarge, "TOO_LARGE",
                                                                 "request body exceeds limit " +
                                                                     std::to_string(server_->dispatcher_->limits().body_bytes_max) +
                                                                     " bytes")),
                         /*keep_alive=*/false);
            return;
        }
        if (ec) {
            respond_text(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n", false);
            return;
        }
        server_->counters_.http_requests++;
        request_ = parser_->release();
        // Authentication (ServerConfig::bearer_tokens): the operational GETs stay open.
        TokenHolder holder;
        const bool operational_get =
            request_.method() == http::verb::get && !websocket::is_upgrade(request_) && request_.target() != "/";
        if (!server_->config_.bearer_tokens.empty() && !operational_get) {
            auto who = bearer_holder(server_->config_.bearer_tokens, request_);
            if (!who) {
                server_->counters_.unauthorized++;
                respond_json(http::status::unauthorized,
                             response_text(nullptr, RpcError::server(kUnauthorized, "UNAUTHORIZED",
                                                                     "a valid \"Authorization: Bearer <token>\" "
                                                                     "header is required")),
                             request_.keep_alive());
                return;
            }
            holder = std::move(*who);
        }
        if (websocket::is_upgrade(request_)) {
            if (request_.target() != "/ws") {
                respond_text(http::status::not_found, "WebSocket endpoint is /ws\n", false);
                return;
            }
            beast::get_lowest_layer(stream_).expires_never();
            std::make_shared<WsSession<Stream>>(server_, std::move(stream_), slot_)->run(std::move(request_), std::move(holder));
            return;
        }
        const bool keep_alive = request_.keep_alive();
        const auto target = request_.target();
        if (request_.method() == http::verb::get) {
            if (target == "/metrics") {
                respond_text(http::status::ok, server_->hooks_.metrics ? server_->hooks_.metrics() : "", keep_alive,
                             "text/plain; version=0.0.4");
            } else if (target == "/healthz") {
                const bool ok = !server_->hooks_.healthy || server_->hooks_.healthy();
                respond_text(ok ? http::status::ok : http::status::service_unavailable, ok ? "ok\n" : "unhealthy\n",
                             keep_alive);
            } else if (target == "/readyz") {
                auto [ok, why] = server_->hooks_.ready ? server_->hooks_.ready() : std::make_pair(true, std::string());
                respond_text(ok ? http::status::ok : http::status::service_unavailable,
                             ok ? "ready\n" : "not ready: " + why + "\n", keep_alive);
            } else {
                respond_text(http::status::not_found, "not found\n", keep_alive);
            }
            return;
        }
        if (request_.method() != http::verb::post || target != "/") {
            respond_text(http::status::method_not_allowed, "JSON-RPC is POST /\n", keep_alive);
            return;
        }
        auto self = shared_from_this();
        server_->dispatcher_->handle(request_.body(), CallContext{nullptr, std::move(holder.bank), holder.auditor}, [self, keep_alive](std::optional<std::string> response) {
            asio::dispatch(self->stream_.get_executor(), [self, keep_alive, r = std::move(response)]() mutable {
                if (r) {
                    self->respond_json(http::status::ok, std::move(*r), keep_alive);
                } else {
                    self->respond_text(http::status::no_content, "", keep_alive);
                }
            });
        });
    }

    void respond_json(http::status status, std::string body, bool keep_alive) {
        respond_text(status, std::move(body), keep_alive, "application/json");
    }

    void respond_text(http::status status, std::string body, bool keep_alive,
                      const char* content_type = "text/plain") {
        // The read deadline also covers writes; an answer that comes late (submitTransaction
        // with wait) gets its own write deadline rather than failing at once.
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        auto response = std::make_shared<http::response<http::string_body>>(status, 11);
        response->set(http::field::server, "jointcleard");
        response->set(http::field::content_type, content_type);
        response->keep_alive(keep_alive);
        response->body() = std::move(body);
        response->prepare_payload();
        http::async_write(stream_, *response,
                          [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                              if (ec || !keep_alive) {
                                  self->close();
                                  return;
                              }
                              self->read();
                          });
    }

    void close() {
        if constexpr (kTls) {
            // close_notify, so the client can tell a complete answer from a cut connection; a
            // client that never answers it costs at most a second.
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
            stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
                beast::get_lowest_layer(self->stream_).close();
            });
        } else {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            stream_.close();
        }
    }

    std::shared_ptr<Server::Impl> server_;
    Stream stream_;
    std::shared_ptr<ConnectionSlot> slot_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> request_;
};


// A connection to the TLS listener before its handshake completes: detects whether the client
// speaks TLS at all, runs the handshake under one deadline (handshake_timeout_ms covers both
// steps, so a client that sends nothing is dropped), then hands the stream to an HttpSession.
class TlsAccept : public std::enable_shared_from_this<TlsAccept> {
public:
    TlsAccept(std::shared_ptr<Server::Impl> server, tcp::socket&& socket)
        : server_(std::move(server)),
          stream_(std::move(socket)),
          slot_(std::make_shared<ConnectionSlot>(server_->counters_)),
          handshake_slot_(std::make_unique<HandshakeSlot>(server_->counters_)) {}

    void run() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->stream_.expires_after(std::chrono::milliseconds(self->server_->config_.tls.handshake_timeout_ms));
            beast::async_detect_ssl(self->stream_, self->buffer_,
                                    beast::bind_front_handler(&TlsAccept::on_detect, self));
        });
    }

private:
    void on_detect(beast::error_code ec, bool is_tls) {
        if (ec) {
            // Timed out, or closed before sending a full TLS record header.
            server_->counters_.tls_handshakes_failed++;
            stream_.close();
            return;
        }
        if (!is_tls) {
            // Plain HTTP (or anything else) to a TLS port: say so in a form the client can read.
            server_->counters_.tls_handshakes_failed++;
            static const std::string kBody = "this port speaks TLS only: use https:// (or wss:// for /ws)\n";
            static const std::string kRefusal =
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
            stream_.expires_after(std::chrono::seconds(5));
            asio::async_write(stream_, asio::buffer(kRefusal), [self = shared_from_this()](beast::error_code, std::size_t) {
                beast::error_code ignored;
                self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                self->stream_.close();
            });
            return;
        }
        tls_.emplace(std::move(stream_), *server_->ssl_ctx_);
        tls_->async_handshake(ssl::stream_base::server, buffer_.data(),
                              beast::bind_front_handler(&TlsAccept::on_handshake, shared_from_this()));
    }

    void on_handshake(beast::error_code ec, std::size_t used) {
        handshake_slot_.reset();
        if (ec) {
            server_->counters_.tls_handshakes_failed++;
            server_->log_->debug("RPC TLS handshake failed: {}", ec.message());
            beast::get_lowest_layer(*tls_).close();
            return;
        }
        server_->counters_.tls_handshakes++;
        buffer_.consume(used);
        std::make_shared<HttpSession<TlsStream>>(server_, std::move(*tls_), slot_, std::move(buffer_))->run();
    }

    std::shared_ptr<Server::Impl> server_;
    beast::tcp_stream stream_;
    std::optional<TlsStream> tls_;
    beast::flat_buffer buffer_;
    std::shared_ptr<ConnectionSlot> slot_;
    std::unique_ptr<HandshakeSlot> handshake_slot_;
};

}  // namespace

Status Server::Impl::start() {
    if (config_.tls.enabled()) {
        ssl_ctx_ = std::make_unique<ssl::context>(ssl::context::tls_server);
        JC_TRY_STATUS(tls::configure(*ssl_ctx_, tls::Role::kServer,
                                     tls::ContextOptions{.what = "rpc.tls",
                                                         .cert_chain_file = config_.tls.cert_chain_file,
                                                         .cert_label = "cert",
                                                         .key_file = config_.tls.key_file,
                                                         .key_label = "key",
                                                         .verify_file = config_.tls.client_ca_file,
                                                         .verify_label = "client_ca",
                                                         .require_peer_certificate = !config_.tls.client_ca_file.empty()}));
    }
    JC_ASSIGN_OR_RETURN(const tcp::endpoint endpoint, parse_endpoint(config_.listen_address));
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return Error(Errc::kIo, "cannot listen for RPC on " + config_.listen_address + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    listening_ = true;
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept_next(); });
    return {};
}

void Server::Impl::accept_next() {
    if (stopped_) {
        return;
    }
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopped_) {
            return;
        }
        if (!ec) {
            if (self->counters_.connections_open.load() >= self->config_.connections_max && self->ssl_ctx_) {
                // A TLS client could not read a plain 503: close at once.
                self->counters_.connections_refused++;
                beast::error_code ignored;
                socket.close(ignored);
            } else if (self->counters_.connections_open.load() >= self->config_.connections_max) {
                // Answer instead of hanging: a canned 503 and close.
                self->counters_.connections_refused++;
                auto s = std::make_shared<tcp::socket>(std::move(socket));
                static const std::string kBody =
                    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32007,"message":"too many connections","data":{"reason":"OVERLOADED"}}})";
                static const std::string kBusy =
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
                asio::async_write(*s, asio::buffer(kBusy), [s](beast::error_code, std::size_t) {
                    beast::error_code ignored;
                    s->close(ignored);
                });
            } else if (!self->ssl_ctx_) {
                self->counters_.connections_accepted++;
                auto slot = std::make_shared<ConnectionSlot>(self->counters_);
                std::make_shared<HttpSession<beast::tcp_stream>>(self, beast::tcp_stream(std::move(socket)), std::move(slot))
                    ->run();
            } else if (self->counters_.tls_handshakes_pending.load() >= self->config_.tls.handshakes_max) {
                // Handshakes cost CPU and a slot each; beyond the bound, close at once (a TLS
                // client cannot read a plain 503, and answering in TLS is the work being refused).
                self->counters_.tls_handshakes_refused++;
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                self->counters_.connections_accepted++;
                std::make_shared<TlsAccept>(self, std::move(socket))->run();
            }
        } else {
            // e.g. EMFILE: back off instead of spinning on the error.
            self->counters_.connections_refused++;
            auto timer = std::make_shared<asio::steady_timer>(self->acceptor_.get_executor(), std::chrono::milliseconds(50));
            timer->async_wait([self, timer](beast::error_code) { self->accept_next(); });
            return;
        }
        self->accept_next();
    });
}

void Server::Impl::stop() {
    if (stopped_.exchange(true) || !listening_) {
        return;  // a server whose start() failed has nothing running to wait for
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    asio::post(acceptor_.get_executor(), [self = shared_from_this(), done] {
        beast::error_code ignored;
        self->acceptor_.close(ignored);
        done->set_value();
    });
    if (!io_.stopped()) {
        (void)future.wait_for(std::chrono::seconds(5));
    }
}

Server::Server(asio::io_context& io, ServerConfig config, std::shared_ptr<const Dispatcher> dispatcher, HttpHooks hooks)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(dispatcher), std::move(hooks))) {}
Server::~Server() { stop(); }
Status Server::start() { return impl_->start(); }
void Server::stop() { impl_->stop(); }
std::uint16_t Server::port() const { return impl_->port_.load(); }
const ServerCounters& Server::counters() const { return impl_->counters_; }

}  // namespace jc::rpc
