// Private to the simulator: one simulated validator (its replica, storage, ledger, driver state
// and, when Byzantine, the adversary's memory). Shared by cluster.cc and byzantine.cc.
#pragma once

#include "cluster.h"

#include <deque>
#include <map>
#include <tuple>

namespace jc::sim {

struct Cluster::Node {
    std::uint32_t index = 0;
    bool byzantine = false;
    ByzantineMode mode = ByzantineMode::kMixed;
    bool up = false;
    std::uint64_t epoch = 0;
    std::unique_ptr<consensus::Signer> signer;
    std::unique_ptr<consensus::Replica> replica;
    // Storage: durable records survive a crash, unsynced ones do not.
    std::vector<consensus::Record> durable;
    std::vector<std::pair<std::uint64_t, consensus::Record>> unsynced;
    std::uint64_t storage_busy_until = 0;
    // Ledger and executor.
    std::vector<consensus::CommittedBlock> ledger;
    std::vector<Hash> results;
    std::optional<Certificate> stable_cert;
    std::uint64_t max_request = 0;
    std::uint64_t tick_period_ms = 10;
    // Node-side driver state.
    bool pending_sent = false;
    bool last_pending = false;
    std::uint64_t proposed_view = UINT64_MAX;
    std::uint64_t proposed_last = 0;
    std::deque<consensus::Input> inbox;
    // S2 memory: what this validator signed, across restarts.
    std::map<std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>, Hash> signed_votes;
    // Byzantine memory.
    std::vector<Bytes> captured;
    std::uint64_t captured_next = 0;
};

}  // namespace jc::sim
