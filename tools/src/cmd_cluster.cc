// jointclear cluster up|down|status DIR, jointclear cluster stop|start|kill DIR NODE (API.md).
#include "cli_util.h"
#include "cluster.h"
#include "process.h"
#include "table.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <memory>

namespace jc::tools {
namespace {

using std::chrono::milliseconds;

// One node's row of `cluster status`: process state plus what its RPC says.
json::Value node_status(const ConsortiumNode& n) {
    json::Value row{{"node", n.name}, {"index", n.index}, {"rpc", n.rpc.url()}, {"log", n.log_path()}};
    const auto pid = running_pid(n);
    row["pid"] = pid ? json::Value(*pid) : json::Value(nullptr);
    row["running"] = pid.has_value();
    if (!pid) {
        row["state"] = "stopped";
        return row;
    }
    RpcClient client(n.rpc, milliseconds(1500));
    auto reply = client.call("getNodeStatus");
    if (!reply || !reply->ok()) {
        row["state"] = "not answering";
        row["error"] = reply ? reply->error->to_string() : reply.error().message();
        return row;
    }
    const json::Value& s = reply->result;
    std::size_t connected = 0;
    for (const auto& p : s.value("peers", json::Value::array())) {
        connected += p.value("connected", false) ? 1u : 0u;
    }
    row["height"] = s.value("height", 0);
    row["view"] = s.value("view", 0);
    row["primary"] = s.value("primary", 0);
    row["peers_connected"] = connected;
    row["peers_total"] = s.value("peers", json::Value::array()).size();
    row["pool_txs"] = s.value("pool", json::Value::object()).value("count", 0);
    row["pool_bytes"] = s.value("pool", json::Value::object()).value("bytes", 0);
    row["syncing"] = s.value("syncing", false);
    auto ready = client.get("/readyz");
    row["ready"] = ready && ready->status == 200;
    row["state"] = row["ready"].get<bool>() ? "ready" : (row["syncing"].get<bool>() ? "syncing" : "not ready");
    return row;
}

std::string cell(const json::Value& row, const char* key) {
    if (!row.contains(key) || row[key].is_null()) {
        return "-";
    }
    return row[key].is_string() ? row[key].get<std::string>() : row[key].dump();
}

void print_status(const Consortium& c, bool as_json) {
    json::Value nodes = json::Value::array();
    for (const auto& n : c.nodes()) {
        nodes.push_back(node_status(n));
    }
    if (as_json) {
        std::cout << json::Value{{"chain_id", c.chain_id()}, {"dir", c.dir()}, {"nodes", nodes}}.dump() << "\n";
        return;
    }
    using A = Table::Align;
    Table t({{"NODE"}, {"PID", A::kRight}, {"STATE"}, {"RPC"}, {"HEIGHT", A::kRight}, {"VIEW", A::kRight},
             {"PRIMARY", A::kRight}, {"PEERS", A::kRight}, {"POOL", A::kRight}});
    for (const auto& r : nodes) {
        const std::string peers = r.contains("peers_total")
                                      ? cell(r, "peers_connected") + "/" + cell(r, "peers_total")
                                      : "-";
        t.row({cell(r, "node"), cell(r, "pid"), cell(r, "state"), cell(r, "rpc"), cell(r, "height"), cell(r, "view"),
               cell(r, "primary"), peers, cell(r, "pool_txs")});
    }
    std::cout << "consortium " << c.chain_id() << " in " << c.dir() << "\n";
    t.print(std::cout);
    for (const auto& r : nodes) {
        if (r.contains("error")) {
            std::cout << "  " << cell(r, "node") << ": " << cell(r, "error") << "\n";
        }
    }
}

}  // namespace

void add_cluster(CLI::App& app) {
    CLI::App* cluster = app.add_subcommand("cluster", "Run a consortium's validators as local background processes");
    cluster->require_subcommand(1);

    struct Options {
        std::string dir;
        std::string node;
        std::string daemon;
        unsigned timeout_s = 30;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto options = [o] {
        ClusterOptions co;
        co.daemon = o->daemon;
        co.ready_timeout = std::chrono::seconds(o->timeout_s);
        co.stop_timeout = std::chrono::seconds(o->timeout_s);
        return co;
    };
    auto add_dir = [o](CLI::App* cmd) { cmd->add_option("dir", o->dir, "Consortium directory (from jointclear init)")->required(); };
    auto add_node = [o](CLI::App* cmd) {
        cmd->add_option("node", o->node, "Node index (0-based) or directory name, e.g. 2 or node2")->required();
    };
    auto add_daemon = [o](CLI::App* cmd) {
        cmd->add_option("--jointcleard", o->daemon, "jointcleard binary (default: next to jointclear, or $JOINTCLEARD)");
    };
    auto add_timeout = [o](CLI::App* cmd, const char* what) {
        cmd->add_option("--timeout", o->timeout_s, what)->check(CLI::Range(1u, 3600u));
    };

    CLI::App* up = cluster->add_subcommand("up", "Start every validator and wait until all are ready");
    add_dir(up);
    add_daemon(up);
    add_timeout(up, "Seconds to wait for readiness (default 30)");
    up->callback([o, options] {
        const auto c = must(Consortium::load(o->dir));
        cluster_up(c, options(), std::cout);
    });

    CLI::App* down = cluster->add_subcommand("down", "Stop every validator (SIGTERM, then SIGKILL after the timeout)");
    add_dir(down);
    add_timeout(down, "Seconds to wait for a clean exit before SIGKILL (default 30)");
    down->callback([o, options] {
        const auto c = must(Consortium::load(o->dir));
        cluster_down(c, options(), std::cout);
    });

    CLI::App* status = cluster->add_subcommand("status", "Height, view, primary, peers and pool of every validator");
    add_dir(status);
    status->add_flag("--json", o->json, "One JSON object instead of the table");
    status->callback([o] { print_status(must(Consortium::load(o->dir)), o->json); });

    CLI::App* stop = cluster->add_subcommand("stop", "Stop one validator cleanly (SIGTERM)");
    add_dir(stop);
    add_node(stop);
    add_timeout(stop, "Seconds to wait before SIGKILL (default 30)");
    stop->callback([o] {
        const auto c = must(Consortium::load(o->dir));
        const auto* n = must(c.find_node(o->node));
        if (!stop_node(*n, SIGTERM, std::chrono::seconds(o->timeout_s), std::cout)) {
            std::cout << "  " << n->name << "  was not running\n";
        }
    });

    CLI::App* kill = cluster->add_subcommand("kill", "Kill one validator abruptly (SIGKILL), as a crash would");
    add_dir(kill);
    add_node(kill);
    kill->callback([o] {
        const auto c = must(Consortium::load(o->dir));
        const auto* n = must(c.find_node(o->node));
        if (!stop_node(*n, SIGKILL, std::chrono::seconds(10), std::cout)) {
            std::cout << "  " << n->name << "  was not running\n";
        }
    });

    CLI::App* start = cluster->add_subcommand("start", "Start one validator and wait until it answers");
    add_dir(start);
    add_node(start);
    add_daemon(start);
    add_timeout(start, "Seconds to wait until it answers (default 30)");
    start->callback([o] {
        const auto c = must(Consortium::load(o->dir));
        const auto* n = must(c.find_node(o->node));
        const bool was_running = running_pid(*n).has_value();
        const pid_t pid = start_node(*n, must(proc::find_daemon(o->daemon)));
        // A lone restarted node answers at once but is ready only once it reaches a quorum and
        // has caught up; wait for it to answer, then say which.
        wait_ready({n}, std::chrono::seconds(o->timeout_s), /*health_only=*/true);
        RpcClient client(n->rpc, milliseconds(1500));
        auto ready = client.get("/readyz");
        std::cout << "  " << n->name << "  " << (was_running ? "already running" : "started") << " (pid " << pid
                  << "), rpc " << n->rpc.url() << ", "
                  << (ready && ready->status == 200 ? "ready" : "answering, not ready yet (catching up or no quorum)")
                  << "\n";
    });
}

}  // namespace jc::tools
