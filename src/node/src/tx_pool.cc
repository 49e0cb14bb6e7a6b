#include "tx_pool.h"

#include <jc/core/assert.h>

#include <algorithm>

namespace jc::node {

TxPool::TxPool(std::size_t txs_max, std::size_t bytes_max, std::size_t validators)
    : txs_max_(txs_max),
      bytes_max_(bytes_max),
      // A lone validator has no peers whose gossip needs room: its clients may fill the pool.
      client_txs_max_(validators <= 1 ? txs_max : std::max<std::size_t>(1, txs_max / (validators + 1))),
      client_bytes_max_(validators <= 1 ? bytes_max : bytes_max / (validators + 1)) {}

TxPool::AddResult TxPool::add(ledger::TxPtr tx, Origin origin) {
    if (index_.count(tx->hash()) != 0) {
        return AddResult::kDuplicate;
    }
    const std::size_t size = tx->canonical_json().size();
    if (index_.size() >= txs_max_ || bytes_ + size > bytes_max_) {
        return AddResult::kFull;
    }
    // A client share smaller than one transaction would refuse everything: the share is then
    // one transaction at a time.
    if (origin == Origin::kClient &&
        (client_txs_ >= client_txs_max_ || (client_txs_ > 0 && client_bytes_ + size > client_bytes_max_))) {
        return AddResult::kFull;
    }
    bytes_ += size;
    if (origin == Origin::kClient) {
        ++client_txs_;
        client_bytes_ += size;
    }
    const Hash h = tx->hash();
    order_.push_back(Entry{std::move(tx), false, origin, std::chrono::steady_clock::now()});
    index_.emplace(h, std::prev(order_.end()));
    return AddResult::kAdded;
}

void TxPool::mark_in_flight(const std::unordered_set<Hash, HashHasher>& carried) {
    for (const auto& h : carried) {
        if (auto it = index_.find(h); it != index_.end() && !it->second->in_flight) {
            it->second->in_flight = true;
            ++in_flight_;
            in_flight_bytes_ += it->second->tx->canonical_json().size();
        }
    }
}

bool TxPool::fills_block(std::size_t txs_max, std::size_t bytes_max) const {
    // take_for_block takes the proposable transactions in order until one does not fit, so it
    // takes them all exactly when their count and their bytes fit.
    const std::size_t count = proposable();
    return count >= txs_max || (bytes_ - in_flight_bytes_) + count * kBlockTxOverheadBytes > bytes_max;
}

bool TxPool::fills_block_on_branch(std::size_t txs_max, std::size_t bytes_max,
                                   const std::function<HashSet()>& carried_on_branch, std::optional<HashSet>& carried) {
    if (!fills_block(txs_max, bytes_max)) {
        return false;
    }
    carried = carried_on_branch();
    mark_in_flight(*carried);
    return fills_block(txs_max, bytes_max);
}

std::vector<ledger::TxPtr> TxPool::take_for_block(std::size_t txs_max, std::size_t bytes_max,
                                                  const std::unordered_set<Hash, HashHasher>& carried,
                                                  std::vector<std::chrono::steady_clock::time_point>* added) {
    mark_in_flight(carried);
    std::vector<ledger::TxPtr> out;
    std::size_t bytes = 0;
    for (auto& e : order_) {
        if (out.size() >= txs_max) {
            break;
        }
        if (e.in_flight) {
            continue;
        }
        const std::size_t json_bytes = e.tx->canonical_json().size();
        const std::size_t size = json_bytes + kBlockTxOverheadBytes;
        if (bytes + size > bytes_max) {
            break;
        }
        bytes += size;
        e.in_flight = true;
        ++in_flight_;
        in_flight_bytes_ += json_bytes;
        out.push_back(e.tx);
        if (added != nullptr) {
            added->push_back(e.added);
        }
    }
    return out;
}

std::vector<ledger::TxPtr> TxPool::oldest(std::size_t txs_max) const {
    std::vector<ledger::TxPtr> out;
    for (const auto& e : order_) {
        if (out.size() >= txs_max) {
            break;
        }
        out.push_back(e.tx);
    }
    return out;
}

void TxPool::remove(const std::vector<Hash>& committed) {
    for (const auto& h : committed) {
        auto it = index_.find(h);
        if (it == index_.end()) {
            continue;
        }
        const std::size_t size = it->second->tx->canonical_json().size();
        bytes_ -= size;
        if (it->second->origin == Origin::kClient) {
            --client_txs_;
            client_bytes_ -= size;
        }
        if (it->second->in_flight) {
            --in_flight_;
            in_flight_bytes_ -= size;
        }
        order_.erase(it->second);
        index_.erase(it);
    }
    JC_ASSERT(in_flight_ <= index_.size() && in_flight_bytes_ <= bytes_, "node.pool.in_flight_bounded");
    JC_ASSERT(client_txs_ <= index_.size() && client_bytes_ <= bytes_, "node.pool.client_share_bounded");
}

void TxPool::release_in_flight() {
    for (auto& e : order_) {
        e.in_flight = false;
    }
    in_flight_ = 0;
    in_flight_bytes_ = 0;
}

}  // namespace jc::node
