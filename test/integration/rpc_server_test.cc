// Goal: the RPC server speaks JSON-RPC over real HTTP and WebSocket connections, serves the
// operations endpoints, and answers every limit with an error instead of hanging. Method: a
// server on 127.0.0.1 with a test dispatcher, driven by Beast clients; waits poll with deadlines.
#include <jc/rpc/server.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <catch2/catch.hpp>
#include "wait_until.h"

#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace jc;
using jc::test::wait_until;
using namespace jc::rpc;

namespace {

struct Fixture {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::shared_ptr<Dispatcher> dispatcher = std::make_shared<Dispatcher>();
    std::unique_ptr<Server> server;
    std::thread thread;
    std::mutex mutex;
    std::shared_ptr<NotificationSink> sink;
    std::atomic<bool> ready{false};
    std::vector<Reply> held;  // guarded by mutex

    explicit Fixture(ServerConfig config = {}) {
        dispatcher->add("echo", {}, [](const Value& p, const CallContext&, Reply reply) { reply(p); });
        // Answers only when the test releases it: a slow query held in flight.
        dispatcher->add("slow", {}, [this](const Value&, const CallContext&, Reply reply) {
            std::lock_guard lock(mutex);
            held.push_back(std::move(reply));
        });
        dispatcher->add("subscribe", {}, [this](const Value&, const CallContext& ctx, Reply reply) {
            if (!ctx.sink) {
                reply(RpcError::server(kUnsupported, "UNSUPPORTED", "subscriptions need a WebSocket"));
                return;
            }
            std::lock_guard lock(mutex);
            sink = ctx.sink;
            reply(Value{{"subscription", "s1"}});
        });
        dispatcher->set_limits({.body_bytes_max = 4096, .batch_length_max = 10, .depth_max = 32});
        HttpHooks hooks;
        hooks.metrics = [] { return std::string("jointclear_height 42\n"); };
        hooks.healthy = [] { return true; };
        hooks.ready = [this] { return std::make_pair(ready.load(), std::string("syncing")); };
        server = std::make_unique<Server>(io, config, dispatcher, hooks);
        REQUIRE(server->start().ok());
        thread = std::thread([this] { io.run(); });
    }
    ~Fixture() {
        server->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
};

http::response<http::string_body> request(std::uint16_t port, http::verb verb, const std::string& target,
                                          const std::string& body = "") {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
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

}  // namespace

TEST_CASE("HTTP JSON-RPC and operations endpoints", "[rpc][integration]") {
    Fixture fx;
    const auto port = fx.server->port();
    auto res = request(port, http::verb::post, "/", R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":"y"}})");
    CHECK(res.result() == http::status::ok);
    CHECK(Value::parse(res.body())["result"]["x"] == "y");

    res = request(port, http::verb::post, "/", R"({"jsonrpc":"2.0","method":"echo"})");
    CHECK(res.result() == http::status::no_content);

    res = request(port, http::verb::post, "/", std::string(5000, ' '));
    CHECK(res.result() == http::status::payload_too_large);
    CHECK(Value::parse(res.body())["error"]["data"]["reason"] == "TOO_LARGE");

    res = request(port, http::verb::get, "/metrics");
    CHECK(res.body() == "jointclear_height 42\n");
    CHECK(request(port, http::verb::get, "/healthz").result() == http::status::ok);
    res = request(port, http::verb::get, "/readyz");
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(res.body() == "not ready: syncing\n");
    fx.ready = true;
    CHECK(request(port, http::verb::get, "/readyz").result() == http::status::ok);
    CHECK(request(port, http::verb::get, "/nope").result() == http::status::not_found);
    CHECK(request(port, http::verb::put, "/").result() == http::status::method_not_allowed);

    res = request(port, http::verb::post, "/", R"({"jsonrpc":"2.0","id":1,"method":"subscribe"})");
    CHECK(Value::parse(res.body())["error"]["data"]["reason"] == "UNSUPPORTED");
}

TEST_CASE("malformed HTTP gets 400 and the server keeps serving", "[rpc][integration]") {
    Fixture fx;
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.server->port()));
    const std::string junk = "\x16\x03\x01 not http at all\r\n\r\n";
    asio::write(s, asio::buffer(junk));
    std::string reply;
    boost::system::error_code ec;
    std::array<char, 512> buf{};
    while (!ec) {
        const auto n = s.read_some(asio::buffer(buf), ec);
        reply.append(buf.data(), n);
    }
    CHECK_THAT(reply, Catch::StartsWith("HTTP/1.1 400"));
    CHECK(request(fx.server->port(), http::verb::get, "/healthz").result() == http::status::ok);
}

