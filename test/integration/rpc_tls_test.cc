// Goal: the RPC server's optional TLS (ADR 0094) serves https and wss on one port with TLS 1.3
// only, keeps every connection-level limit, and fails precisely: plain HTTP to the TLS port is
// told to use https, a client that connects and sends nothing loses its slot at the handshake
// deadline, handshakes beyond rpc.tls.handshakes_max are closed at accept, a client trusting
// another CA (or expecting another host) refuses the server, mutual TLS refuses a client without
// a certificate, and a bad certificate, key or CA file stops start() with an error naming it.
// Method: a CA and certificates made with jc::p2p's issuer in a temporary directory, a server
// on 127.0.0.1 with a test dispatcher, Beast/OpenSSL clients; waits poll with deadlines.
#include <jc/core/file_util.h>
#include <jc/p2p/tls_identity.h>
#include <jc/rpc/server.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>
#include "wait_until.h"
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace jc;
using jc::test::wait_until;
using namespace jc::rpc;

namespace {

// Certificates for one test: a CA, a server certificate for 127.0.0.1, a client certificate, and
// an unrelated CA with its own server certificate.
struct Pki {
    std::filesystem::path dir;
    Pki() {
        dir = std::filesystem::temp_directory_path() /
              ("jc-rpc-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(dir);
        const auto ca = p2p::make_ca({.common_name = "test CA", .serial = 1}).value();
        const auto server = p2p::issue_certificate(
            ca, {.common_name = "rpc", .serial = 2, .subject_alt_names = {"IP:127.0.0.1", "DNS:localhost"}}).value();
        const auto client = p2p::issue_certificate(ca, {.common_name = "bank client", .serial = 3}).value();
        const auto other_ca = p2p::make_ca({.common_name = "other CA", .serial = 1}).value();
        write("ca.crt", ca.certificate_pem);
        write("server.crt", server.certificate_pem);
        write("server.key", server.private_key_pem);
        write("client.crt", client.certificate_pem);
        write("client.key", client.private_key_pem);
        write("other_ca.crt", other_ca.certificate_pem);
        write("not_pem.crt", "hello\n");
    }
    ~Pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
    void write(const std::string& name, const std::string& text) const {
        REQUIRE(file::write_file_atomic((dir / name).string(), text, 0600, file::Overwrite::kReplace).ok());
    }
    [[nodiscard]] std::string path(const std::string& name) const { return (dir / name).string(); }
};

struct TlsFixture {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::shared_ptr<Dispatcher> dispatcher = std::make_shared<Dispatcher>();
    std::unique_ptr<Server> server;
    std::thread thread;
    std::mutex mutex;
    std::shared_ptr<NotificationSink> sink;

    explicit TlsFixture(ServerConfig config) {
        dispatcher->add("echo", {}, [](const Value& p, const CallContext&, Reply reply) { reply(p); });
        dispatcher->add("subscribe", {}, [this](const Value&, const CallContext& ctx, Reply reply) {
            std::lock_guard lock(mutex);
            sink = ctx.sink;
            reply(Value{{"subscription", "s1"}});
        });
        HttpHooks hooks;
        hooks.metrics = [] { return std::string("jointclear_height 7\n"); };
        hooks.healthy = [] { return true; };
        hooks.ready = [] { return std::make_pair(true, std::string()); };
        server = std::make_unique<Server>(io, std::move(config), dispatcher, hooks);
        const auto started = server->start();
        INFO((started.ok() ? std::string() : started.error().message()));
        REQUIRE(started.ok());
        thread = std::thread([this] { io.run(); });
    }
    ~TlsFixture() {
        server->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
};

ServerConfig tls_config(const Pki& pki) {
    ServerConfig c;
    c.tls.cert_chain_file = pki.path("server.crt");
    c.tls.key_file = pki.path("server.key");
    return c;
}

// A client context: TLS 1.3 (or `max_version`), trusting `ca_file`, checking `host`.
std::unique_ptr<ssl::context> client_context(const std::string& ca_file, int max_version = TLS1_3_VERSION) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_max_proto_version(ctx->native_handle(), max_version);
    ctx->load_verify_file(ca_file);
    ctx->set_verify_mode(ssl::verify_peer);
    return ctx;
}

// Connects and runs the TLS handshake checking the server's IP SAN against `host_ip`.
beast::error_code tls_connect(beast::ssl_stream<beast::tcp_stream>& stream, std::uint16_t port,
                              const std::string& host_ip = "127.0.0.1") {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), host_ip.c_str());
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    return ec;
}

