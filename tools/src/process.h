// Background validator processes for `jointclear cluster` and `demo`: start detached, find by
// pid file, signal, and wait for exit by polling against a deadline.
//
// A started daemon is detached twice (fork, setsid, fork) so it outlives the CLI and is reaped
// by init, never by us. Because some inits do not reap promptly, a zombie counts as exited. A
// pid is trusted only while /proc/<pid>/cmdline still names jointcleard with the node's config,
// so a stale pid file can never make us signal an unrelated process that reused the pid.
//
// Thread-safety: free functions; spawn_detached must be called while the process has one thread.
#pragma once

#include <jc/core/error.h>

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace jc::tools::proc {

// The jointcleard binary: `explicit_path` if given, else $JOINTCLEARD, else next to this
// executable (installed side by side, or the build tree's src/node/), else on $PATH.
Result<std::string> find_daemon(const std::string& explicit_path);

// Runs argv[0] with `argv` detached from this process: new session, standard input from
// /dev/null, standard output and error appended to `log_path`, working directory `cwd`.
// Returns the daemon's pid; fails if the binary could not be executed.
Result<pid_t> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path, const std::string& cwd);

// The pid recorded in `path`, or nullopt when the file is missing or not a pid.
std::optional<pid_t> read_pid_file(const std::string& path);
Status write_pid_file(const std::string& path, pid_t pid);

// True while `pid` is a live (not zombie) process whose command line contains every string of
// `needles` (e.g. "jointcleard" and the config path).
bool is_running(pid_t pid, const std::vector<std::string>& needles);

// True when `pid` exists and is not a zombie.
bool alive(pid_t pid);

// Polls until `pid` is gone (or a zombie) or the timeout passes; true when it is gone.
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout);

// The last non-empty line of a text file (for "node2 exited: <why>"), or "".
std::string last_line(const std::string& path);

}  // namespace jc::tools::proc
