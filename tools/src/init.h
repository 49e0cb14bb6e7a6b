// `jointclear init` as a function, so the demo can create a fresh consortium the same way.
//
// Thread-safety: call from one thread.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace jc::tools {

struct InitOptions {
    std::string out;
    std::size_t validators = 4;
    std::string banks = "WEBANK,HUARUI,BANKC";
    std::string chain_id = "jointclear-local";
    std::uint16_t base_port = 0;
    // Where the nodes run (docs/operations.md, ADR 0081). By default every node is on this
    // machine's loopback. For containers: listen_host "0.0.0.0", advertise_host "node{i}" ({i}
    // becomes the validator index) and the same p2p_port/rpc_port on every node.
    std::string listen_host = "127.0.0.1";  // IP literal the node binds p2p and RPC on
    std::string advertise_host;             // genesis address host; empty: 127.0.0.1
    std::uint16_t p2p_port = 0;             // with rpc_port: fixed ports on every node
    std::uint16_t rpc_port = 0;
    std::string data_dir = "data";  // written into each config; relative to the node directory
    // RPC over TLS (ADR 0094): each node gets rpc_tls.crt/.key issued by the consortium CA, for
    // 127.0.0.1, localhost, the listen and advertised hosts, and rpc_tls_names (comma list of
    // extra host names or IP addresses remote banks use), and its config gets rpc.tls.
    bool rpc_tls = false;
    std::string rpc_tls_names;
};

// Writes the consortium under options.out (refusing a non-empty directory) and prints a summary
// to `out`. Failures end the command with CliExit.
void init_consortium(const InitOptions& options, std::ostream& out);

}  // namespace jc::tools
