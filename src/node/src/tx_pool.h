// Private: the transaction pool. Owned by the consensus strand (no locking).
//
// Admitted transactions (form, chain, signature and signer already checked) wait here in arrival
// order until a block containing them commits. Bounded by count and bytes: the caller answers
// POOL_FULL when add() refuses. Transactions proposed in a block not yet committed are "in
// flight" and are not proposed again unless the proposal is abandoned (view change); those an
// uncommitted ancestor of the next block carries are in flight too (ProposalLineage).
#pragma once

#include <jc/ledger/block.h>

#include <cstdint>
#include <list>
#include <map>
#include <set>
#include <vector>

namespace jc::node {

class TxPool {
public:
    enum class AddResult { kAdded, kDuplicate, kFull };

    TxPool(std::size_t txs_max, std::size_t bytes_max) : txs_max_(txs_max), bytes_max_(bytes_max) {}

    AddResult add(ledger::TxPtr tx);
    // First marks in flight every pooled transaction in `carried` (what the new block's
    // uncommitted ancestors already hold); then up to `txs_max` transactions and `bytes_max`
    // bytes not in flight, oldest first, which become in flight.
    std::vector<ledger::TxPtr> take_for_block(std::size_t txs_max, std::size_t bytes_max,
                                              const std::set<Hash>& carried = {});
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

private:
    struct Entry {
        ledger::TxPtr tx;
        bool in_flight = false;
    };
    std::size_t txs_max_;
    std::size_t bytes_max_;
    std::size_t bytes_ = 0;
    std::size_t in_flight_ = 0;
    std::list<Entry> order_;
    std::map<Hash, std::list<Entry>::iterator> index_;
};

}  // namespace jc::node
