// Running a consortium's validators as background processes on this machine (API.md
// `jointclear cluster`), shared by the cluster subcommands and the demo.
//
// Every wait polls a condition against a deadline: readiness is GET /readyz answering 200,
// a stop is the process disappearing. Failures end the command with CliExit and one line that
// says which node and why (for a daemon that died, the last line of its log).
//
// Thread-safety: free functions; call from one thread.
#pragma once

#include "consortium.h"

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <sys/types.h>

namespace jc::tools {

struct ClusterOptions {
    std::string daemon;  // jointcleard path; "" = proc::find_daemon's search
    std::chrono::milliseconds ready_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds stop_timeout{std::chrono::seconds(20)};
};

// The pid of the node's daemon if one is running (pid file present and the process is
// jointcleard with this node's config).
std::optional<pid_t> running_pid(const ConsortiumNode& node);

// Starts the node's daemon unless it runs already; returns its pid.
pid_t start_node(const ConsortiumNode& node, const std::string& daemon_path);

// Waits until every node answers GET /readyz with 200 (or, with `health_only`, /healthz).
void wait_ready(const std::vector<const ConsortiumNode*>& nodes, std::chrono::milliseconds timeout,
                bool health_only = false);

// Sends `signal` to the node's daemon and waits for it to exit; SIGTERM escalates to SIGKILL
// after `timeout`. Returns false when the node was not running.
bool stop_node(const ConsortiumNode& node, int signal, std::chrono::milliseconds timeout, std::ostream& out);

// `cluster up`: start every node not running, wait until all are ready, print RPC URLs.
void cluster_up(const Consortium& c, const ClusterOptions& options, std::ostream& out);
// `cluster down`: SIGTERM every running node at once, wait, SIGKILL stragglers.
void cluster_down(const Consortium& c, const ClusterOptions& options, std::ostream& out);

}  // namespace jc::tools
