// Private: the transactions whose signatures this node has verified, keyed by their exact
// canonical envelope (signature included), and a block decoder that takes transactions from it
// instead of parsing them again (ADR 0105).
//
// Why: a backup parsed every transaction up to four times (gossip, the proposal-check thread,
// valid() on the consensus thread, the commit), each parse a strict JSON parse, two RFC 8785
// canonicalisations and a SHA-256, and it hashed the whole envelope again for every "verified
// before?" lookup in an ordered set. Now a transaction is parsed and verified once per node;
// every later sight of the same bytes is one keyed hash, one table probe and one memcmp.
//
// Keyed by the exact envelope bytes, never by tx_hash: tx_hash does not cover the signature, so
// a cache keyed by it would let a forged signature ride on an honest verification. A hit means
// the bytes are identical to an envelope whose signature verified on this node, which is what
// verifying again would find; the returned Transaction is that parse of those same bytes.
//
// Bounded by count and bytes (the oldest entries go first); committed transactions are erased
// as they commit, so in a healthy node the cache holds little more than the pool (whose
// transactions it shares, not copies). The keyed hashes of the last `committed_max` committed
// envelopes are kept, so gossip that arrives after its transaction committed is dropped before
// it is parsed or verified again (without this ~5-10 % of a backup's signature checks were such
// repeats).
//
// Two threads that meet the same envelope at once (a synced block and the proposal or gossip
// carrying the same transaction) verify it once: `verify_once` marks the envelope in flight
// while its caller verifies, and a second caller waits for that result instead of running
// secp256k1 again (ADR 0125).
//
// Thread-safety: every method may be called from any thread (one mutex, held for a hash probe,
// a compare and the table's bookkeeping; never while parsing, verifying or walking a body).
// verify_once may block its caller while another thread checks the same envelope: for at most
// one signature check, unless that thread is descheduled.
#pragma once

#include <jc/core/hash_index.h>
#include <jc/ledger/block.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace jc::node {

class VerifiedTxCache {
public:
    // REQUIRES: txs_max >= 1.
    VerifiedTxCache(std::size_t txs_max, std::size_t bytes_max, std::size_t committed_max = 0);

    // The cached transaction whose canonical envelope is exactly `envelope`, or null.
    [[nodiscard]] ledger::TxPtr find(std::string_view envelope) const;
    // Ok at once if `tx`'s exact envelope is cached. Otherwise, if another caller is verifying
    // the same envelope now, waits for it and answers ok when it verified. Otherwise runs
    // `verify(*tx)` here, with the envelope marked in flight meanwhile, and caches `tx` when it
    // succeeds. A failure is not shared: a caller that waited for a failed check verifies
    // itself, so every refusal carries its own checker's error. `verify` must not call back
    // into this cache. This is the only way in: an entry always stands for a check that ran
    // (no separate insert that could cache an unchecked envelope). Caching evicts the oldest
    // entries beyond the bounds; transactions outside the default TxLimits (parsed under looser
    // ones) are never cached.
    // REQUIRES: tx != nullptr.
    Status verify_once(const ledger::TxPtr& tx, const std::function<Status(const ledger::Transaction&)>& verify);
    // Callers of verify_once waiting for another's check right now (tests drive the race with it).
    [[nodiscard]] std::size_t waiting() const;
    // Forgets `tx`.
    void erase(const ledger::Transaction& tx);
    // Forgets `tx`, which committed, and remembers that its envelope did.
    void erase_committed(const ledger::Transaction& tx);
    // Whether an envelope with the same keyed hash as `envelope` committed recently. A false
    // positive (a 64-bit collision under a secret key) is possible in principle, so use it
    // only to skip redundant work such as late gossip, never to judge a transaction.
    [[nodiscard]] bool committed_recently(std::string_view envelope) const;

    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t bytes() const;
    // Insertion-order slots, live and erased (erased ones hold no transaction); at most
    // 2 * txs_max, and none at the front once the oldest live entry is gone.
    [[nodiscard]] std::size_t slots() const;
    [[nodiscard]] std::uint64_t hits() const;
    [[nodiscard]] std::uint64_t misses() const;
    [[nodiscard]] std::uint64_t evictions() const;

    // Whether `tx` is within the default TxLimits, the limits every cached entry stands in for.
    [[nodiscard]] static bool within_default_limits(const ledger::Transaction& tx);

private:
    void evict_locked();

    const std::size_t txs_max_;
    const std::size_t bytes_max_;
    mutable std::mutex mutex_;
    std::condition_variable in_flight_done_;
    // The table key: the envelope and its keyed hash, computed once per lookup (a hash table
    // that recomputed it for every erase and rehash spent ~5 % of a validator's CPU).
    struct Key {
        std::string_view envelope;
        std::uint64_t hash = 0;
        friend bool operator==(const Key& a, const Key& b) {
            return a.hash == b.hash && a.envelope == b.envelope;
        }
    };
    struct KeyHasher {
        std::size_t operator()(const Key& k) const noexcept { return static_cast<std::size_t>(k.hash); }
    };
    static Key key_of(std::string_view envelope);

    struct Slot {
        ledger::TxPtr tx;
        std::uint64_t insertion = 0;  // which insertion of this envelope an order_ slot belongs to
    };
    // Keys view the canonical_json() of the mapped transaction, which the map keeps alive.
    using Table = std::unordered_map<Key, Slot, KeyHasher>;
    Table by_envelope_;
    // Insertion order for eviction: one slot per insert, consecutive insertion numbers, popped
    // only at the front. An erased entry's slot stays (without its transaction, released at
    // once) until it reaches the front; never more than 2 * txs_max_ slots.
    std::deque<Slot> order_;
    // Forgets a mapped entry and releases the transaction its order_ slot holds.
    void erase_locked(Table::iterator it);
    void insert_locked(ledger::TxPtr tx);
    // Envelopes being verified by a verify_once caller, which keeps the viewed bytes alive.
    std::unordered_map<Key, ledger::TxPtr, KeyHasher> in_flight_;
    std::size_t waiting_ = 0;
    std::uint64_t insertions_ = 0;
    const std::size_t committed_max_;
    std::unordered_set<std::uint64_t> committed_;  // keyed hashes, already uniform
    std::deque<std::uint64_t> committed_order_;
    std::size_t bytes_ = 0;
    mutable std::uint64_t hits_ = 0;
    mutable std::uint64_t misses_ = 0;
    std::uint64_t evictions_ = 0;
};

// A decoded block and which of its transactions were not in the cache (parsed here; their
// signatures are not yet verified on this node).
struct DecodedBlock {
    ledger::Block block;
    std::vector<std::size_t> unverified;  // indexes into block.txs(), increasing
};

// ledger::Block::decode, taking each transaction whose envelope bytes are cached from `cache`
// instead of parsing it. Signatures of the `unverified` ones are the caller's to check.
Result<DecodedBlock> decode_block(ByteView bytes, const ledger::BlockLimits& limits,
                                  const VerifiedTxCache& cache);

}  // namespace jc::node
