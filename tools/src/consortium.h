// A local consortium directory as `jointclear init` writes it (API.md):
//
//   DIR/genesis.json, DIR/ca.crt, DIR/banks/<BANK>.json,
//   DIR/<node>/config.json (+ tls.*, consensus_key.json), node data in DIR/<node>/data.
//
// Loading checks the genesis with the node's own parser and reads each validator's config with
// the daemon's own loader, so the CLI and the daemon never disagree about ports or paths. The
// cluster commands keep their run-time files next to the config: <node>/jointcleard.pid and
// <node>/node.log.
//
// Thread-safety: plain values.
#pragma once

#include "http_client.h"

#include <jc/core/key_file.h>
#include <jc/ledger/genesis.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jc::tools {

struct ConsortiumNode {
    std::size_t index = 0;
    std::string name;         // directory name, e.g. "node2"
    std::string dir;          // DIR/node2
    std::string config_path;  // DIR/node2/config.json
    std::string data_dir;     // as resolved from the config
    Endpoint rpc;
    [[nodiscard]] std::string pid_path() const { return dir + "/jointcleard.pid"; }
    [[nodiscard]] std::string log_path() const { return dir + "/node.log"; }
};

class Consortium {
public:
    // Loads DIR. Errors name the missing or malformed file ("no consortium at X: ...").
    static Result<Consortium> load(const std::string& dir);

    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] const ledger::Genesis& genesis() const { return *genesis_; }
    [[nodiscard]] const std::string& chain_id() const { return genesis_->chain_id(); }
    [[nodiscard]] const std::vector<ConsortiumNode>& nodes() const { return nodes_; }

    // NODE as API.md allows it: a 0-based index ("2") or the node's directory name ("node2").
    Result<const ConsortiumNode*> find_node(const std::string& which) const;

    // The same consortium seen through a subset of its validators (NODE as find_node takes it,
    // each at most once, order kept): for commands that must leave some validators alone, e.g. a
    // bench while one validator is stopped. Errors name an unknown or repeated node.
    Result<Consortium> only(const std::vector<std::string>& which) const;

    // The signing key of `bank_id` from DIR/banks/<bank_id>.json (mode 0600 checked).
    Result<crypto::KeyFile> bank_key(const std::string& bank_id) const;
    [[nodiscard]] std::vector<std::string> bank_ids() const;

private:
    std::string dir_;
    std::shared_ptr<const ledger::Genesis> genesis_;
    std::vector<ConsortiumNode> nodes_;
};

}  // namespace jc::tools
