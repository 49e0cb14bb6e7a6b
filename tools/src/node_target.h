// NodeTarget: how an RPC-using subcommand names the node it talks to, either `--rpc URL` or
// `--cluster DIR [--node N]` (the node's RPC address read from the consortium).
//
// Thread-safety: a plain value, filled by CLI11.
#pragma once

#include "cli_util.h"
#include "consortium.h"

#include <string>

namespace jc::tools {

// The node an RPC-using command talks to: --rpc URL, or --cluster DIR with --node (default 0).
struct NodeTarget {
    std::string rpc;
    std::string cluster;
    std::string node = "0";

    void add_options(CLI::App* cmd) {
        cmd->add_option("--rpc", rpc, "Node RPC URL, e.g. http://127.0.0.1:8001");
        cmd->add_option("--cluster", cluster, "Consortium directory; talk to --node of it");
        cmd->add_option("--node", node, "With --cluster: node index or name (default 0)");
    }
    [[nodiscard]] Endpoint endpoint() const {
        if (!rpc.empty() && !cluster.empty()) {
            throw CliExit(kExitFailure, "give --rpc or --cluster, not both");
        }
        if (!rpc.empty()) {
            return endpoint_or_exit(rpc);
        }
        if (cluster.empty()) {
            throw CliExit(kExitFailure, "--rpc URL or --cluster DIR is required");
        }
        const auto c = must(Consortium::load(cluster));
        return must(c.find_node(node))->rpc;
    }
};

}  // namespace jc::tools
