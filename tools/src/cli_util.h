// Small helpers shared by the jointclear subcommands: turning Status/Result failures into the
// one-line CliExit, reading JSON arguments and files strictly, and the exit codes every
// subcommand uses (documented in README.md "CLI").
//
// Thread-safety: free functions; no shared state.
#pragma once

#include "commands.h"
#include "http_client.h"

#include <jc/core/canonical_json.h>
#include <jc/core/error.h>

#include <chrono>
#include <optional>
#include <string>

namespace jc::tools {

// Exit codes. Scripts rely on them; never renumber.
inline constexpr int kExitFailure = 1;      // bad input, missing file, failed check
inline constexpr int kExitUsage = 2;        // command-line syntax (CLI11 parse errors)
inline constexpr int kExitRejected = 3;     // a transaction was recorded but REJECTED
inline constexpr int kExitUnreachable = 4;  // a node did not answer (connect, timeout, HTTP)
inline constexpr int kExitRpcError = 5;     // the node answered with a JSON-RPC error

inline void must(const Status& s, const std::string& context = "") {
    if (!s) {
        throw CliExit(kExitFailure, (context.empty() ? "" : context + ": ") + s.error().message());
    }
}

template <typename T>
T must(Result<T> r, const std::string& context = "") {
    if (!r) {
        throw CliExit(kExitFailure, (context.empty() ? "" : context + ": ") + r.error().message());
    }
    return std::move(*r);
}

// Parses a JSON argument given on the command line; `what` names it in the error
// ("--body: expected ',' ...").
json::Value parse_json_arg(const std::string& text, const std::string& what);

// Reads a JSON file (or standard input for "-") of at most `size_max` bytes.
json::Value read_json_file(const std::string& path, const std::string& what, std::size_t size_max = 1 << 20);

// Calls `method` and returns its result. A transport failure ends the program with
// kExitUnreachable, a JSON-RPC error with kExitRpcError; both print one line naming the method.
json::Value call_or_exit(RpcClient& client, const std::string& method, const json::Value& params = json::Value::object(),
                         std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// An http://HOST:PORT argument, or exit with a one-line error naming `what`.
Endpoint endpoint_or_exit(const std::string& url, const std::string& what = "--rpc");
// The bearer token in `path` (one line; surrounding newline trimmed).
std::string read_token_or_exit(const std::string& path);

}  // namespace jc::tools
