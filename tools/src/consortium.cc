#include "consortium.h"

#include <jc/core/file_util.h>
#include <jc/node/config.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace jc::tools {

Result<Consortium> Consortium::load(const std::string& dir) {
    const fs::path root(dir);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        return Error(Errc::kNotFound, "no consortium at " + dir + ": not a directory (create one with jointclear init)");
    }
    auto text = file::read_all((root / "genesis.json").string());
    if (!text) {
        return Error(Errc::kNotFound, "no consortium at " + dir + ": " + text.error().message());
    }
    auto genesis = ledger::Genesis::parse(*text);
    if (!genesis) {
        return genesis.error().with_context((root / "genesis.json").string());
    }
    Consortium c;
    c.dir_ = dir;
    c.genesis_ = std::make_shared<const ledger::Genesis>(std::move(*genesis));
    for (const auto& v : c.genesis_->validators()) {
        ConsortiumNode n;
        n.index = v.index;
        n.name = v.name;
        if (n.name.empty() || n.name.find('/') != std::string::npos || n.name == "." || n.name == "..") {
            return Error(Errc::kInvalidArgument, "genesis validator " + std::to_string(v.index) +
                                                     " has a name that is not a directory name");
        }
        n.dir = (root / n.name).string();
        n.config_path = (root / n.name / "config.json").string();
        auto config = node::load_config(n.config_path);
        if (!config) {
            return config.error().with_context(n.config_path);
        }
        if (config->validator_index != v.index) {
            return Error(Errc::kInvalidArgument, n.config_path + ": validator_index " +
                                                     std::to_string(config->validator_index) + " but genesis lists it as " +
                                                     std::to_string(v.index));
        }
        n.data_dir = config->data_dir;
        std::string listen = config->rpc.listen;
        // A wildcard listen address is reached on loopback from this machine.
        if (listen.rfind("0.0.0.0:", 0) == 0) {
            listen = "127.0.0.1:" + listen.substr(8);
        }
        auto endpoint = parse_http_url((config->rpc.tls.enabled() ? "https://" : "http://") + listen);
        if (!endpoint) {
            return endpoint.error().with_context(n.config_path + ": rpc.listen");
        }
        if (config->rpc.tls.enabled()) {
            // `jointclear init --rpc-tls` issues the RPC certificates from the consortium CA.
            endpoint->ca_file = (root / "ca.crt").string();
        }
        n.rpc = std::move(*endpoint);
        c.nodes_.push_back(std::move(n));
    }
    std::sort(c.nodes_.begin(), c.nodes_.end(),
              [](const ConsortiumNode& a, const ConsortiumNode& b) { return a.index < b.index; });
    return c;
}

Result<const ConsortiumNode*> Consortium::find_node(const std::string& which) const {
    for (const auto& n : nodes_) {
        if (n.name == which || (!which.empty() && which.find_first_not_of("0123456789") == std::string::npos &&
                                which.size() <= 3 && std::stoul(which) == n.index)) {
            return &n;
        }
    }
    std::string names;
    for (const auto& n : nodes_) {
        names += (names.empty() ? "" : ", ") + n.name;
    }
    return Error(Errc::kNotFound, "no node \"" + which + "\" in " + dir_ + " (give an index 0-" +
                                      std::to_string(nodes_.empty() ? 0 : nodes_.size() - 1) + " or one of " + names + ")");
}

Result<Consortium> Consortium::only(const std::vector<std::string>& which) const {
    Consortium out = *this;
    out.nodes_.clear();
    for (const auto& w : which) {
        auto n = find_node(w);
        if (!n) {
            return n.error();
        }
        for (const auto& taken : out.nodes_) {
            if (taken.index == (*n)->index) {
                return Error(Errc::kInvalidArgument, "node " + (*n)->name + " is named twice");
            }
        }
        out.nodes_.push_back(**n);
    }
    if (out.nodes_.empty()) {
        return Error(Errc::kInvalidArgument, "no node named");
    }
    return out;
}

Result<crypto::KeyFile> Consortium::bank_key(const std::string& bank_id) const {
    if (genesis_->find_member(bank_id) == nullptr) {
        return Error(Errc::kNotFound, "bank " + bank_id + " is not a member of " + chain_id());
    }
    const std::string path = (fs::path(dir_) / "banks" / (bank_id + ".json")).string();
    auto key = crypto::load_key_file(path);
    if (!key) {
        return key.error().with_context(path);
    }
    const auto* member = genesis_->find_member(bank_id);
    if (!member->has_key(key->public_key)) {
        return Error(Errc::kInvalidArgument, path + ": key " + key->public_key.hex() +
                                                 " is not registered to " + bank_id + " in genesis");
    }
    return key;
}

std::vector<std::string> Consortium::bank_ids() const {
    std::vector<std::string> out;
    for (const auto& m : genesis_->members()) {
        out.push_back(m.bank_id);
    }
    return out;
}

}  // namespace jc::tools
