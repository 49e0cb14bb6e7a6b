// Node: the composition root of `jointcleard` — the ledger store, the contract engine, the PBFT
// replica, the p2p transport, the transaction pool and the RPC server, wired by the thread model
// of docs/decisions/0003-thread-model.md and docs/threads.md:
//
//   io threads (2)      p2p sessions (a strand each) and RPC connections
//   consensus strand    the Replica, the tx pool, block assembly (one thread)
//   storage thread      consensus-record persistence, block execution and LevelDB commits
//   crypto pool         transaction signature checks (admission and proposals)
//
// A transaction's way: RPC → form/chain check → signature on the crypto pool → signer-of-sender
// check → pool (consensus strand) → gossip → proposal → PBFT → storage thread executes and
// commits in one synced batch → waiting callers get receipts → checkpoint votes agree results.
//
// Thread-safety: create(), run() and stop() from the main thread; everything else is internal.
#pragma once

#include <jc/core/error.h>
#include <jc/node/config.h>

#include <cstdint>
#include <memory>

#if defined(JC_BYZANTINE)
#include <jc/node/byzantine.h>
#endif

namespace jc::node {

class Node {
public:
    // Validates the config, genesis and keys, and opens (or creates) the store. Errors name the
    // file and what is wrong; nothing is started.
    static Result<std::unique_ptr<Node>> create(const NodeConfig& config);
#if defined(JC_BYZANTINE)
    // Tests only (ADR 0092; JC_BYZANTINE builds, which CMake refuses for release types): this
    // validator misbehaves on purpose as `byzantine` says.
    static Result<std::unique_ptr<Node>> create(const NodeConfig& config, const ByzantineOptions& byzantine);
    // Steps to the next Byzantine behaviour (the daemon calls it on SIGUSR1). Any thread.
    void byzantine_next();
#endif
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // Starts every thread, the transport and the RPC server.
    Status start();
    // Stops cleanly: no new work, the block in hand finishes, the store is flushed and closed.
    void stop();
    // Blocks until stop() or a fatal error (e.g. results diverged from the quorum). Returns the
    // process exit code: 0 after a clean stop, non-zero after a fatal error.
    int wait();

    [[nodiscard]] std::uint16_t rpc_port() const;

    class Impl;

private:
    explicit Node(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jc::node
