// jointclear init --out DIR --validators N --banks A,B,C [--chain-id ID] [--base-port P]
//                 [--listen-host IP] [--advertise-host TEMPLATE] [--p2p-port P --rpc-port R]
//                 [--data-dir PATH]
//
// Writes a complete local consortium (API.md): the CA, per-node TLS keys and certificates and
// consensus keys, genesis.json, per-node config.json on 127.0.0.1 ports, and one signing key
// file per bank. Secrets are mode 0600. Refuses to touch an existing consortium.
// The host options place the nodes elsewhere than this machine's loopback, e.g. in containers
// that bind 0.0.0.0 and reach each other by name (ADR 0081, docs/operations.md).
#include "cli_util.h"
#include "init.h"

#include <CLI/CLI.hpp>

#include <jc/core/canonical_json.h>
#include <jc/core/file_util.h>
#include <jc/core/key_file.h>
#include <jc/ledger/genesis.h>
#include <jc/ledger/transaction.h>
#include <jc/p2p/tls_identity.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace jc::tools {
namespace {

// Free loopback ports, found by binding port 0; held until all are chosen so none repeats.
std::vector<std::uint16_t> free_ports(std::size_t count) {
    boost::asio::io_context io;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> held;
    std::vector<std::uint16_t> ports;
    for (std::size_t i = 0; i < count; ++i) {
        auto a = std::make_unique<boost::asio::ip::tcp::acceptor>(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        ports.push_back(a->local_endpoint().port());
        held.push_back(std::move(a));
    }
    return ports;
}

std::vector<std::string> split_banks(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream ss(list);
    std::string item;
    std::set<std::string> seen;
    while (std::getline(ss, item, ',')) {
        if (!ledger::check_bank_id(item)) {
            throw CliExit(kExitFailure, "--banks: \"" + item + "\" is not a bank_id (1-16 characters of [A-Z0-9_])");
        }
        if (!seen.insert(item).second) {
            throw CliExit(kExitFailure, "--banks lists " + item + " twice");
        }
        out.push_back(item);
    }
    if (out.empty()) {
        throw CliExit(kExitFailure, "--banks needs at least one bank id");
    }
    return out;
}

// The genesis host of validator `index`: the template with every "{i}" replaced by the index.
std::string advertise_host_of(const std::string& tmpl, std::size_t index) {
    std::string out;
    for (std::size_t p = 0; p < tmpl.size();) {
        if (tmpl.compare(p, 3, "{i}") == 0) {
            out += std::to_string(index);
            p += 3;
        } else {
            out += tmpl[p++];
        }
    }
    return out;
}

// Checks the host options together; they are easy to combine wrongly and a consortium whose
// genesis names unreachable peers only shows it when the nodes start.
void check_host_options(const InitOptions& o) {
    boost::system::error_code ec;
    const auto listen = boost::asio::ip::make_address(o.listen_host, ec);
    if (ec || !listen.is_v4()) {
        throw CliExit(kExitFailure, "--listen-host \"" + o.listen_host +
                                        "\" is not an IPv4 address (e.g. 127.0.0.1, or 0.0.0.0 in a container)");
    }
    if ((o.p2p_port == 0) != (o.rpc_port == 0)) {
        throw CliExit(kExitFailure, "--p2p-port and --rpc-port go together");
    }
    if (o.p2p_port != 0 && o.p2p_port == o.rpc_port) {
        throw CliExit(kExitFailure, "--p2p-port and --rpc-port must differ");
    }
    if (o.p2p_port != 0 && o.base_port != 0) {
        throw CliExit(kExitFailure, "--base-port and --p2p-port/--rpc-port exclude each other");
    }
    const bool per_node_host = o.advertise_host.find("{i}") != std::string::npos;
    if (o.p2p_port != 0 && o.validators > 1 && !per_node_host) {
        throw CliExit(kExitFailure, "--p2p-port gives every node the same port, so --advertise-host must name "
                                    "each node apart with {i} (e.g. node{i})");
    }
    if (listen.is_unspecified() && o.advertise_host.empty()) {
        throw CliExit(kExitFailure, "--listen-host 0.0.0.0 needs --advertise-host: the address peers dial");
    }
    if (o.data_dir.empty()) {
        throw CliExit(kExitFailure, "--data-dir must not be empty");
    }
}

// "IP:a.b.c.d" for an IP literal, "DNS:name" otherwise; {i} in a name is the validator index.
std::string subject_alt_name(const std::string& host) {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(host, ec);
    return (ec ? "DNS:" : "IP:") + host;
}

std::vector<std::string> rpc_names(const InitOptions& o, std::size_t i) {
    std::vector<std::string> hosts{"127.0.0.1", "localhost"};
    if (o.listen_host != "0.0.0.0") {
        hosts.push_back(o.listen_host);
    }
    if (!o.advertise_host.empty()) {
        hosts.push_back(advertise_host_of(o.advertise_host, i));
    }
    std::string extra = o.rpc_tls_names;
    while (!extra.empty()) {
        const auto comma = extra.find(',');
        std::string name = extra.substr(0, comma);
        extra = comma == std::string::npos ? "" : extra.substr(comma + 1);
        boost::system::error_code ec;
        (void)boost::asio::ip::make_address(name, ec);
        const bool dns_name = !name.empty() && name.size() <= 253 &&
                              name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-{}") ==
                                  std::string::npos;
        if (ec && !dns_name) {
            throw CliExit(kExitFailure, "--rpc-tls-names: \"" + name + "\" is not a host name or IP address");
        }
        hosts.push_back(advertise_host_of(name, i));
    }
    std::vector<std::string> sans;
    for (const auto& h : hosts) {
        const auto san = subject_alt_name(h);
        if (std::find(sans.begin(), sans.end(), san) == sans.end()) {
            sans.push_back(san);
        }
    }
    return sans;
}

}  // namespace

void init_consortium(const InitOptions& options, std::ostream& out) {
    const InitOptions* o = &options;
    must(ledger::check_chain_id(o->chain_id));
    const auto banks = split_banks(o->banks);
    if (o->validators < 1 || o->validators > 64) {
        throw CliExit(kExitFailure, "--validators must be 1-64");
    }
    if (o->base_port != 0 && o->base_port + 2 * o->validators - 1 > 65535) {
        throw CliExit(kExitFailure, "--base-port " + std::to_string(o->base_port) + " leaves no room for " +
                                        std::to_string(2 * o->validators) + " ports below 65536");
    }
    check_host_options(*o);
    const fs::path dir(o->out);
    std::error_code ec;
    if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))) {
        throw CliExit(kExitFailure, "refusing to overwrite: " + o->out + " exists and is not an empty directory");
    }
    fs::create_directories(dir / "banks", ec);
    if (ec) {
        throw CliExit(kExitFailure, "cannot create " + (dir / "banks").string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);

    std::vector<std::uint16_t> ports;
    if (o->p2p_port != 0) {
        for (std::size_t i = 0; i < o->validators; ++i) {
            ports.push_back(o->p2p_port);
            ports.push_back(o->rpc_port);
        }
    } else if (o->base_port != 0) {
        for (std::size_t i = 0; i < 2 * o->validators; ++i) {
            ports.push_back(static_cast<std::uint16_t>(o->base_port + i));
        }
    } else {
        ports = free_ports(2 * o->validators);
    }

    const auto ca = must(p2p::make_ca({.common_name = o->chain_id + " consortium CA", .serial = 1}));
    must(file::write_file_atomic((dir / "ca.crt").string(), ca.certificate_pem, 0644, file::Overwrite::kRefuse));
    must(file::write_file_atomic((dir / "ca.key").string(), ca.private_key_pem, 0600, file::Overwrite::kRefuse));

    json::Value validators = json::Value::array();
    for (std::size_t i = 0; i < o->validators; ++i) {
        const fs::path node = dir / ("node" + std::to_string(i));
        fs::create_directories(node, ec);
        if (ec) {
            throw CliExit(kExitFailure, "cannot create " + node.string() + ": " + ec.message());
        }
        const auto tls = must(p2p::issue_certificate(
            ca, {.common_name = "node" + std::to_string(i), .serial = 100 + i}));
        must(file::write_file_atomic((node / "tls.crt").string(), tls.certificate_pem, 0644, file::Overwrite::kRefuse));
        must(file::write_file_atomic((node / "tls.key").string(), tls.private_key_pem, 0600, file::Overwrite::kRefuse));
        const auto consensus_key = must(crypto::SecretKey::generate());
        must(crypto::write_key_file((node / "consensus_key.json").string(), consensus_key));
        const std::string advertised =
            o->advertise_host.empty() ? std::string("127.0.0.1") : advertise_host_of(o->advertise_host, i);
        const std::string p2p_address = advertised + ":" + std::to_string(ports[2 * i]);
        const std::string p2p_listen = o->listen_host + ":" + std::to_string(ports[2 * i]);
        const std::string rpc_address = o->listen_host + ":" + std::to_string(ports[2 * i + 1]);
        json::Value rpc{{"listen", rpc_address}};
        if (o->rpc_tls) {
            const auto rpc_tls = must(p2p::issue_certificate(
                ca, {.common_name = "node" + std::to_string(i) + " RPC",
                     .serial = 1000 + i,
                     .subject_alt_names = rpc_names(*o, i)}));
            must(file::write_file_atomic((node / "rpc_tls.crt").string(), rpc_tls.certificate_pem, 0644,
                                         file::Overwrite::kRefuse));
            must(file::write_file_atomic((node / "rpc_tls.key").string(), rpc_tls.private_key_pem, 0600,
                                         file::Overwrite::kRefuse));
            rpc["tls"] = json::Value{{"cert", "rpc_tls.crt"}, {"key", "rpc_tls.key"}};
        }
        validators.push_back(json::Value{{"index", i},
                                         {"name", "node" + std::to_string(i)},
                                         {"consensus_key", consensus_key.public_key().hex()},
                                         {"tls_key", must(p2p::certificate_identity(tls.certificate_pem)).hex()},
                                         {"address", p2p_address},
                                         {"weight", 1}});
        const json::Value config{{"node", "node" + std::to_string(i)},
                                 {"validator_index", i},
                                 {"genesis", "../genesis.json"},
                                 {"data_dir", o->data_dir},
                                 {"consensus_key", "consensus_key.json"},
                                 {"p2p", json::Value{{"listen", p2p_listen},
                                                     {"ca_cert", "../ca.crt"},
                                                     {"cert", "tls.crt"},
                                                     {"key", "tls.key"}}},
                                 {"rpc", rpc}};
        must(file::write_file_atomic((node / "config.json").string(), config.dump(2) + "\n", 0644,
                                     file::Overwrite::kRefuse));
    }

    json::Value members = json::Value::array();
    for (std::size_t b = 0; b < banks.size(); ++b) {
        const auto key = must(crypto::SecretKey::generate());
        must(crypto::write_key_file((dir / "banks" / (banks[b] + ".json")).string(), key, {{"bank_id", banks[b]}}));
        std::string cnaps = std::to_string(b + 1);
        cnaps = "10" + std::string(10 - cnaps.size(), '0') + cnaps;
        members.push_back(json::Value{{"bank_id", banks[b]},
                                      {"name", banks[b]},
                                      {"cnaps_code", cnaps},
                                      {"keys", json::Value::array({key.public_key().hex()})},
                                      {"roles", json::Value::array({"SERVICER", "FUNDER"})},
                                      {"status", "ACTIVE"}});
    }
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const json::Value genesis{{"chain_id", o->chain_id},
                              {"genesis_time_ms", now_ms},
                              {"validators", validators},
                              {"members", members},
                              // A new chain writes its records in the latest version (ADR 0175).
                              {"params", json::Value{{"record_version", 2}}}};
    // Validate with the node's own parser before anyone starts a node on it.
    const auto parsed = must(ledger::Genesis::from_value(genesis));
    must(file::write_file_atomic((dir / "genesis.json").string(), genesis.dump(2) + "\n", 0644,
                                 file::Overwrite::kRefuse));
    out << "consortium " << o->chain_id << " in " << o->out << "\n"
        << "  genesis " << parsed.hash().hex() << "\n"
        << "  validators " << o->validators << ", banks " << o->banks << "\n";
    for (std::size_t i = 0; i < o->validators; ++i) {
        out << "  node" << i << "  rpc " << (o->rpc_tls ? "https://" : "http://") << o->listen_host << ":" << ports[2 * i + 1];
        if (!o->advertise_host.empty()) {
            out << "  p2p " << advertise_host_of(o->advertise_host, i) << ":" << ports[2 * i];
        }
        out << "\n";
    }
}