http::response<http::string_body> https(beast::ssl_stream<beast::tcp_stream>& stream, http::verb verb,
                                        const std::string& target, const std::string& body = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
}

// Milliseconds until the server closes a connection that sent nothing (read sees EOF/reset).
std::int64_t ms_until_closed(tcp::socket& s) {
    const auto start = std::chrono::steady_clock::now();
    char byte = 0;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&byte, 1), ec);
    CHECK(ec);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("https JSON-RPC, operations endpoints and wss on one TLS 1.3 port", "[rpc][tls][integration]") {
    Pki pki;
    TlsFixture fx(tls_config(pki));
    const auto port = fx.server->port();
    asio::io_context io;
    auto ctx = client_context(pki.path("ca.crt"));
    {
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        REQUIRE(!tls_connect(stream, port));
        CHECK(SSL_version(stream.native_handle()) == TLS1_3_VERSION);
        auto res = https(stream, http::verb::post, "/", R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":"y"}})");
        CHECK(res.result() == http::status::ok);
        CHECK(Value::parse(res.body())["result"]["x"] == "y");
        // Keep-alive on the same TLS connection, and the GET endpoints.
        CHECK(https(stream, http::verb::get, "/metrics").body() == "jointclear_height 7\n");
        CHECK(https(stream, http::verb::get, "/healthz").result() == http::status::ok);
        CHECK(https(stream, http::verb::get, "/readyz").result() == http::status::ok);
    }
    {
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, *ctx);
        REQUIRE(!tls_connect(ws.next_layer(), port));
        ws.handshake("127.0.0.1", "/ws");
        ws.write(asio::buffer(std::string(R"({"jsonrpc":"2.0","id":7,"method":"subscribe","params":{}})")));
        beast::flat_buffer buffer;
        ws.read(buffer);
        CHECK(Value::parse(beast::buffers_to_string(buffer.data()))["result"]["subscription"] == "s1");
        buffer.consume(buffer.size());
        REQUIRE(wait_until([&] {
            std::lock_guard lock(fx.mutex);
            return fx.sink != nullptr;
        }));
        {
            std::lock_guard lock(fx.mutex);
            CHECK(fx.sink->push(R"({"jsonrpc":"2.0","method":"subscription","params":{"subscription":"s1","result":1}})"));
        }
        ws.read(buffer);
        CHECK(Value::parse(beast::buffers_to_string(buffer.data()))["params"]["result"] == 1);
        ws.close(websocket::close_code::normal);
        std::lock_guard lock(fx.mutex);
        fx.sink.reset();  // the session lives as long as someone holds its sink
    }
    CHECK(fx.server->counters().tls_handshakes.load() == 2);
    CHECK(wait_until([&] { return fx.server->counters().connections_open.load() == 0; }));
}

TEST_CASE("plain HTTP to the TLS port is told to use https", "[rpc][tls][integration]") {
    Pki pki;
    TlsFixture fx(tls_config(pki));
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.server->port()));
    http::request<http::string_body> req{http::verb::post, "/", 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{}})";
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    CHECK(res.result() == http::status::bad_request);
    CHECK(res.body().find("https://") != std::string::npos);
    CHECK(!res.keep_alive());
    CHECK(wait_until([&] { return fx.server->counters().connections_open.load() == 0; }));
    CHECK(fx.server->counters().tls_handshakes_failed.load() == 1);
}

TEST_CASE("a silent client loses its slot at the handshake deadline; handshakes are bounded", "[rpc][tls][integration]") {
    Pki pki;
    auto config = tls_config(pki);
    config.tls.handshake_timeout_ms = 300;
    config.tls.handshakes_max = 2;
    TlsFixture fx(config);
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), fx.server->port());
    asio::io_context io;
    tcp::socket silent1(io);
    tcp::socket silent2(io);
    silent1.connect(at);
    silent2.connect(at);
    REQUIRE(wait_until([&] { return fx.server->counters().tls_handshakes_pending.load() == 2; }));
    // A third handshake over the bound is closed at accept, long before the deadline.
    tcp::socket third(io);
    third.connect(at);
    CHECK(ms_until_closed(third) < 250);
    CHECK(fx.server->counters().tls_handshakes_refused.load() == 1);
    // The silent ones are dropped at ~300 ms (bounded above generously for a loaded machine).
    const auto waited = ms_until_closed(silent1);
    CHECK(waited < 3000);
    (void)ms_until_closed(silent2);
    CHECK(wait_until([&] {
        return fx.server->counters().connections_open.load() == 0 &&
               fx.server->counters().tls_handshakes_pending.load() == 0;
    }));
    CHECK(fx.server->counters().tls_handshakes_failed.load() == 2);
    // The slots are free again: a real client gets through.
    auto ctx = client_context(pki.path("ca.crt"));
    beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
    REQUIRE(!tls_connect(stream, fx.server->port()));
    CHECK(https(stream, http::verb::get, "/healthz").result() == http::status::ok);
}

