// HttpConnection, and RpcClient's blocking use of it: the Boost.Beast half of the CLI's client
// (http_client.cc keeps the URL and JSON-RPC codec, which need no Boost).
#include "http_connection.h"

#include <jc/tls/context.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdlib>

namespace jc::tools {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<std::shared_ptr<asio::ssl::context>> client_tls_context(const Endpoint& endpoint) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    tls::ContextOptions options;
    options.what = endpoint.url();
    options.verify_file = endpoint.ca_file;
    options.verify_label = "cacert";
    JC_TRY_STATUS(tls::configure(*context, tls::Role::kClient, options));
    return context;
}

HttpConnection::HttpConnection(asio::any_io_executor executor, Endpoint endpoint)
    : endpoint_(std::move(endpoint)), resolver_(executor), stream_(executor) {
    token_ = endpoint_.token;
    if (const char* env = std::getenv("JOINTCLEAR_RPC_TOKEN"); token_.empty() && env != nullptr) {
        token_ = env;
    }
    if (endpoint_.tls) {
        auto context = client_tls_context(endpoint_);
        if (context) {
            tls_context_ = std::move(*context);
        } else {
            setup_error_ = context.error();
        }
    }
}

void HttpConnection::request(std::string target, std::optional<std::string> body, std::chrono::milliseconds timeout,
                             Handler done) {
    busy_ = true;
    done_ = std::move(done);
    timeout_ = timeout;
    retried_ = false;
    request_ = {};
    request_.version(11);
    request_.target(target);
    request_.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
    request_.keep_alive(true);
    if (!token_.empty()) {
        request_.set(http::field::authorization, "Bearer " + token_);
    }
    if (body) {
        request_.method(http::verb::post);
        request_.set(http::field::content_type, "application/json");
        request_.body() = std::move(*body);
    } else {
        request_.method(http::verb::get);
    }
    request_.prepare_payload();
    if (setup_error_) {
        finish(*setup_error_);
        return;
    }
    if (connected_) {
        reused_ = true;
        send();
    } else {
        reused_ = false;
        connect();
    }
}

void HttpConnection::connect() {
    if (tls_context_) {
        tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(stream_.get_executor(), *tls_context_);
    }
    lowest().expires_after(timeout_);
    auto self = shared_from_this();
    auto on_connect = [self](beast::error_code ec, const asio::ip::tcp::endpoint&) {
        if (ec) {
            self->fail("cannot connect", ec);
            return;
        }
        self->lowest().socket().set_option(asio::ip::tcp::no_delay(true), ec);
        if (self->tls_) {
            self->handshake();
            return;
        }
        self->connected_ = true;
        self->send();
    };
    if (resolved_) {
        lowest().async_connect(*resolved_, on_connect);
        return;
    }
    resolver_.async_resolve(endpoint_.host, endpoint_.port,
                            [self, on_connect](beast::error_code ec, asio::ip::tcp::resolver::results_type results) {
                                if (ec) {
                                    self->fail("cannot resolve host", ec);
                                    return;
                                }
                                self->resolved_ = results;
                                self->lowest().async_connect(results, on_connect);
                            });
}

void HttpConnection::handshake() {
    // The server's certificate must name the host of the URL: an IP literal as an IP SAN, a
    // name as a DNS SAN (and SNI carries the name).
    SSL* ssl = tls_->native_handle();
    boost::system::error_code ip_ec;
    (void)asio::ip::make_address(endpoint_.host, ip_ec);
    // SSL_set_tlsext_host_name without its C cast.
    const bool set = ip_ec ? (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                       const_cast<char*>(endpoint_.host.c_str())) == 1 &&
                              SSL_set1_host(ssl, endpoint_.host.c_str()) == 1)
                           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), endpoint_.host.c_str()) == 1;
    if (!set) {
        fail("cannot set the TLS host name", beast::error_code(asio::error::invalid_argument));
        return;
    }
    tls_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
            std::string why = ec.message();
            const long verify = SSL_get_verify_result(self->tls_->native_handle());
            if (verify != X509_V_OK) {
                why += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
            }
            self->fail("TLS handshake failed", beast::error_code(asio::error::connection_refused), why);
            return;
        }
        self->connected_ = true;
        self->send();
    });
}

