#include <jc/rpc/dispatcher.h>

#include <jc/core/assert.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <string_view>
#include <vector>

namespace jc::rpc {

RpcError RpcError::parse_error(std::string detail) {
    return {-32700, "Parse error", Value{{"reason", "PARSE_ERROR"}, {"detail", std::move(detail)}}};
}
RpcError RpcError::invalid_request(std::string detail) {
    return {-32600, "Invalid Request", Value{{"reason", "INVALID_REQUEST"}, {"detail", std::move(detail)}}};
}
RpcError RpcError::method_not_found(const std::string& method) {
    return {-32601, "Method not found", Value{{"reason", "METHOD_NOT_FOUND"}, {"detail", "no method \"" + method + "\""}}};
}
RpcError RpcError::invalid_params(std::string detail) {
    return {-32602, "Invalid params", Value{{"reason", "INVALID_PARAMS"}, {"detail", std::move(detail)}}};
}
RpcError RpcError::internal(std::string detail) {
    return {-32603, "Internal error", Value{{"reason", "INTERNAL"}, {"detail", std::move(detail)}}};
}
RpcError RpcError::server(int code, std::string reason, std::string message) {
    JC_ASSERT(code <= -32000 && code >= -32099, "rpc.server_error_code_range");
    return {code, message, Value{{"reason", std::move(reason)}, {"detail", message}}};
}

Value error_object(const RpcError& error) {
    Value e{{"code", error.code}, {"message", error.message}};
    if (error.data) {
        e["data"] = *error.data;
    }
    return e;
}

namespace {

Value response_value(const Value& id, const RpcError& error) {
    return Value{{"jsonrpc", "2.0"}, {"id", id}, {"error", error_object(error)}};
}

}  // namespace

std::string response_text(const Value& id, const Outcome& outcome) {
    if (const auto* error = std::get_if<RpcError>(&outcome)) {
        return response_value(id, *error).dump();
    }
    // Written out in the order Value::dump() prints an object's members (id, jsonrpc, result),
    // so a raw result and a tree result give the same bytes.
    std::string out = "{\"id\":" + id.dump() + ",\"jsonrpc\":\"2.0\",\"result\":";
    if (const auto* raw = std::get_if<RawJson>(&outcome)) {
        out += raw->text;
    } else {
        out += std::get<Value>(outcome).dump();
    }
    out += '}';
    return out;
}

void Dispatcher::add(std::string name, MethodInfo info, Method method) {
    JC_ASSERT(methods_.count(name) == 0, "rpc.method_registered_once");
    methods_.emplace(std::move(name), Entry{std::move(info), std::move(method)});
}

namespace {

// The JSON types a Param's schema "type" may name and the dispatcher checks.
struct JsonType {
    std::string_view name;
    std::string_view phrase;  // for the error: "\"x\" must be a string"
    bool (Value::*is)() const noexcept;
};
constexpr std::array<JsonType, 4> kCheckedTypes{
    {{"string", "a string", &Value::is_string},
     {"integer", "an integer", &Value::is_number_integer},
     {"boolean", "a boolean", &Value::is_boolean},
     {"object", "an object", &Value::is_object}}};

// The declared parameters' rules (MethodInfo::params): the first breach, or nullopt.
std::optional<RpcError> check_params(const Value& params, const std::vector<Param>& declared) {
    for (auto it = params.begin(); it != params.end(); ++it) {
        const auto d = std::find_if(declared.begin(), declared.end(),
                                    [&](const Param& p) { return p.name == it.key(); });
        if (d == declared.end()) {
            return RpcError::invalid_params("unknown parameter \"" + it.key() + "\"");
        }
        const auto type = d->schema.find("type");
        if (type == d->schema.end() || !type->is_string()) {
            continue;
        }
        const auto checked = std::find_if(
            kCheckedTypes.begin(), kCheckedTypes.end(),
            [&](const JsonType& t) { return t.name == type->get_ref<const std::string&>(); });
        if (checked != kCheckedTypes.end() && !((*it).*(checked->is))()) {
            return RpcError::invalid_params("\"" + it.key() + "\" must be " +
                                            std::string(checked->phrase));
        }
    }
    for (const Param& p : declared) {
        if (p.required && !params.contains(p.name)) {
            return RpcError::invalid_params("missing \"" + p.name + "\"");
        }
    }
    return std::nullopt;
}

const char* access_name(Access a) {
    switch (a) {
        case Access::kTokenless: return "tokenless";
        case Access::kConsortium: return "consortium";
        case Access::kOwnBank: return "own-bank";
        case Access::kChecked: return "checked";
    }
    return "tokenless";
}

// The auditor's token under the same rule (ADR 0097).
const char* auditor_access_name(Access a) {
    switch (a) {
        case Access::kTokenless: return "refused";
        case Access::kConsortium: return "open";
        case Access::kOwnBank: return "any-bank";  // bank_id required
        case Access::kChecked: return "checked";   // reads of any bank; submissions refused
    }
    return "refused";
}
}  // namespace

RpcError CallContext::forbidden(const std::string& what) const {
    return RpcError::server(kForbidden, "FORBIDDEN", "the token of " + holder() + " may not read " + what);
}

void Dispatcher::call_one(const Value& request, const CallContext& ctx,
                          std::function<void(std::optional<std::string>)> done) const {
    counters_.requests++;
    auto fail = [&](const Value& id, const RpcError& e) {
        counters_.errors++;
        done(response_text(id, e));
    };
    if (!request.is_object()) {
        fail(nullptr, RpcError::invalid_request("a request must be an object"));
        return;
    }
    // id: string, integer or null; absent means a notification.
    const auto id_it = request.find("id");
    const bool notification = id_it == request.end();
    Value id = notification ? Value(nullptr) : *id_it;
    if (!notification && !id.is_string() && !id.is_number_integer() && !id.is_null()) {
        fail(nullptr, RpcError::invalid_request("\"id\" must be a string, an integer or null"));
        return;
    }
    const auto version = request.find("jsonrpc");
    if (version == request.end() || *version != "2.0") {
        fail(id, RpcError::invalid_request("\"jsonrpc\" must be \"2.0\""));
        return;
    }
    for (auto it = request.begin(); it != request.end(); ++it) {
        if (it.key() != "jsonrpc" && it.key() != "id" && it.key() != "method" && it.key() != "params") {
            fail(id, RpcError::invalid_request("unknown member \"" + it.key() + "\""));
            return;
        }
    }
    const auto method_it = request.find("method");
    if (method_it == request.end() || !method_it->is_string()) {
        fail(id, RpcError::invalid_request("\"method\" must be a string"));
        return;
    }
    const std::string& name = method_it->get_ref<const std::string&>();
    Value params = Value::object();
    if (const auto p = request.find("params"); p != request.end()) {
        if (!p->is_object()) {
            if (notification) {  // JSON-RPC 2.0: a notification is never answered
                counters_.errors++;
                done(std::nullopt);
                return;
            }
            fail(id, RpcError::invalid_params("params must be a single object"));
            return;
        }
        params = *p;
    }
    const auto entry = methods_.find(name);
    if (entry == methods_.end()) {
        if (notification) {
            counters_.errors++;
            done(std::nullopt);
            return;
        }
        fail(id, RpcError::method_not_found(name));
        return;
    }
    // A refusal before the method runs: answered, unless the call is a notification.
    auto refuse = [&](const RpcError& error) {
        if (notification) {
            counters_.errors++;
            done(std::nullopt);
        } else {
            fail(id, error);
        }
    };
    // The read policy for bank tokens (ADR 0095), before the handler sees the call.
    if (ctx.restricted()) {
        std::optional<RpcError> refused;
        switch (entry->second.info.access) {
            case Access::kTokenless:
                refused = ctx.forbidden(name + " (whole-ledger data)");
                break;
            case Access::kOwnBank:
                if (const auto b = params.find("bank_id"); b == params.end()) {
                    if (ctx.auditor) {
                        // No bank to fill in: without bank_id some of these read every bank at
                        // once, which no bank's token may do.
                        refused = ctx.forbidden(name + " without bank_id (name the bank)");
                    } else {
                        params["bank_id"] = ctx.bank;
                    }
                } else if (!b->is_string() || !ctx.may_read_bank(b->get_ref<const std::string&>())) {
                    refused = ctx.forbidden(name + " for bank_id " + b->dump());
                }
                break;
            case Access::kConsortium:
            case Access::kChecked:
                break;
        }
        if (refused) {
            refuse(*refused);
            return;
        }
    }
    // After the read policy, which may fill in bank_id.
    if (auto refused = entry->second.info.params ? check_params(params, *entry->second.info.params)
                                                 : std::nullopt) {
        refuse(*refused);
        return;
    }
    auto once = std::make_shared<std::atomic<bool>>(false);
    Reply reply = [this, id, notification, done, once](Outcome outcome) {
        JC_ASSERT(!once->exchange(true), "rpc.reply_called_once");
        if (std::holds_alternative<RpcError>(outcome)) {
            counters_.errors++;
        }
        if (notification) {
            done(std::nullopt);
        } else {
            done(response_text(id, outcome));
        }
    };
    // A handler bug must cost one request, not the node: exceptions become -32603.
    try {
        entry->second.method(params, ctx, reply);
    } catch (const std::exception& e) {
        if (!once->load()) {
            reply(RpcError::internal(std::string("handler failed: ") + e.what()));
        }
    }
}

void Dispatcher::handle(std::string_view body, const CallContext& ctx,
                        std::function<void(std::optional<std::string>)> done) const {
    if (body.size() > limits_.body_bytes_max) {
        counters_.requests++;
        counters_.errors++;
        done(response_text(nullptr, RpcError::server(kTooLarge, "TOO_LARGE",
                                                     "request of " + std::to_string(body.size()) +
                                                         " bytes exceeds limit " +
                                                         std::to_string(limits_.body_bytes_max))));
        return;
    }
    json::ParseLimits parse_limits;
    parse_limits.document_bytes_max = limits_.body_bytes_max;
    parse_limits.depth_max = limits_.depth_max;
    auto parsed = json::parse_strict(body, parse_limits);
    if (!parsed) {
        counters_.requests++;
        counters_.errors++;
        done(response_text(nullptr, RpcError::parse_error(parsed.error().message())));
        return;
    }
    if (!parsed->is_array()) {
        call_one(*parsed, ctx, std::move(done));
        return;
    }
    const Value& batch = *parsed;
    if (batch.empty()) {
        counters_.errors++;
        done(response_text(nullptr, RpcError::invalid_request("empty batch")));
        return;
    }
    if (batch.size() > limits_.batch_length_max) {
        counters_.errors++;
        done(response_text(nullptr, RpcError::server(kTooLarge, "TOO_LARGE",
                                                     "batch of " + std::to_string(batch.size()) +
                                                         " requests exceeds limit " +
                                                         std::to_string(limits_.batch_length_max))));
        return;
    }
    // Collect every member's response, in request order, then answer once.
    struct Collector {
        std::mutex mutex;
        std::vector<std::optional<std::string>> responses;
        std::size_t outstanding;
        std::function<void(std::optional<std::string>)> done;
    };
    auto collector = std::make_shared<Collector>();
    collector->responses.resize(batch.size());
    collector->outstanding = batch.size();
    collector->done = std::move(done);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        call_one(batch[i], ctx, [collector, i](std::optional<std::string> response) {
            bool last = false;
            {
                std::lock_guard lock(collector->mutex);
                collector->responses[i] = std::move(response);
                last = --collector->outstanding == 0;
            }
            if (!last) {
                return;
            }
            // The array Value::dump() would print: members joined by commas, no spaces. The
            // members' texts are freed here: a member's reply function (and so this collector)
            // may live on after the answer, e.g. in a waiting submission's timeout timer.
            std::vector<std::optional<std::string>> responses;
            responses.swap(collector->responses);
            std::string out;
            for (const auto& r : responses) {
                if (r) {
                    out += out.empty() ? '[' : ',';
                    out += *r;
                }
            }
            // The answer's function goes too: it holds the connection (its request and buffers).
            auto answer = std::move(collector->done);
            collector->done = nullptr;
            if (out.empty()) {
                answer(std::nullopt);  // every member was a notification
                return;
            }
            out += ']';
            answer(std::move(out));
        });
    }
}