TEST_CASE("clients refuse a server their CA did not sign or that names another host; TLS 1.2 is refused",
          "[rpc][tls][integration]") {
    Pki pki;
    TlsFixture fx(tls_config(pki));
    asio::io_context io;
    {
        auto ctx = client_context(pki.path("other_ca.crt"));
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        const auto ec = tls_connect(stream, fx.server->port());
        CHECK(ec);
        CHECK(SSL_get_verify_result(stream.native_handle()) != X509_V_OK);
    }
    {
        auto ctx = client_context(pki.path("ca.crt"));
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        CHECK(tls_connect(stream, fx.server->port(), "10.9.8.7"));  // the certificate is for 127.0.0.1
        CHECK(SSL_get_verify_result(stream.native_handle()) == X509_V_ERR_IP_ADDRESS_MISMATCH);
    }
    {
        auto ctx = client_context(pki.path("ca.crt"), TLS1_2_VERSION);
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        CHECK(tls_connect(stream, fx.server->port()));
    }
    CHECK(wait_until([&] { return fx.server->counters().tls_handshakes_failed.load() == 3; }));
    CHECK(fx.server->counters().tls_handshakes.load() == 0);
}

TEST_CASE("mutual TLS: with client_ca a client needs a certificate from it", "[rpc][tls][integration]") {
    Pki pki;
    auto config = tls_config(pki);
    config.tls.client_ca_file = pki.path("ca.crt");
    TlsFixture fx(config);
    asio::io_context io;
    {
        auto ctx = client_context(pki.path("ca.crt"));
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        // TLS 1.3 clients finish their side before the server checks the certificate; the
        // refusal shows on the first exchange at the latest.
        auto ec = tls_connect(stream, fx.server->port());
        if (!ec) {
            http::request<http::string_body> req{http::verb::get, "/healthz", 11};
            req.prepare_payload();
            http::write(stream, req, ec);
            if (!ec) {
                beast::flat_buffer buffer;
                http::response<http::string_body> res;
                http::read(stream, buffer, res, ec);
            }
        }
        CHECK(ec);
    }
    {
        auto ctx = client_context(pki.path("ca.crt"));
        ctx->use_certificate_chain_file(pki.path("client.crt"));
        ctx->use_private_key_file(pki.path("client.key"), ssl::context::pem);
        beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
        REQUIRE(!tls_connect(stream, fx.server->port()));
        CHECK(https(stream, http::verb::get, "/healthz").result() == http::status::ok);
    }
}

TEST_CASE("bad TLS files stop start() with an error naming the file", "[rpc][tls][integration]") {
    Pki pki;
    asio::io_context io;
    auto start_error = [&](ServerConfig config) {
        Server server(io, std::move(config), std::make_shared<Dispatcher>(), HttpHooks{});
        const auto s = server.start();
        REQUIRE(!s.ok());
        return s.error().message();
    };
    auto c = tls_config(pki);
    c.tls.cert_chain_file = pki.path("missing.crt");
    auto m = start_error(c);
    CHECK(m.find("rpc.tls.cert " + pki.path("missing.crt") + ": no such file") != std::string::npos);

    c = tls_config(pki);
    c.tls.cert_chain_file = pki.path("not_pem.crt");
    m = start_error(c);
    CHECK(m.find("rpc.tls.cert " + pki.path("not_pem.crt")) != std::string::npos);

    c = tls_config(pki);
    c.tls.key_file = pki.path("client.key");  // a valid key, but not the certificate's
    m = start_error(c);
    CHECK(m.find("rpc.tls.key " + pki.path("client.key") + " is not the private key of rpc.tls.cert") !=
          std::string::npos);

    c = tls_config(pki);
    c.tls.client_ca_file = pki.path("nope.crt");
    m = start_error(c);
    CHECK(m.find("rpc.tls.client_ca " + pki.path("nope.crt") + ": no such file") != std::string::npos);
}