void add_init(CLI::App& app) {
    auto o = std::make_shared<InitOptions>();
    CLI::App* cmd = app.add_subcommand("init", "Generate a complete local consortium (keys, certificates, genesis, configs)");
    cmd->add_option("--out", o->out, "Directory to create (must not exist or be empty)")->required();
    cmd->add_option("--validators", o->validators, "Number of validators")->check(CLI::Range(1, 64));
    cmd->add_option("--banks", o->banks, "Comma-separated member bank ids");
    cmd->add_option("--chain-id", o->chain_id, "Chain id");
    cmd->add_flag("--rpc-tls", o->rpc_tls,
                  "Serve RPC over TLS 1.3 (https/wss): issue each node an RPC certificate from the consortium CA");
    cmd->add_option("--rpc-tls-names", o->rpc_tls_names,
                    "With --rpc-tls: extra host names or IPs for the RPC certificates, comma-separated ({i} = index)");
    cmd->add_option("--base-port", o->base_port, "First port (p2p = P+2i, rpc = P+2i+1); default: free ports");
    cmd->add_option("--listen-host", o->listen_host,
                    "IPv4 address every node binds p2p and RPC on (0.0.0.0 in a container)");
    cmd->add_option("--advertise-host", o->advertise_host,
                    "Host peers dial, written into genesis; {i} becomes the validator index (e.g. node{i})");
    cmd->add_option("--p2p-port", o->p2p_port, "Same p2p port on every node (needs --rpc-port and {i} in --advertise-host)")
        ->check(CLI::Range(1, 65535));
    cmd->add_option("--rpc-port", o->rpc_port, "Same RPC port on every node (needs --p2p-port)")->check(CLI::Range(1, 65535));
    cmd->add_option("--data-dir", o->data_dir, "data_dir written into every config (relative: to the node directory)");
    cmd->callback([o] { init_consortium(*o, std::cout); });
}

}  // namespace jc::tools