TEST_CASE("WebSocket calls and subscription notifications", "[rpc][integration]") {
    Fixture fx;
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws(io);
    beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.server->port()));
    ws.handshake("127.0.0.1", "/ws");
    ws.write(asio::buffer(std::string(R"({"jsonrpc":"2.0","id":5,"method":"subscribe","params":{"topic":"blocks"}})")));
    beast::flat_buffer buffer;
    ws.read(buffer);
    CHECK(Value::parse(beast::buffers_to_string(buffer.data()))["result"]["subscription"] == "s1");
    buffer.consume(buffer.size());
    REQUIRE(wait_until([&] {
        std::lock_guard lock(fx.mutex);
        return fx.sink != nullptr;
    }));
    for (int i = 0; i < 3; ++i) {
        std::lock_guard lock(fx.mutex);
        CHECK(fx.sink->push(R"({"jsonrpc":"2.0","method":"subscription","params":{"subscription":"s1","result":)" +
                            std::to_string(i) + "}}"));
    }
    for (int i = 0; i < 3; ++i) {
        ws.read(buffer);
        CHECK(Value::parse(beast::buffers_to_string(buffer.data()))["params"]["result"] == i);
        buffer.consume(buffer.size());
    }
    ws.write(asio::buffer(std::string("{broken")));
    ws.read(buffer);
    CHECK(Value::parse(beast::buffers_to_string(buffer.data()))["error"]["code"] == -32700);
    ws.close(websocket::close_code::normal);
}

TEST_CASE("connections over the limit get 503, not a hang", "[rpc][integration]") {
    ServerConfig config;
    config.connections_max = 2;
    Fixture fx(config);
    asio::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> held;
    for (int i = 0; i < 2; ++i) {
        held.push_back(std::make_unique<tcp::socket>(io));
        held.back()->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.server->port()));
    }
    REQUIRE(wait_until([&] { return fx.server->counters().connections_open.load() == 2; }));
    auto res = request(fx.server->port(), http::verb::get, "/healthz");
    CHECK(res.result() == http::status::service_unavailable);
    CHECK(Value::parse(res.body())["error"]["data"]["reason"] == "OVERLOADED");
    held.clear();
    CHECK(wait_until([&] { return fx.server->counters().connections_open.load() == 0; }));
    CHECK(request(fx.server->port(), http::verb::get, "/healthz").result() == http::status::ok);
}

TEST_CASE("a WebSocket client pipelining past its in-flight cap gets OVERLOADED per request", "[rpc][integration]") {
    // With ws_in_flight_max = 4 and four slow calls unanswered, further requests on that
    // connection are answered at once with -32007 OVERLOADED under their own ids (a batch member
    // by member); once the slow calls answer, the connection is served again.
    ServerConfig config;
    config.ws_in_flight_max = 4;
    Fixture fx(config);
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws(io);
    beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.server->port()));
    ws.handshake("127.0.0.1", "/ws");
    for (int i = 0; i < 4; ++i) {
        ws.write(asio::buffer(R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"slow"})"));
    }
    REQUIRE(wait_until([&] {
        std::lock_guard lock(fx.mutex);
        return fx.held.size() == 4;
    }));
    beast::flat_buffer buffer;
    auto read_value = [&] {
        buffer.consume(buffer.size());
        ws.read(buffer);
        return Value::parse(beast::buffers_to_string(buffer.data()));
    };
    ws.write(asio::buffer(std::string(R"({"jsonrpc":"2.0","id":"x","method":"echo","params":{}})")));
    auto refused = read_value();
    CHECK(refused["id"] == "x");
    CHECK(refused["error"]["code"] == -32007);
    CHECK(refused["error"]["data"]["reason"] == "OVERLOADED");
    ws.write(asio::buffer(std::string(
        R"([{"jsonrpc":"2.0","id":7,"method":"echo"},{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","id":8,"method":"echo"}])")));
    auto batch = read_value();
    REQUIRE(batch.is_array());
    REQUIRE(batch.size() == 2);  // the notification gets nothing
    CHECK(batch[0]["id"] == 7);
    CHECK(batch[1]["id"] == 8);
    CHECK(batch[1]["error"]["data"]["reason"] == "OVERLOADED");
    CHECK(fx.server->counters().ws_overloaded.load() == 2);
    {
        std::lock_guard lock(fx.mutex);
        for (auto& reply : fx.held) {
            reply(Value("done"));
        }
        fx.held.clear();
    }
    for (int i = 0; i < 4; ++i) {
        CHECK(read_value()["result"] == "done");
    }
    ws.write(asio::buffer(std::string(R"({"jsonrpc":"2.0","id":9,"method":"echo","params":{"a":1}})")));
    auto served = read_value();
    CHECK(served["id"] == 9);
    CHECK(served["result"]["a"] == 1);
    ws.close(websocket::close_code::normal);
}
