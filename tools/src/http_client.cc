#include "http_client.h"

namespace jc::tools {

Result<Endpoint> parse_http_url(std::string_view url) {
    const std::string original(url);
    bool tls = false;
    if (url.rfind("https://", 0) == 0) {
        tls = true;
        url.remove_prefix(8);
    } else if (url.rfind("http://", 0) == 0) {
        url.remove_prefix(7);
    } else if (url.find("://") != std::string_view::npos) {
        return Error(Errc::kInvalidArgument, "\"" + original + "\": expected http://HOST:PORT or https://HOST:PORT");
    }
    if (!url.empty() && url.back() == '/') {
        url.remove_suffix(1);
    }
    const auto colon = url.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == url.size()) {
        return Error(Errc::kInvalidArgument, "\"" + original + "\": expected http://HOST:PORT");
    }
    Endpoint e{std::string(url.substr(0, colon)), std::string(url.substr(colon + 1)), tls, {}, {}};
    if (e.port.size() > 5 || e.port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(e.port) == 0 || std::stoul(e.port) > 65535) {
        return Error(Errc::kInvalidArgument, "\"" + original + "\": port must be 1-65535");
    }
    if (e.host.find_first_of("/?#@ ") != std::string::npos) {
        return Error(Errc::kInvalidArgument, "\"" + original + "\": expected http://HOST:PORT without a path");
    }
    return e;
}


std::string RpcErrorInfo::to_string() const {
    std::string s = std::to_string(code) + " " + message;
    if (data.is_object()) {
        if (auto it = data.find("detail"); it != data.end() && it->is_string()) {
            s += ": " + it->get<std::string>();
        } else if (auto r = data.find("reason"); r != data.end() && r->is_string()) {
            s += " (" + r->get<std::string>() + ")";
        }
        if (auto r = data.find("reason"); r != data.end() && r->is_string() && data.contains("detail")) {
            s += " [" + r->get<std::string>() + "]";
        }
    }
    return s;
}

std::string RpcErrorInfo::reason() const {
    if (data.is_object()) {
        if (auto r = data.find("reason"); r != data.end() && r->is_string()) {
            return r->get<std::string>();
        }
    }
    return "";
}

Result<RpcReply> decode_rpc_reply(const json::Value& response) {
    if (!response.is_object() || response.value("jsonrpc", "") != "2.0") {
        return Error(Errc::kParse, "not a JSON-RPC 2.0 response: " + response.dump().substr(0, 200));
    }
    RpcReply reply;
    if (auto e = response.find("error"); e != response.end()) {
        if (!e->is_object() || !e->contains("code") || !(*e)["code"].is_number_integer()) {
            return Error(Errc::kParse, "malformed JSON-RPC error: " + e->dump().substr(0, 200));
        }
        RpcErrorInfo info;
        info.code = (*e)["code"].get<std::int64_t>();
        info.message = e->value("message", "");
        info.data = e->value("data", json::Value());
        reply.error = std::move(info);
        return reply;
    }
    if (auto r = response.find("result"); r != response.end()) {
        reply.result = *r;
        return reply;
    }
    return Error(Errc::kParse, "JSON-RPC response has neither result nor error");
}

json::Value rpc_request(std::int64_t id, const std::string& method, const json::Value& params) {
    return json::Value{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

}  // namespace jc::tools
