// Goal: JSON-RPC 2.0 is followed exactly — batches, notifications, the standard error codes and
// server errors with stable reasons — and bad input always gets a precise error, never a crash.
// Method: drive the transport-independent Dispatcher with request texts and inspect responses.
#include <jc/rpc/dispatcher.h>

#include <catch2/catch.hpp>

using namespace jc;
using namespace jc::rpc;

namespace {

std::unique_ptr<Dispatcher> make_dispatcher(std::vector<Reply>* deferred = nullptr) {
    auto owned = std::make_unique<Dispatcher>();
    Dispatcher& d = *owned;
    d.add("echo", {.summary = "returns its params"},
          [](const Value& params, const CallContext&, Reply reply) { reply(params); });
    d.add("fail", {.summary = "always fails"}, [](const Value&, const CallContext&, Reply reply) {
        reply(RpcError::server(kPoolFull, "POOL_FULL", "pool is full"));
    });
    d.add("later", {.summary = "replies later"}, [deferred](const Value&, const CallContext&, Reply reply) {
        deferred->push_back(std::move(reply));
    });
    return owned;
}

std::optional<Value> call(const Dispatcher& d, std::string_view body) {
    std::optional<std::optional<std::string>> out;
    d.handle(body, {}, [&](std::optional<std::string> r) { out = std::move(r); });
    REQUIRE(out.has_value());
    if (!*out) {
        return std::nullopt;
    }
    return Value::parse(**out);
}

}  // namespace

TEST_CASE("single calls: result, id echo and standard errors", "[rpc]") {
    const auto holder = make_dispatcher();
    const Dispatcher& d = *holder;
    auto r = call(d, R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":"b"}})");
    CHECK(*r == Value::parse(R"({"jsonrpc":"2.0","id":7,"result":{"a":"b"}})"));
    r = call(d, R"({"jsonrpc":"2.0","id":"x","method":"echo"})");
    CHECK((*r)["result"] == Value::object());
    CHECK((*r)["id"] == "x");

    auto code_of = [&](std::string_view body) { return (*call(d, body))["error"]["code"].get<int>(); };
    CHECK(code_of("{not json") == -32700);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":1.5}})") == -32700);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"id":2,"method":"echo"})") == -32700);
    CHECK(code_of(R"({"jsonrpc":"1.0","id":1,"method":"echo"})") == -32600);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1})") == -32600);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":{},"method":"echo"})") == -32600);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"echo","extra":1})") == -32600);
    CHECK(code_of(R"(5)") == -32600);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"nope"})") == -32601);
    CHECK(code_of(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1]})") == -32602);
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"fail"})");
    CHECK((*r)["error"]["code"] == -32002);
    CHECK((*r)["error"]["data"]["reason"] == "POOL_FULL");
    // Parse errors carry where the JSON went wrong.
    r = call(d, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":01}})");
    CHECK_THAT((*r)["error"]["data"]["detail"].get<std::string>(), Catch::Contains("offset"));
}

TEST_CASE("notifications get no response; batches answer in order", "[rpc]") {
    const auto holder = make_dispatcher();
    const Dispatcher& d = *holder;
    CHECK_FALSE(call(d, R"({"jsonrpc":"2.0","method":"echo"})").has_value());
    CHECK_FALSE(call(d, R"({"jsonrpc":"2.0","method":"unknown"})").has_value());
    auto r = call(d, R"([{"jsonrpc":"2.0","id":1,"method":"echo","params":{"n":1}},
                          {"jsonrpc":"2.0","method":"echo"},
                          {"jsonrpc":"2.0","id":2,"method":"nope"},
                          7])");
    REQUIRE(r->is_array());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0]["id"] == 1);
    CHECK((*r)[1]["error"]["code"] == -32601);
    CHECK((*r)[2]["error"]["code"] == -32600);
    CHECK_FALSE(call(d, R"([{"jsonrpc":"2.0","method":"echo"}])").has_value());
    CHECK((*call(d, "[]"))["error"]["code"] == -32600);
}

TEST_CASE("limits answer with TOO_LARGE", "[rpc]") {
    const auto holder = make_dispatcher();
    Dispatcher& d = *holder;
    d.set_limits({.body_bytes_max = 200, .batch_length_max = 2, .depth_max = 32});
    auto r = call(d, std::string(201, ' '));
    CHECK((*r)["error"]["data"]["reason"] == "TOO_LARGE");
    r = call(d, R"([{"jsonrpc":"2.0","id":1,"method":"echo"},{"jsonrpc":"2.0","id":2,"method":"echo"},{"jsonrpc":"2.0","id":3,"method":"echo"}])");
    CHECK((*r)["error"]["data"]["reason"] == "TOO_LARGE");
}

TEST_CASE("asynchronous replies complete batches when the last member answers", "[rpc]") {
    std::vector<Reply> deferred;
    const auto holder = make_dispatcher(&deferred);
    const Dispatcher& d = *holder;
    std::optional<std::optional<std::string>> out;
    d.handle(R"([{"jsonrpc":"2.0","id":1,"method":"later"},{"jsonrpc":"2.0","id":2,"method":"echo"}])", {},
             [&](std::optional<std::string> r) { out = std::move(r); });
    CHECK_FALSE(out.has_value());
    REQUIRE(deferred.size() == 1);
    deferred[0](Value{{"done", true}});
    REQUIRE(out.has_value());
    const auto v = Value::parse(**out);
    CHECK(v[0]["result"]["done"] == true);
    CHECK(v[1]["id"] == 2);
}

TEST_CASE("OpenRPC document lists every method", "[rpc]") {
    const auto holder = make_dispatcher();
    const Dispatcher& d = *holder;
    const auto doc = d.openrpc("JointClear", "0.1.0");
    CHECK(doc["openrpc"] == "1.2.6");
    CHECK(doc["methods"].size() == 3);
    CHECK(doc["methods"][0]["name"] == "echo");
}
