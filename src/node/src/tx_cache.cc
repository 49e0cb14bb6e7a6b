#include "tx_cache.h"

#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>
#include <jc/core/codec.h>

#include <algorithm>
#include <string>

namespace jc::node {

VerifiedTxCache::Key VerifiedTxCache::key_of(std::string_view envelope) {
    // The tail of a canonical envelope holds "sig", "signer" and "type" (keys sort), so its last
    // 256 bytes tell two verified envelopes apart: two signatures are never equal. Equal tails
    // (a forged copy of a cached transaction) only share a bucket; the full compare decides.
    constexpr std::size_t kTailBytes = 256;
    const std::string_view tail =
        envelope.size() > kTailBytes ? envelope.substr(envelope.size() - kTailBytes) : envelope;
    return Key{envelope, keyed_hash64(tail) ^ (envelope.size() * 0x9e3779b97f4a7c15ULL)};
}

bool VerifiedTxCache::within_default_limits(const ledger::Transaction& tx) {
    const ledger::TxLimits defaults;
    return tx.canonical_json().size() <= defaults.envelope_bytes_max &&
           json::check_subset(tx.body(), defaults.body_depth_max).ok();
}

VerifiedTxCache::VerifiedTxCache(std::size_t txs_max, std::size_t bytes_max, std::size_t committed_max)
    : txs_max_(txs_max), bytes_max_(bytes_max), committed_max_(committed_max) {
    JC_ASSERT(txs_max_ >= 1, "node.tx_cache.txs_max_positive");
}

ledger::TxPtr VerifiedTxCache::find(std::string_view envelope) const {
    std::lock_guard lock(mutex_);
    const auto it = by_envelope_.find(key_of(envelope));
    if (it == by_envelope_.end()) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    return it->second.tx;
}

Status VerifiedTxCache::verify_once(const ledger::TxPtr& tx,
                                    const std::function<Status(const ledger::Transaction&)>& verify) {
    JC_ASSERT(tx != nullptr, "node.tx_cache.verify_not_null");
    const Key key = key_of(tx->canonical_json());
    std::unique_lock lock(mutex_);
    for (;;) {
        if (by_envelope_.count(key) != 0) {
            ++hits_;
            return {};
        }
        if (in_flight_.count(key) == 0) {
            break;
        }
        // Another thread is checking these exact bytes. When it is done the envelope is cached
        // (it verified) or not (it failed, or committed and was erased meanwhile): then this
        // caller checks it itself.
        ++waiting_;
        in_flight_done_.wait(lock);
        --waiting_;
    }
    ++misses_;
    in_flight_.emplace(key, tx);
    lock.unlock();
    // The marker must go on every exit, a throwing check included (only bad_alloc can throw
    // here), or every later caller for these bytes would wait for ever.
    Status verified = Error(Errc::kInternal, "transaction check did not complete");
    const bool cacheable = within_default_limits(*tx);  // a body walk: outside the lock
    struct ClearMarker {
        VerifiedTxCache& cache;
        const Key& key;
        const ledger::TxPtr& tx;
        const Status& verified;
        bool cacheable;
        ~ClearMarker() {
            {
                std::lock_guard guard(cache.mutex_);
                cache.in_flight_.erase(key);
                if (verified.ok() && cacheable) {
                    cache.insert_locked(tx);
                }
            }
            cache.in_flight_done_.notify_all();
        }
    } clear{*this, key, tx, verified, cacheable};
    verified = verify(*tx);
    return verified;
}

std::size_t VerifiedTxCache::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
}

void VerifiedTxCache::insert_locked(ledger::TxPtr tx) {
    // REQUIRES (checked by the callers, outside the lock): within_default_limits(*tx). A hit
    // stands in for a parse under the default limits (gossip, RPC, blocks); a transaction parsed
    // under looser limits that the defaults would refuse must not become one, or this node would
    // accept bytes its peers refuse. Such a transaction stays uncached, and every later sight of
    // it is parsed, and refused, again.
    const Key key = key_of(tx->canonical_json());
    if (by_envelope_.count(key) != 0) {
        return;
    }
    bytes_ += key.envelope.size();
    const Slot slot{std::move(tx), ++insertions_};
    by_envelope_.emplace(key, slot);
    order_.push_back(slot);
    evict_locked();
}

