// NodeTarget: how an RPC-using subcommand names the node it talks to, either `--rpc URL` or
// `--cluster DIR [--node N]` (the node's RPC address read from the consortium), with
// `--cacert FILE` for an https server (a consortium's own CA is used by default with --cluster)
// and `--token-file FILE` for a bearer token (else JOINTCLEAR_RPC_TOKEN).
//
// Thread-safety: a plain value, filled by CLI11.
#pragma once

#include "cli_util.h"
#include "consortium.h"

#include <CLI/CLI.hpp>

#include <string>

namespace jc::tools {

// The node an RPC-using command talks to: --rpc URL, or --cluster DIR with --node (default 0).
struct NodeTarget {
    std::string rpc;
    std::string cluster;
    std::string node = "0";
    std::string cacert;
    std::string token_file;

    void add_options(CLI::App* cmd) {
        cmd->add_option("--rpc", rpc, "Node RPC URL, e.g. http://127.0.0.1:8001");
        cmd->add_option("--cluster", cluster, "Consortium directory; talk to --node of it");
        cmd->add_option("--node", node, "With --cluster: node index or name (default 0)");
        cmd->add_option("--cacert", cacert, "https: CA certificate (PEM) that verifies the node's RPC certificate");
        cmd->add_option("--token-file", token_file,
                        "File holding the RPC bearer token (default: $JOINTCLEAR_RPC_TOKEN, if set)");
    }
    [[nodiscard]] Endpoint endpoint() const {
        if (!rpc.empty() && !cluster.empty()) {
            throw CliExit(kExitFailure, "give --rpc or --cluster, not both");
        }
        Endpoint e;
        if (!rpc.empty()) {
            e = endpoint_or_exit(rpc);
        } else if (cluster.empty()) {
            throw CliExit(kExitFailure, "--rpc URL or --cluster DIR is required");
        } else {
            const auto c = must(Consortium::load(cluster));
            e = must(c.find_node(node))->rpc;
        }
        if (!cacert.empty()) {
            if (!e.tls) {
                throw CliExit(kExitFailure, "--cacert is for an https:// node; " + e.url() + " is plain http");
            }
            e.ca_file = cacert;
        }
        if (!token_file.empty()) {
            e.token = read_token_or_exit(token_file);
        }
        return e;
    }
};

}  // namespace jc::tools