void HttpConnection::send() {
    lowest().expires_after(timeout_);
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); };
    if (tls_) {
        http::async_write(*tls_, request_, std::move(done));
    } else {
        http::async_write(stream_, request_, std::move(done));
    }
}

void HttpConnection::on_write(beast::error_code ec) {
    if (ec) {
        fail("cannot send the request", ec);
        return;
    }
    parser_.emplace();
    parser_->body_limit(kResponseBytesMax);
    auto done = [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); };
    if (tls_) {
        http::async_read(*tls_, buffer_, *parser_, std::move(done));
    } else {
        http::async_read(stream_, buffer_, *parser_, std::move(done));
    }
}

void HttpConnection::on_read(beast::error_code ec) {
    if (ec) {
        fail("no valid HTTP response", ec);
        return;
    }
    auto response = parser_->release();
    parser_.reset();
    if (!response.keep_alive()) {
        beast::error_code ignored;
        lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        lowest().close();
        connected_ = false;
    }
    finish(HttpResult{response.result_int(), std::move(response.body())});
}

void HttpConnection::fail(const std::string& what, beast::error_code ec, const std::string& detail) {
    // A TLS server may close a kept-alive connection without close_notify (stream_truncated).
    const bool stale = reused_ && !retried_ &&
                       (ec == http::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                        ec == asio::ssl::error::stream_truncated) &&
                       (!parser_ || !parser_->got_some());
    beast::error_code ignored;
    lowest().socket().close(ignored);
    connected_ = false;
    buffer_.clear();
    parser_.reset();
    if (stale) {
        // The server closed an idle keep-alive connection just before we used it: resend once.
        retried_ = true;
        reused_ = false;
        connect();
        return;
    }
    std::string reason = !detail.empty()                ? detail
                         : ec == beast::error::timeout ? "timed out after " + std::to_string(timeout_.count()) + " ms"
                                                       : ec.message();
    finish(Error(Errc::kUnavailable, endpoint_.url() + ": " + what + ": " + reason));
}

void HttpConnection::finish(Result<HttpResult> r) {
    busy_ = false;
    lowest().expires_never();
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(r));
}

void HttpConnection::close() {
    beast::error_code ignored;
    resolver_.cancel();
    lowest().socket().close(ignored);
    connected_ = false;
}

// The blocking client's private event loop and its one connection.
struct RpcClient::Session {
    boost::asio::io_context io;
    std::shared_ptr<HttpConnection> connection;
};

RpcClient::RpcClient(Endpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout), session_(std::make_unique<Session>()) {
    session_->connection = std::make_shared<HttpConnection>(session_->io.get_executor(), endpoint_);
}

RpcClient::~RpcClient() { session_->connection->close(); }

Result<HttpResult> RpcClient::run(std::string target, std::optional<std::string> body, std::chrono::milliseconds timeout) {
    std::optional<Result<HttpResult>> out;
    session_->connection->request(std::move(target), std::move(body), timeout,
                                  [&out](Result<HttpResult> r) { out = std::move(r); });
    session_->io.restart();
    session_->io.run();
    if (!out) {
        return Error(Errc::kInternal, endpoint_.url() + ": request did not complete");
    }
    return std::move(*out);
}

Result<HttpResult> RpcClient::get(const std::string& target, std::optional<std::chrono::milliseconds> timeout) {
    return run(target, std::nullopt, timeout.value_or(timeout_));
}

Result<json::Value> RpcClient::post_raw(const std::string& body, std::optional<std::chrono::milliseconds> timeout) {
    JC_ASSIGN_OR_RETURN(HttpResult http_result, run("/", body, timeout.value_or(timeout_)));
    if (http_result.body.empty()) {
        return json::Value();  // a notification: no response
    }
    json::Value doc = json::Value::parse(http_result.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        return Error(Errc::kParse, endpoint_.url() + ": HTTP " + std::to_string(http_result.status) +
                                       " with a body that is not JSON: " + http_result.body.substr(0, 120));
    }
    return doc;
}

Result<RpcReply> RpcClient::call(const std::string& method, const json::Value& params,
                                 std::optional<std::chrono::milliseconds> timeout) {
    JC_ASSIGN_OR_RETURN(json::Value doc, post_raw(rpc_request(next_id_++, method, params).dump(), timeout));
    auto reply = decode_rpc_reply(doc);
    if (!reply) {
        return reply.error().with_context(endpoint_.url());
    }
    return reply;
}

}  // namespace jc::tools
