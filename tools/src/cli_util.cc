#include "cli_util.h"

#include <jc/core/file_util.h>

#include <iostream>
#include <iterator>

namespace jc::tools {

json::Value parse_json_arg(const std::string& text, const std::string& what) {
    auto v = json::parse_strict(text);
    if (!v) {
        throw CliExit(kExitFailure, what + ": not valid JSON: " + v.error().message());
    }
    return std::move(*v);
}

json::Value read_json_file(const std::string& path, const std::string& what, std::size_t size_max) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        if (text.size() > size_max) {
            throw CliExit(kExitFailure, what + ": standard input exceeds " + std::to_string(size_max) + " bytes");
        }
    } else {
        auto content = file::read_all(path, size_max);
        if (!content) {
            throw CliExit(kExitFailure, what + ": " + content.error().message());
        }
        text = std::move(*content);
    }
    // Tolerate trailing newlines, as left by shells and editors.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return parse_json_arg(text, what + " " + path);
}

json::Value call_or_exit(RpcClient& client, const std::string& method, const json::Value& params,
                         std::optional<std::chrono::milliseconds> timeout) {
    auto reply = client.call(method, params, timeout);
    if (!reply) {
        throw CliExit(kExitUnreachable, method + ": " + reply.error().message());
    }
    if (!reply->ok()) {
        throw CliExit(kExitRpcError, method + " at " + client.endpoint().url() + ": " + reply->error->to_string());
    }
    return std::move(reply->result);
}

std::string read_token_or_exit(const std::string& path) {
    auto text = file::read_all(path, 4096);
    if (!text) {
        throw CliExit(kExitFailure, "--token-file " + text.error().message());
    }
    std::string token = std::move(*text);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
        throw CliExit(kExitFailure, "--token-file " + path + ": expected one token on one line");
    }
    return token;
}

Endpoint endpoint_or_exit(const std::string& url, const std::string& what) {
    auto e = parse_http_url(url);
    if (!e) {
        throw CliExit(kExitFailure, what + " " + e.error().message());
    }
    return std::move(*e);
}

}  // namespace jc::tools
