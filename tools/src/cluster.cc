#include "cluster.h"

#include "cli_util.h"
#include "process.h"

#include <csignal>
#include <filesystem>
#include <map>
#include <thread>

namespace fs = std::filesystem;

namespace jc::tools {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string absolute_config(const ConsortiumNode& node) {
    return fs::absolute(node.config_path).lexically_normal().string();
}

std::string seconds(Clock::duration d) {
    const auto ms = std::chrono::duration_cast<milliseconds>(d).count();
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

}  // namespace

std::optional<pid_t> running_pid(const ConsortiumNode& node) {
    const auto pid = proc::read_pid_file(node.pid_path());
    if (pid && proc::is_running(*pid, {"jointcleard", absolute_config(node)})) {
        return pid;
    }
    return std::nullopt;
}

pid_t start_node(const ConsortiumNode& node, const std::string& daemon_path) {
    if (auto pid = running_pid(node)) {
        return *pid;
    }
    auto pid = proc::spawn_detached({daemon_path, "--config", absolute_config(node)}, node.log_path(), node.dir);
    if (!pid) {
        throw CliExit(kExitFailure, node.name + ": " + pid.error().message());
    }
    must(proc::write_pid_file(node.pid_path(), *pid), node.name);
    return *pid;
}

void wait_ready(const std::vector<const ConsortiumNode*>& nodes, milliseconds timeout, bool health_only) {
    const auto deadline = Clock::now() + timeout;
    const std::string target = health_only ? "/healthz" : "/readyz";
    std::map<std::string, std::string> why;  // node -> last answer, for the timeout message
    std::vector<const ConsortiumNode*> pending = nodes;
    while (!pending.empty()) {
        std::vector<const ConsortiumNode*> still;
        for (const auto* n : pending) {
            const auto pid = proc::read_pid_file(n->pid_path());
            if (!pid || !proc::alive(*pid)) {
                const std::string last = proc::last_line(n->log_path());
                throw CliExit(kExitFailure, n->name + " exited during start-up" +
                                                (last.empty() ? "" : ": " + last) + " (log: " + n->log_path() + ")");
            }
            RpcClient client(n->rpc, milliseconds(1000));
            auto r = client.get(target);
            if (r && r->status == 200) {
                continue;
            }
            why[n->name] = r ? "HTTP " + std::to_string(r->status) + " " + r->body : r.error().message();
            while (!why[n->name].empty() && why[n->name].back() == '\n') {
                why[n->name].pop_back();
            }
            still.push_back(n);
        }
        pending = std::move(still);
        if (pending.empty()) {
            break;
        }
        if (Clock::now() >= deadline) {
            const auto* n = pending.front();
            throw CliExit(kExitUnreachable, n->name + " not ready after " + seconds(timeout) + ": " + why[n->name] +
                                                " (log: " + n->log_path() + ")");
        }
        std::this_thread::sleep_for(milliseconds(50));  // polling interval
    }
}

bool stop_node(const ConsortiumNode& node, int signal, milliseconds timeout, std::ostream& out) {
    const auto pid = running_pid(node);
    if (!pid) {
        std::error_code ec;
        fs::remove(node.pid_path(), ec);
        return false;
    }
    const auto started = Clock::now();
    ::kill(*pid, signal);
    bool gone = proc::wait_exit(*pid, signal == SIGKILL ? milliseconds(10'000) : timeout);
    std::string how = signal == SIGKILL ? "SIGKILL" : "SIGTERM";
    if (!gone && signal != SIGKILL) {
        ::kill(*pid, SIGKILL);
        gone = proc::wait_exit(*pid, milliseconds(10'000));
        how += ", then SIGKILL after " + seconds(timeout);
    }
    if (!gone) {
        throw CliExit(kExitFailure, node.name + " (pid " + std::to_string(*pid) + ") did not exit after " + how);
    }
    std::error_code ec;
    fs::remove(node.pid_path(), ec);
    out << "  " << node.name << "  stopped (pid " << *pid << ", " << how << ", " << seconds(Clock::now() - started)
        << ")\n";
    return true;
}

void cluster_up(const Consortium& c, const ClusterOptions& options, std::ostream& out) {
    const std::string daemon = must(proc::find_daemon(options.daemon));
    std::vector<const ConsortiumNode*> nodes;
    const auto started = Clock::now();
    for (const auto& n : c.nodes()) {
        const bool was_running = running_pid(n).has_value();
        const pid_t pid = start_node(n, daemon);
        out << "  " << n.name << "  " << (was_running ? "already running" : "started") << " (pid " << pid << ")\n";
        nodes.push_back(&n);
    }
    wait_ready(nodes, options.ready_timeout);
    out << "cluster " << c.chain_id() << " ready in " << seconds(Clock::now() - started) << " ("
        << c.nodes().size() << " validators)\n";
    for (const auto& n : c.nodes()) {
        out << "  " << n.name << "  rpc " << n.rpc.url() << "   log " << n.log_path() << "\n";
    }
}

void cluster_down(const Consortium& c, const ClusterOptions& options, std::ostream& out) {
    // Signal every node first so they stop in parallel, then wait for each.
    std::vector<std::pair<const ConsortiumNode*, pid_t>> running;
    for (const auto& n : c.nodes()) {
        if (auto pid = running_pid(n)) {
            ::kill(*pid, SIGTERM);
            running.emplace_back(&n, *pid);
        } else {
            std::error_code ec;
            fs::remove(n.pid_path(), ec);
        }
    }
    const auto started = Clock::now();
    for (const auto& [n, pid] : running) {
        const auto left = std::max(milliseconds(0), options.stop_timeout -
                                                        std::chrono::duration_cast<milliseconds>(Clock::now() - started));
        std::string how = "SIGTERM";
        if (!proc::wait_exit(pid, left)) {
            ::kill(pid, SIGKILL);
            how = "SIGKILL after " + seconds(options.stop_timeout);
            if (!proc::wait_exit(pid, milliseconds(10'000))) {
                throw CliExit(kExitFailure, n->name + " (pid " + std::to_string(pid) + ") did not exit after SIGKILL");
            }
        }
        std::error_code ec;
        fs::remove(n->pid_path(), ec);
        out << "  " << n->name << "  stopped (pid " << pid << ", " << how << ")\n";
    }
    out << "cluster " << c.chain_id() << " down (" << running.size() << " stopped, "
        << c.nodes().size() - running.size() << " were not running)\n";
}

}  // namespace jc::tools
