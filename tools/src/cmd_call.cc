// jointclear call (--rpc URL | --cluster DIR [--node N]) METHOD [PARAMS_JSON] [--json]
//
// Calls any JSON-RPC method and prints its result: indented JSON by default, one compact line
// with --json. A JSON-RPC error prints one line and exits 5; an unreachable node exits 4.
#include "cli_util.h"
#include "node_target.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace jc::tools {

void add_call(CLI::App& app) {
    struct Options {
        NodeTarget target;
        std::string method;
        std::string params;
        unsigned timeout_ms = 30'000;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("call", "Call any JSON-RPC method (rpc.discover lists them)");
    o->target.add_options(cmd);
    cmd->add_option("method", o->method, "Method name, e.g. getLoan")->required();
    cmd->add_option("params", o->params, "Params as a JSON object (default {})");
    cmd->add_option("--timeout-ms", o->timeout_ms, "Request timeout (default 30000)")->check(CLI::Range(1u, 600'000u));
    cmd->add_flag("--json", o->json, "Print the result as one compact JSON line");
    cmd->callback([o] {
        const json::Value params = o->params.empty() ? json::Value::object() : parse_json_arg(o->params, "params");
        RpcClient client(o->target.endpoint(), std::chrono::milliseconds(o->timeout_ms));
        const json::Value result = call_or_exit(client, o->method, params);
        std::cout << (o->json ? result.dump() : result.dump(2)) << "\n";
    });
}

}  // namespace jc::tools
