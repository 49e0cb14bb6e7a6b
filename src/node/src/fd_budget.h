// Private: how many files LevelDB may keep open, given the process's open-file limit.
//
// A validator's file descriptors go to sockets (RPC clients up to rpc.connections_max, one dialled
// per higher-indexed peer, inbound p2p connections and pending handshakes up to the transport's
// inbound_connections_max, listeners), a few files of its own (logs; each of the store's two
// LevelDB databases' log, manifest, info log and lock), and LevelDB's open tables. The store
// splits `leveldb_files` between its chain and state databases (ledger::split_open_files, a
// quarter and three quarters, ADR 0136); each keeps at most its share - 10 tables open, after
// which reads reopen tables (ADR 0100). So at start the node raises its soft RLIMIT_NOFILE to the
// hard limit and gives LevelDB what is left after the sockets, up to kLevelDbFilesMax. A limit
// that cannot hold the sockets, the reserve and LevelDB's floor together does not start the node
// (`fits`): the floor would overshoot the limit, and a flood of RPC clients could then take the
// descriptors a table open or a compaction needs, which the node must treat as a failed write and
// halt on (ADR 0167). Pure arithmetic here; the syscall is in raise_open_file_limit().
#pragma once

#include <jc/ledger/store.h>
#include <jc/node/config.h>

#include <cstdint>
#include <string>

namespace jc::node {

inline constexpr std::uint64_t kLevelDbFilesMax = 4096;
// The store's two databases each take at least LevelDB's own floor; planning less would let
// them overshoot the budget into the reserve below.
inline constexpr std::uint64_t kLevelDbFilesMin = ledger::kStoreOpenFilesMin;
// Listeners, log files, LevelDB's own non-table files, the crypto and reader pools' odds and
// ends, and what the OS and libraries open behind our back.
inline constexpr std::uint64_t kFdReserve = 128;

struct FdBudget {
    std::uint64_t limit = 0;         // the soft RLIMIT_NOFILE after raising
    std::uint64_t sockets = 0;       // what the config allows connections to take
    std::uint64_t leveldb_files = 0; // LevelDB's max_open_files
    std::uint64_t needed = 0;        // sockets + kFdReserve + kLevelDbFilesMin: the least that starts
    bool fits = false;               // limit >= needed; otherwise the node refuses to start
    bool tight = false;              // below LevelDB's own default of 1000: say so at start
};

// `limit` open files in all; `rpc_connections_max` clients; `validators` in the genesis;
// `p2p_inbound_max` accepted p2p sockets, sessions and pending handshakes together (anyone may
// dial the p2p port, so this counts in full whatever the consortium's size).
FdBudget plan_file_descriptors(std::uint64_t limit, std::uint64_t rpc_connections_max, std::uint64_t validators,
                               std::uint64_t p2p_inbound_max);

// The node's plan: its rpc.connections_max, and the inbound bound in the limits it hands the
// p2p transport as they are (config.p2p.limits, which wire() passes on), so the budget counts
// what the transport will actually allow.
FdBudget plan_file_descriptors(std::uint64_t limit, const NodeConfig& config, std::uint64_t validators);

// Raises the soft RLIMIT_NOFILE to the hard one (never lowers it); returns the soft limit in
// force afterwards.
std::uint64_t raise_open_file_limit();

}  // namespace jc::node