void VerifiedTxCache::erase(const ledger::Transaction& tx) {
    std::lock_guard lock(mutex_);
    const auto it = by_envelope_.find(key_of(tx.canonical_json()));
    if (it == by_envelope_.end()) {
        return;
    }
    erase_locked(it);
}

void VerifiedTxCache::erase_committed(const ledger::Transaction& tx) {
    const Key key = key_of(tx.canonical_json());
    std::lock_guard lock(mutex_);
    if (const auto it = by_envelope_.find(key); it != by_envelope_.end()) {
        erase_locked(it);
    }
    if (committed_max_ == 0 || !committed_.insert(key.hash).second) {
        return;
    }
    committed_order_.push_back(key.hash);
    while (committed_order_.size() > committed_max_) {
        committed_.erase(committed_order_.front());
        committed_order_.pop_front();
    }
    JC_ASSERT(committed_.size() == committed_order_.size(), "node.tx_cache.committed_bounded");
}

bool VerifiedTxCache::committed_recently(std::string_view envelope) const {
    const Key key = key_of(envelope);
    std::lock_guard lock(mutex_);
    return committed_.count(key.hash) != 0;
}

void VerifiedTxCache::erase_locked(Table::iterator it) {
    // order_ holds consecutive insertion numbers (one slot per insert, popped only at the
    // front), so the entry's slot is found by subtraction. Dropping its transaction here, not
    // when the slot reaches the front, is what keeps memory bounded by the live entries: a slot
    // behind a long-pooled transaction could otherwise pin up to 2 * txs_max erased
    // transactions (~2.5 KB each; ADR 0116).
    JC_ASSERT(!order_.empty() && it->second.insertion >= order_.front().insertion,
              "node.tx_cache.entry_has_order_slot");
    const auto pos = static_cast<std::size_t>(it->second.insertion - order_.front().insertion);
    JC_ASSERT(pos < order_.size() && order_[pos].insertion == it->second.insertion,
              "node.tx_cache.order_slot_found");
    order_[pos].tx.reset();
    bytes_ -= it->first.envelope.size();
    by_envelope_.erase(it);
    evict_locked();
}

void VerifiedTxCache::evict_locked() {
    while (!order_.empty() &&
           (order_.front().tx == nullptr || by_envelope_.size() > txs_max_ || bytes_ > bytes_max_ ||
            order_.size() > 2 * txs_max_)) {
        const Slot oldest = std::move(order_.front());
        order_.pop_front();
        if (oldest.tx == nullptr) {
            continue;  // erased: its transaction was released then
        }
        const auto it = by_envelope_.find(key_of(oldest.tx->canonical_json()));
        JC_ASSERT(it != by_envelope_.end() && it->second.insertion == oldest.insertion,
                  "node.tx_cache.live_slot_is_mapped");
        bytes_ -= it->first.envelope.size();
        by_envelope_.erase(it);
        ++evictions_;
    }
    JC_ASSERT(by_envelope_.size() <= txs_max_ && bytes_ <= bytes_max_, "node.tx_cache.bounded");
    JC_ASSERT(by_envelope_.size() <= order_.size(), "node.tx_cache.every_entry_has_an_order_slot");
}

std::size_t VerifiedTxCache::size() const {
    std::lock_guard lock(mutex_);
    return by_envelope_.size();
}

std::size_t VerifiedTxCache::slots() const {
    std::lock_guard lock(mutex_);
    return order_.size();
}

std::size_t VerifiedTxCache::bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

std::uint64_t VerifiedTxCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

std::uint64_t VerifiedTxCache::misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
}

std::uint64_t VerifiedTxCache::evictions() const {
    std::lock_guard lock(mutex_);
    return evictions_;
}

Result<DecodedBlock> decode_block(ByteView bytes, const ledger::BlockLimits& limits,
                                  const VerifiedTxCache& cache) {
    // Every cached entry is within the default TxLimits (verify_once caches no other), so the cache
    // stands in for a parse only under a body depth limit at least as loose; a tighter envelope
    // limit is enforced on the bytes before any lookup.
    ledger::Block::ParsedLookup lookup;
    if (limits.tx.body_depth_max >= ledger::TxLimits{}.body_depth_max) {
        lookup = [&cache](std::string_view envelope) { return cache.find(envelope); };
    }
    std::vector<std::size_t> unverified;
    JC_ASSIGN_OR_RETURN(auto block, ledger::Block::decode(bytes, limits, lookup, &unverified));
    return DecodedBlock{std::move(block), std::move(unverified)};
}

}  // namespace jc::node
