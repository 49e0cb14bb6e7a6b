// One keep-alive HTTP/1.1 (or https) connection to a node's JSON-RPC port, on a caller's
// io_context: the asynchronous half of http_client.h, which RpcClient wraps for blocking use and
// the bench drives directly, many connections on one io_context. See http_client.h for the
// reconnect, timeout, TLS verification and bearer-token rules.
//
// Thread-safety: an HttpConnection is used from its io_context's thread only.
#pragma once

#include "http_client.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace jc::tools {

// A client TLS context for `endpoint` (TLS 1.3, verifying with its ca_file).
Result<std::shared_ptr<boost::asio::ssl::context>> client_tls_context(const Endpoint& endpoint);

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
public:
    using Handler = std::function<void(Result<HttpResult>)>;
    static constexpr std::size_t kResponseBytesMax = 64u << 20;

    HttpConnection(boost::asio::any_io_executor executor, Endpoint endpoint);

    // POST `body` (application/json) to `target`, or GET `target` when `body` is nullopt.
    // REQUIRES: no request in progress on this connection.
    void request(std::string target, std::optional<std::string> body, std::chrono::milliseconds timeout,
                 Handler done);
    void close();
    [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }
    [[nodiscard]] bool busy() const { return busy_; }

private:
    void connect();
    void handshake();
    void send();
    boost::beast::tcp_stream& lowest() { return tls_ ? boost::beast::get_lowest_layer(*tls_) : stream_; }
    void on_write(boost::beast::error_code ec);
    void on_read(boost::beast::error_code ec);
    void fail(const std::string& what, boost::beast::error_code ec, const std::string& detail = "");
    void finish(Result<HttpResult> r);

    Endpoint endpoint_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::beast::tcp_stream stream_;  // plain http
    // https: a fresh stream per connection (an SSL object is not reused after a close).
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls_;
    std::string token_;
    std::optional<Error> setup_error_;  // the TLS context could not be built: every request fails with it
    std::optional<boost::asio::ip::tcp::resolver::results_type> resolved_;
    boost::beast::flat_buffer buffer_;
    boost::beast::http::request<boost::beast::http::string_body> request_;
    std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
    std::chrono::milliseconds timeout_{0};
    Handler done_;
    bool connected_ = false;
    bool reused_ = false;   // this request went out on a connection that served an earlier one
    bool retried_ = false;  // already resent once after a stale keep-alive connection
    bool busy_ = false;
};

}  // namespace jc::tools
