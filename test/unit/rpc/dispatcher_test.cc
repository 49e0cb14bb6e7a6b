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
    d.add("raw", {.summary = "echoes its params as pre-rendered text"},
          [](const Value& params, const CallContext&, Reply reply) { reply(RawJson{params.dump()}); });
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

TEST_CASE("raw JSON results are written as they are, with the bytes a tree result gives", "[rpc]") {
    // ADR 0151: the response text of a raw result must be byte for byte the tree's, alone and in
    // a batch, whatever the id's type.
    const auto holder = make_dispatcher();
    const Dispatcher& d = *holder;
    const auto text = [&](std::string_view body) {
        std::optional<std::optional<std::string>> out;
        d.handle(body, {}, [&](std::optional<std::string> r) { out = std::move(r); });
        REQUIRE(out.has_value());
        REQUIRE(out->has_value());
        return **out;
    };
    const std::string params = R"({"a":[1,-2,{"b":"q\"uote\\"}],"z":null})";
    for (const std::string id : {"7", R"("call-x")", "null"}) {
        const std::string tree = text(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo","params":)" + params + "}");
        const std::string raw = text(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"raw","params":)" + params + "}");
        CHECK(raw == tree);
        CHECK(raw == R"({"id":)" + id + R"(,"jsonrpc":"2.0","result":)" + Value::parse(params).dump() + "}");
    }
    const std::string mixed = text(R"([{"jsonrpc":"2.0","id":1,"method":"raw","params":{"n":1}},
                                        {"jsonrpc":"2.0","method":"raw"},
                                        {"jsonrpc":"2.0","id":2,"method":"echo","params":{"n":2}},
                                        {"jsonrpc":"2.0","id":3,"method":"fail"}])");
    Value expected = Value::array();
    expected.push_back(Value{{"jsonrpc", "2.0"}, {"id", 1}, {"result", Value{{"n", 1}}}});
    expected.push_back(Value{{"jsonrpc", "2.0"}, {"id", 2}, {"result", Value{{"n", 2}}}});
    expected.push_back(Value::parse(text(R"({"jsonrpc":"2.0","id":3,"method":"fail"})")));
    CHECK(mixed == expected.dump());
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
    CHECK(doc["methods"].size() == 4);
    CHECK(doc["methods"][0]["name"] == "echo");
    // The test doubles declare no parameters: the document says so rather than "takes none".
    CHECK(doc["methods"][0]["x-params-undeclared"] == true);
}

// ADR 0095: what a bank's bearer token may call. The dispatcher enforces the method's Access
// before the handler runs; with no token (ctx.bank empty) everything stays open.
TEST_CASE("bank tokens: the method table's access rules", "[rpc]") {
    Dispatcher d;
    d.add("digest", {.summary = "whole ledger"}, [](const Value&, const CallContext&, Reply reply) { reply(Value(1)); });
    d.add("height", {.summary = "public", .access = Access::kConsortium},
          [](const Value&, const CallContext&, Reply reply) { reply(Value(2)); });
    d.add("positions", {.summary = "own bank", .access = Access::kOwnBank},
          [](const Value& p, const CallContext&, Reply reply) { reply(p); });
    d.add("checked", {.summary = "handler decides", .access = Access::kChecked},
          [](const Value&, const CallContext& ctx, Reply reply) {
              reply(ctx.bank == "A" ? Outcome(Value(3)) : Outcome(ctx.forbidden("this")));
          });
    auto as = [&](const std::string& bank, std::string_view body) {
        std::optional<std::optional<std::string>> out;
        d.handle(body, CallContext{nullptr, bank}, [&](std::optional<std::string> r) { out = std::move(r); });
        REQUIRE(out.has_value());
        return *out ? std::optional<Value>(Value::parse(**out)) : std::nullopt;
    };
    auto forbidden = [](const std::optional<Value>& r) {
        return r && r->contains("error") && (*r)["error"]["code"] == kForbidden &&
               (*r)["error"]["data"]["reason"] == "FORBIDDEN";
    };
    // No token: every method, any bank_id.
    CHECK((*as("", R"({"jsonrpc":"2.0","id":1,"method":"digest"})"))["result"] == 1);
    CHECK((*as("", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":"B"}})"))["result"]["bank_id"] == "B");
    CHECK(!(*as("", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{}})"))["result"].contains("bank_id"));
    // A token: the default (kTokenless) is closed, consortium data open.
    const auto r = as("A", R"({"jsonrpc":"2.0","id":1,"method":"digest"})");
    CHECK(forbidden(r));
    CHECK((*r)["error"]["message"].get<std::string>().find("A may not read digest") != std::string::npos);
    CHECK((*as("A", R"({"jsonrpc":"2.0","id":1,"method":"height"})"))["result"] == 2);
    // kOwnBank: its own bank_id passes, another (or a non-string) is refused, none is filled in.
    CHECK((*as("A", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":"A"}})"))["result"]["bank_id"] == "A");
    CHECK(forbidden(as("A", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":"B"}})")));
    CHECK(forbidden(as("A", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":7}})")));
    CHECK((*as("A", R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{}})"))["result"]["bank_id"] == "A");
    // kChecked: the handler sees the token's bank.
    CHECK((*as("A", R"({"jsonrpc":"2.0","id":1,"method":"checked"})"))["result"] == 3);
    CHECK(forbidden(as("B", R"({"jsonrpc":"2.0","id":1,"method":"checked"})")));
    // A refused notification still gets no response; a batch is checked member by member.
    CHECK(!as("A", R"({"jsonrpc":"2.0","method":"digest"})").has_value());
    const auto batch = as("A", R"([{"jsonrpc":"2.0","id":1,"method":"digest"},{"jsonrpc":"2.0","id":2,"method":"height"}])");
    REQUIRE(batch);
    CHECK(forbidden(Value((*batch)[0])));
    CHECK((*batch)[1]["result"] == 2);
    // ADR 0097, the auditor: what some bank's token may call, for any bank. The default
    // (whole-ledger) stays closed; kOwnBank needs bank_id and takes any; kChecked handlers see
    // ctx.auditor (the handler above only knows banks, so it refuses the auditor).
    auto as_auditor = [&](std::string_view body) {
        std::optional<std::optional<std::string>> out;
        d.handle(body, CallContext{nullptr, "", true}, [&](std::optional<std::string> x) { out = std::move(x); });
        REQUIRE(out.has_value());
        return *out ? std::optional<Value>(Value::parse(**out)) : std::nullopt;
    };
    const auto a = as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"digest"})");
    CHECK(forbidden(a));
    CHECK((*a)["error"]["message"].get<std::string>().find("the auditor may not read digest") != std::string::npos);
    CHECK((*as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"height"})"))["result"] == 2);
    CHECK((*as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":"B"}})"))["result"]["bank_id"] == "B");
    CHECK((*as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":"A"}})"))["result"]["bank_id"] == "A");
    CHECK(forbidden(as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{}})")));
    CHECK(forbidden(as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"positions","params":{"bank_id":7}})")));
    CHECK(forbidden(as_auditor(R"({"jsonrpc":"2.0","id":1,"method":"checked"})")));
    CallContext auditor{nullptr, "", true};
    CHECK(auditor.restricted());
    CHECK(auditor.may_read_bank("A"));
    CHECK(auditor.may_read_bank("B"));
    CallContext bank_a{nullptr, "A"};
    CHECK(bank_a.may_read_bank("A"));
    CHECK_FALSE(bank_a.may_read_bank("B"));
    CHECK_FALSE(CallContext{}.restricted());
    CHECK(CallContext{}.may_read_bank("B"));
    // The OpenRPC document states each method's rule.
    const auto doc = d.openrpc("t", "0");
    for (const auto& m : doc["methods"]) {
        if (m["name"] == "positions") {
            CHECK(m["x-token-access"] == "own-bank");
            CHECK(m["x-auditor-access"] == "any-bank");
        }
        if (m["name"] == "digest") {
            CHECK(m["x-token-access"] == "tokenless");
            CHECK(m["x-auditor-access"] == "refused");
        }
        if (m["name"] == "height") {
            CHECK(m["x-auditor-access"] == "open");
        }
    }
}

