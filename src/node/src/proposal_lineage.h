// Private: what the consensus strand knows of the proposals above the committed height — each
// one's height, parent, block timestamp and transactions — keyed by digest (the block hash).
//
// Two uses. A proposal's timestamp must not go below its parent's, and with pipelined heights
// the parent is often still uncommitted (valid() looks it up here). And the primary must not put
// a transaction into a block when one of that block's uncommitted ancestors already carries it:
// after a view change the pool releases every in-flight transaction, while the new view may
// re-propose the old proposals that hold them; proposing them again would commit them twice
// (the second copy only earns a DUPLICATE receipt, but it costs block space and throughput).
// Ancestors commit before their descendants, or are abandoned together with them, so excluding
// the branch's transactions is exact.
//
// Bounded whatever arrives (abandoned proposals, a Byzantine primary's many): entries below the
// committed height are pruned on every commit, and beyond the caps the lowest heights go first.
// Entries record what a block really holds: callers key them by the hash of the decoded block.
//
// Thread-safety: none; owned by the consensus strand.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/hash_index.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_set>
#include <vector>

namespace jc::node {

class ProposalLineage {
public:
    struct Entry {
        std::uint64_t height = 0;
        Hash parent;
        std::int64_t timestamp_ms = 0;
        std::vector<Hash> txs;
    };

    ProposalLineage(std::size_t proposals_max, std::size_t tx_hashes_max)
        : proposals_max_(proposals_max), tx_hashes_max_(tx_hashes_max) {}

    // Remembers (or replaces) the proposal `digest`, then enforces the caps.
    void record(const Hash& digest, Entry entry);
    [[nodiscard]] const Entry* find(const Hash& digest) const;
    // The transactions of `tip` and of every known ancestor of it (parents followed while known,
    // heights strictly decreasing).
    [[nodiscard]] std::unordered_set<Hash, HashHasher> txs_on_branch(const Hash& tip) const;
    // Forgets proposals below `height`. The committed block's own entry stays: it is the next
    // height's parent (after that the ledger head serves).
    void prune_below(std::uint64_t height);

    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    [[nodiscard]] std::size_t tx_hashes() const { return tx_hashes_; }

private:
    void erase(std::map<Hash, Entry>::iterator it);

    std::size_t proposals_max_;
    std::size_t tx_hashes_max_;
    std::size_t tx_hashes_ = 0;
    std::map<Hash, Entry> entries_;
};

}  // namespace jc::node
