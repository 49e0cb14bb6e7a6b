// Private: the transaction pool. Owned by the consensus strand (no locking).
//
// Admitted transactions (form, chain, signature and signer already checked) wait here in arrival
// order until a block containing them commits. Bounded by count and bytes: the caller answers
// POOL_FULL when add() refuses. Transactions proposed in a block not yet committed are "in
// flight" and are not proposed again unless the proposal is abandoned (view change); those an
// uncommitted ancestor of the next block carries are in flight too (ProposalLineage).
//
// Client share (docs/decisions/0113-pool-client-share.md): this node's own clients may fill at
// most 1/(validators + 1) of each bound; transactions gossiped by peers may fill the rest. If
// every validator keeps to its share, all pending transactions together fit in any one pool with
// one share to spare for a peer that commits (and so frees its pool) a little later, so a
// transaction admitted anywhere also reaches the primary. Without the share, an overloaded
// cluster filled every pool with local submissions, gossip was dropped, and admitted
// transactions that never reached the primary ran the backups' view-change timers out.
#pragma once

#include <jc/core/hash_index.h>
#include <jc/ledger/block.h>

#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <chrono>
#include <vector>

namespace jc::node {

class TxPool {
public:
    enum class AddResult { kAdded, kDuplicate, kFull };
    // Where a transaction came from: a client of this node (RPC) or a peer's gossip.
    enum class Origin : std::uint8_t { kClient, kPeer };

    // `validators` sets the client share: txs_max / (validators + 1) transactions and
    // bytes_max / (validators + 1) bytes (at least one transaction); the whole pool for a
    // single validator, which has no peers.
    TxPool(std::size_t txs_max, std::size_t bytes_max, std::size_t validators);

    // kFull if the pool is at a bound, or a client transaction would take the clients past
    // their share.
    AddResult add(ledger::TxPtr tx, Origin origin);
    // Bytes a transaction takes in take_for_block's byte count beyond its canonical JSON: the
    // block encoding's largest per-transaction framing, so a block taken within `bytes_max` is
    // within it encoded, and one transaction of the largest size fits ledger::kBlockBytesMin.
    static constexpr std::size_t kBlockTxOverheadBytes = ledger::kBlockTxFramingBytesMax;
    // Marks in flight every pooled transaction in `carried` (what a new block's uncommitted
    // ancestors already hold): they are not the new block's to take.
    void mark_in_flight(const std::unordered_set<Hash, HashHasher>& carried);
    // Whether a block taken now with these limits would be full: the transactions not in flight
    // reach `txs_max`, or they do not all fit in `bytes_max` (as take_for_block counts bytes).
    // Exact once the block's carried transactions are marked in flight (mark_in_flight); before
    // that it may say full when they are what makes it so, never the other way round.
    [[nodiscard]] bool fills_block(std::size_t txs_max, std::size_t bytes_max) const;
    // The primary's "is the next block full" (ADR 0155): fills_block counting only this block's
    // own transactions. Only when the pool looks full is `carried_on_branch` called (it walks up
    // to a window of uncommitted ancestors), what it returns marked in flight (after a view
    // change the pool has released what an ancestor carries, and the new view may re-propose it)
    // and the pool asked again; setting them aside can only make a block less full. The set, if
    // built, is left in `carried` for the cut (take_for_block). Marking early is safe: within a
    // view the branch only grows, and a view change releases everything (release_in_flight).
    using HashSet = std::unordered_set<Hash, HashHasher>;
    [[nodiscard]] bool fills_block_on_branch(std::size_t txs_max, std::size_t bytes_max,
                                             const std::function<HashSet()>& carried_on_branch,
                                             std::optional<HashSet>& carried);
    // First marks in flight every pooled transaction in `carried` (what the new block's
    // uncommitted ancestors already hold); then up to `txs_max` transactions and `bytes_max`
    // bytes not in flight, oldest first, which become in flight.
    // With `added`, also appends when each taken transaction entered the pool (for the
    // pool-wait histogram; the pool itself never reads the clock's value).
    std::vector<ledger::TxPtr> take_for_block(std::size_t txs_max, std::size_t bytes_max,
                                              const std::unordered_set<Hash, HashHasher>& carried = {},
                                              std::vector<std::chrono::steady_clock::time_point>* added = nullptr);
    // Removes committed transactions.
    void remove(const std::vector<Hash>& committed);
    // Makes every in-flight transaction proposable again (after a view change).
    void release_in_flight();
    // Up to `txs_max` transactions, in flight or not, oldest first (for a peer that just
    // connected: gossip sent while it was away never reached it).
    [[nodiscard]] std::vector<ledger::TxPtr> oldest(std::size_t txs_max) const;

    [[nodiscard]] bool contains(const Hash& h) const { return index_.count(h) != 0; }
    [[nodiscard]] std::size_t size() const { return index_.size(); }
    [[nodiscard]] std::size_t bytes() const { return bytes_; }
    [[nodiscard]] std::size_t proposable() const { return index_.size() - in_flight_; }
    // Transactions and bytes this node's clients have pending here (against the client share).
    [[nodiscard]] std::size_t client_txs() const { return client_txs_; }
    [[nodiscard]] std::size_t client_bytes() const { return client_bytes_; }

private:
    struct Entry {
        ledger::TxPtr tx;
        bool in_flight = false;
        Origin origin = Origin::kPeer;
        std::chrono::steady_clock::time_point added{};
    };
    std::size_t txs_max_;
    std::size_t bytes_max_;
    std::size_t client_txs_max_;
    std::size_t client_bytes_max_;
    std::size_t bytes_ = 0;
    std::size_t client_txs_ = 0;
    std::size_t client_bytes_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t in_flight_bytes_ = 0;  // canonical JSON bytes of the in-flight transactions
    std::list<Entry> order_;
    // No order needed (order_ keeps arrival order); a hash table, not a tree of memcmps.
    std::unordered_map<Hash, std::list<Entry>::iterator, HashHasher> index_;
};

}  // namespace jc::node