// ADR 0180: a method's declared parameters are checked before it runs, and rpc.discover
// publishes the same list, so a client generated from the document sends what is accepted.
TEST_CASE("declared parameters: unknown, missing and mistyped are -32602 before the method runs", "[rpc]") {
    Dispatcher d;
    int ran = 0;
    d.add("loan", {.summary = "a loan", .access = Access::kConsortium,
                   .params = std::vector<Param>{{"loan_id", Value{{"type", "string"}}, true},
                                                {"as_of", Value{{"type", "string"}}},
                                                {"full", Value{{"type", "boolean"}}},
                                                {"height", Value{{"type", "integer"}, {"minimum", 1}}}}},
          [&ran](const Value& p, const CallContext&, Reply reply) {
              ++ran;
              reply(p);
          });
    d.add("positions", {.summary = "own bank", .access = Access::kOwnBank,
                        .params = std::vector<Param>{{"bank_id", Value{{"type", "string"}}, true}}},
          [&ran](const Value& p, const CallContext&, Reply reply) {
              ++ran;
              reply(p);
          });
    auto error = [&](const std::string& bank, std::string_view body) -> std::string {
        std::optional<std::optional<std::string>> out;
        d.handle(body, CallContext{nullptr, bank}, [&](std::optional<std::string> r) { out = std::move(r); });
        REQUIRE(out.has_value());
        REQUIRE(out->has_value());
        const Value v = Value::parse(**out);
        if (!v.contains("error")) {
            return "";
        }
        CHECK(v["error"]["code"] == -32602);
        return v["error"]["data"]["detail"].get<std::string>();
    };
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"loan_id":"L","full":true,"height":3}})") == "");
    CHECK(ran == 1);
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"loan_id":"L","params":{}}})") ==
          "unknown parameter \"params\"");
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"as_of":"2024-01-01"}})") == "missing \"loan_id\"");
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"loan_id":7}})") == "\"loan_id\" must be a string");
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"loan_id":"L","full":1}})") ==
          "\"full\" must be a boolean");
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"loan","params":{"loan_id":"L","height":"3"}})") ==
          "\"height\" must be an integer");
    CHECK(ran == 1);
    // A bank token's bank_id is filled in before the check, so the required bank_id is there.
    CHECK(error("A", R"({"jsonrpc":"2.0","id":1,"method":"positions"})") == "");
    CHECK(error("", R"({"jsonrpc":"2.0","id":1,"method":"positions"})") == "missing \"bank_id\"");
    CHECK(ran == 2);

    const auto doc = d.openrpc("t", "0");
    for (const auto& m : doc["methods"]) {
        if (m["name"] == "loan") {
            CHECK(m["paramStructure"] == "by-name");
            REQUIRE(m["params"].size() == 4);
            CHECK_FALSE(m.contains("x-params-undeclared"));
            CHECK(m["params"][0] == Value{{"name", "loan_id"}, {"required", true}, {"schema", Value{{"type", "string"}}}});
            CHECK(m["params"][3]["schema"]["minimum"] == 1);
        }
    }
}