std::optional<std::string> Dispatcher::refuse(std::string_view body, const RpcError& error) const {
    json::ParseLimits parse_limits;
    parse_limits.document_bytes_max = limits_.body_bytes_max;
    parse_limits.depth_max = limits_.depth_max;
    auto parsed = body.size() > limits_.body_bytes_max ? Result<Value>(Error(Errc::kLimit, "too large"))
                                                       : json::parse_strict(body, parse_limits);
    auto id_of = [](const Value& request) -> std::optional<Value> {
        if (!request.is_object()) {
            return Value(nullptr);
        }
        const auto it = request.find("id");
        if (it == request.end()) {
            return std::nullopt;  // a notification: never answered
        }
        if (it->is_string() || it->is_number_integer() || it->is_null()) {
            return *it;
        }
        return Value(nullptr);
    };
    counters_.requests++;
    counters_.errors++;
    if (!parsed || (parsed->is_array() && parsed->empty())) {
        return response_text(nullptr, error);
    }
    if (!parsed->is_array()) {
        auto id = id_of(*parsed);
        return id ? std::optional<std::string>(response_text(*id, error)) : std::nullopt;
    }
    Value out = Value::array();
    for (const auto& request : *parsed) {
        if (auto id = id_of(request)) {
            out.push_back(response_value(*id, error));
        }
    }
    return out.empty() ? std::nullopt : std::optional<std::string>(out.dump());
}

Value Dispatcher::openrpc(const std::string& title, const std::string& version) const {
    Value methods = Value::array();
    for (const auto& [name, entry] : methods_) {
        Value params = Value::array();
        for (const Param& p : entry.info.params.value_or(std::vector<Param>{})) {
            params.push_back(
                Value{{"name", p.name}, {"required", p.required}, {"schema", p.schema}});
        }
        methods.push_back(
            Value{{"name", name},
                  {"summary", entry.info.summary},
                  {"x-token-access", access_name(entry.info.access)},
                  {"x-auditor-access", auditor_access_name(entry.info.access)},
                  {"paramStructure", "by-name"},
                  {"params", params},
                  {"result", Value{{"name", "result"}, {"schema", entry.info.result_schema}}}});
        if (!entry.info.params) {
            // Not "takes none": the method takes any params object and checks it itself.
            methods.back()["x-params-undeclared"] = true;
        }
    }
    return Value{{"openrpc", "1.2.6"},
                 {"info", Value{{"title", title}, {"version", version}}},
                 {"methods", methods}};
}

}  // namespace jc::rpc
