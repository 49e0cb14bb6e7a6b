// Goal: the verified-transaction cache (ADR 0105) answers only for the exact envelope that
// verified — a forged signature on an honest transaction's fields never rides on it — stays
// within its count and byte bounds whatever is inserted and erased, and the node's block
// decoder that takes transactions from it accepts and refuses exactly what
// ledger::Block::decode does, with the same error codes and messages. Method: real signed
// envelopes; a forgery made by replacing the signature (same tx_hash); bounds driven past their
// limits and checked after every step; erased and committed transactions checked to be released
// at once (use_count) however long an older entry stays; every truncation and each structural
// violation of a block decoded by both decoders, with and without the transactions cached.
// The in-flight marker (ADR 0125) is driven deterministically: the first checker is held
// inside its check by a future the test releases, the second is released only once the cache
// reports it waiting; no sleeps.
#include "tx_cache.h"

#include <jc/core/codec.h>
#include <jc/core/sha256.h>
#include <jc/ledger/block.h>
#include <jc/ledger/merkle.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace jc::node {
namespace {

const crypto::SecretKey& key(int which) {
    static const auto a = crypto::SecretKey::from_hex(std::string(63, '3') + "1").value();
    static const auto b = crypto::SecretKey::from_hex(std::string(63, '5') + "7").value();
    return which == 0 ? a : b;
}

ledger::TxPtr signed_tx(std::size_t i, int signer = 0) {
    ledger::UnsignedTx u{"test-chain", "loan.repay", "WEBANK", "ref-" + std::to_string(i),
                         json::Value{{"amount", "50.00"}, {"i", static_cast<std::int64_t>(i)}}};
    return std::make_shared<const ledger::Transaction>(ledger::Transaction::sign(u, key(signer)).value());
}

// The same fields (so the same tx_hash) under another key's signature: well-formed, badly signed.
ledger::TxPtr forged(const ledger::Transaction& honest) {
    json::Value v = honest.to_value();
    v["sig"] = key(1).sign(honest.hash()).hex();
    return std::make_shared<const ledger::Transaction>(ledger::Transaction::from_value(v).value());
}

std::vector<ledger::TxPtr> cache_txs(std::size_t n) {
    std::vector<ledger::TxPtr> out;
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(signed_tx(i));
    }
    return out;
}

// How the node caches a transaction: verify_once with the real signature check.
void verify_and_cache(VerifiedTxCache& cache, const ledger::TxPtr& tx) {
    REQUIRE(cache.verify_once(tx, [](const ledger::Transaction& t) { return t.verify_signature(); }).ok());
}

// Whether the node's block decoder would take `tx` from the cache.
bool cached(const VerifiedTxCache& cache, const ledger::Transaction& tx) {
    return cache.find(tx.canonical_json()) != nullptr;
}

void check_bounds(const VerifiedTxCache& cache, std::size_t txs_max, std::size_t bytes_max) {
    CHECK(cache.size() <= txs_max);
    CHECK(cache.bytes() <= bytes_max);
}

}  // namespace

TEST_CASE("a forged signature never rides on a cached verification", "[node][tx_cache][regress]") {
    VerifiedTxCache cache(100, 1 << 20);
    const auto honest = signed_tx(1);
    REQUIRE(honest->verify_signature().ok());
    verify_and_cache(cache, honest);

    const auto forgery = forged(*honest);
    REQUIRE(forgery->hash() == honest->hash());  // what a tx_hash-keyed cache would confuse
    REQUIRE_FALSE(forgery->verify_signature().ok());
    CHECK_FALSE(cached(cache, *forgery));
    CHECK(cache.find(forgery->canonical_json()) == nullptr);
    CHECK(cached(cache, *honest));
    CHECK(cache.find(honest->canonical_json()) == honest);

    // In a block: the honest copy decodes from the cache, the forged one is parsed and left
    // for the caller to verify (and fails there).
    for (const auto& tx : {honest, forgery}) {
        const auto block = ledger::Block::make(3, sha256("p"), 1000, 0, {tx}).value();
        auto decoded = decode_block(block.encode(), {}, cache);
        REQUIRE(decoded.ok());
        if (tx == honest) {
            CHECK(decoded->unverified.empty());
            CHECK(decoded->block.txs()[0] == honest);  // the very object: no second parse
        } else {
            REQUIRE(decoded->unverified == std::vector<std::size_t>{0});
            CHECK(decoded->block.txs()[0]->sig() == forgery->sig());
            CHECK_FALSE(decoded->block.txs()[0]->verify_signature().ok());
        }
    }
}

TEST_CASE("a transaction parsed under looser limits than the defaults is never cached",
          "[node][tx_cache][regress]") {
    // A hit stands in for a parse under the default TxLimits; an envelope those limits refuse
    // (a body one level deeper than body_depth_max) must not become one.
    const auto honest = signed_tx(1);
    json::Value deep = json::Value{{"leaf", "x"}};
    for (std::size_t level = 1; level < ledger::TxLimits{}.body_depth_max + 1; ++level) {
        deep = json::Value{{"next", deep}};
    }
    json::Value v = honest->to_value();
    v["body"] = deep;
    const std::string text = json::canonicalize(v);
    REQUIRE_FALSE(ledger::Transaction::parse(text).ok());
    ledger::TxLimits loose;
    loose.body_depth_max += 4;
    const auto tx = std::make_shared<const ledger::Transaction>(ledger::Transaction::parse(text, loose).value());
    CHECK_FALSE(VerifiedTxCache::within_default_limits(*tx));
    CHECK(VerifiedTxCache::within_default_limits(*honest));

    VerifiedTxCache cache(16, 1 << 20);
    // Through verify_once, the only way in: checked every time (the check is the caller's),
    // cached never. (Its body was replaced, so its signature no longer verifies; the check here
    // pretends it does, to show that even a verified one stays out.)
    int checks = 0;
    const auto count = [&](const ledger::Transaction&) -> Status {
        ++checks;
        return {};
    };
    CHECK(cache.verify_once(tx, count).ok());
    CHECK(cache.verify_once(tx, count).ok());
    CHECK(checks == 2);
    CHECK(cache.size() == 0);
    CHECK(cache.find(tx->canonical_json()) == nullptr);
    // The honest transaction is cached as before.
    verify_and_cache(cache, honest);
    CHECK(cached(cache, *honest));
}

TEST_CASE("a check that throws leaves no in-flight marker behind", "[node][tx_cache][regress]") {
    // Otherwise every later caller for the same bytes would wait for ever (the consensus
    // thread among them).
    VerifiedTxCache cache(16, 1 << 20);
    const auto tx = signed_tx(7);
    const auto throwing = [](const ledger::Transaction&) -> Status { throw std::bad_alloc(); };
    CHECK_THROWS_AS(cache.verify_once(tx, throwing), std::bad_alloc);
    CHECK(cache.size() == 0);
    int checks = 0;
    const auto count = [&](const ledger::Transaction&) -> Status {
        ++checks;
        return {};
    };
    CHECK(cache.verify_once(tx, count).ok());  // would block here with the marker left behind
    CHECK(checks == 1);
    CHECK(cached(cache, *tx));
}

TEST_CASE("the verified cache is bounded by count and bytes, oldest first", "[node][tx_cache]") {
    const auto txs = cache_txs(12);
    const std::size_t one = txs[0]->canonical_json().size();

    SECTION("by count") {
        VerifiedTxCache cache(4, 1 << 20);
        for (std::size_t i = 0; i < txs.size(); ++i) {
            verify_and_cache(cache, txs[i]);
            check_bounds(cache, 4, 1 << 20);
        }
        CHECK(cache.size() == 4);
        CHECK(cache.evictions() == 8);
        for (std::size_t i = 0; i < txs.size(); ++i) {
            CHECK(cached(cache, *txs[i]) == (i >= 8));
        }
    }
    SECTION("by bytes") {
        const std::size_t bytes_max = 3 * one + one / 2;  // room for 3 (all are about one long)
        VerifiedTxCache cache(100, bytes_max);
        for (const auto& tx : txs) {
            verify_and_cache(cache, tx);
            check_bounds(cache, 100, bytes_max);
        }
        CHECK(cache.size() == 3);
        CHECK(cached(cache, *txs[11]));
        CHECK_FALSE(cached(cache, *txs[8]));
    }
    SECTION("an envelope larger than the byte bound is not kept") {
        VerifiedTxCache cache(100, one / 2);
        verify_and_cache(cache, txs[0]);
        CHECK(cache.size() == 0);
        CHECK(cache.bytes() == 0);
    }
    SECTION("erase and re-insert keep the bounds and the order book small") {
        VerifiedTxCache cache(4, 1 << 20);
        for (int round = 0; round < 50; ++round) {
            for (const auto& tx : txs) {
                verify_and_cache(cache, tx);
                cache.erase(*tx);
                check_bounds(cache, 4, 1 << 20);
            }
        }
        CHECK(cache.size() == 0);
        CHECK(cache.bytes() == 0);
        verify_and_cache(cache, txs[0]);
        verify_and_cache(cache, txs[0]);  // twice: one entry
        CHECK(cache.size() == 1);
        CHECK(cache.bytes() == one);
        // Erased then inserted again: the stale order slot must not evict the new entry.
        cache.erase(*txs[0]);
        verify_and_cache(cache, txs[0]);
        for (std::size_t i = 1; i < 4; ++i) {
            verify_and_cache(cache, txs[i]);
        }
        CHECK(cache.size() == 4);
        CHECK(cached(cache, *txs[0]));
        verify_and_cache(cache, txs[4]);  // evicts the oldest live entry: txs[0]'s second insertion
        CHECK_FALSE(cached(cache, *txs[0]));
        CHECK(cached(cache, *txs[1]));
        CHECK(cached(cache, *txs[4]));
        // The live entry is evicted by its own slot, not by the stale one of its first life.
        cache.erase(*txs[1]);
        verify_and_cache(cache, txs[1]);  // now the newest
        verify_and_cache(cache, txs[5]);  // over the bound: the oldest live entry is txs[2]
        CHECK(cached(cache, *txs[1]));
        CHECK_FALSE(cached(cache, *txs[2]));
    }
    SECTION("hits and misses are counted") {
        VerifiedTxCache cache(10, 1 << 20);
        verify_and_cache(cache, txs[0]);
        (void)cache.find(txs[0]->canonical_json());
        (void)cache.find(txs[1]->canonical_json());
        (void)cache.find(txs[2]->canonical_json());
        CHECK(cache.verify_once(txs[0], [](const ledger::Transaction&) -> Status {
                  FAIL("a cached envelope is not checked again");
                  return {};
              }).ok());
        CHECK(cache.hits() == 2);
        CHECK(cache.misses() == 3);  // verify_once's own first miss, then the two finds
    }
}

TEST_CASE("committed envelopes are remembered, boundedly, and only those exact envelopes", "[node][tx_cache]") {
    const auto txs = cache_txs(8);
    VerifiedTxCache cache(100, 1 << 20, /*committed_max=*/3);
    for (const auto& tx : txs) {
        verify_and_cache(cache, tx);
    }
    cache.erase_committed(*txs[0]);
    CHECK_FALSE(cached(cache, *txs[0]));
    CHECK(cache.committed_recently(txs[0]->canonical_json()));
    CHECK_FALSE(cache.committed_recently(txs[1]->canonical_json()));
    // A forged copy of a committed transaction is not "committed": it differs in the signature.
    CHECK_FALSE(cache.committed_recently(forged(*txs[0])->canonical_json()));
    // Committing a transaction that was never cached still records it (a synced block).
    VerifiedTxCache other(100, 1 << 20, 3);
    other.erase_committed(*txs[5]);
    CHECK(other.committed_recently(txs[5]->canonical_json()));
    // The oldest commits are forgotten beyond the bound.
    for (std::size_t i = 1; i < 5; ++i) {
        cache.erase_committed(*txs[i]);
    }
    CHECK(cache.size() == 3);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(cache.committed_recently(txs[i]->canonical_json()) == (i >= 2));
    }
    // Without a bound nothing is remembered.
    VerifiedTxCache none(100, 1 << 20);
    none.erase_committed(*txs[0]);
    CHECK_FALSE(none.committed_recently(txs[0]->canonical_json()));
}

TEST_CASE("an erased or committed transaction is released at once, not when its slot ages out",
          "[node][tx_cache][regress]") {
    // Issue 11 / ADR 0116: erased entries' insertion-order slots kept their transactions alive
    // until 2 * txs_max slots had piled up (400 000 at the default pool size, ~1 GB), so a
    // validator's memory grew with every committed transaction. The cache is sized like a
    // busy pool here (txs_max far above what is inserted), as in a node.
    constexpr std::size_t kTxsMax = 200'000;
    constexpr std::size_t kRounds = 600;
    VerifiedTxCache cache(kTxsMax, std::size_t{256} << 20, /*committed_max=*/1000);
    // A transaction that stays pooled the whole time sits at the front of the insertion order.
    const auto pinned = signed_tx(1'000'000);
    verify_and_cache(cache, pinned);
    auto txs = cache_txs(kRounds);
    for (std::size_t i = 0; i < kRounds; ++i) {
        verify_and_cache(cache, txs[i]);
        if (i % 3 == 0) {
            cache.erase(*txs[i]);  // refused or evicted from the pool
        } else {
            cache.erase_committed(*txs[i]);
        }
        CHECK(txs[i].use_count() == 1);  // only this test holds it now
        CHECK(cache.size() == 1);
    }
    CHECK(cached(cache, *pinned));
    CHECK(pinned.use_count() == 3);  // this test, the map entry and its insertion-order slot
    // Once the long-lived entry goes, the released slots behind it go with it.
    cache.erase_committed(*pinned);
    CHECK(pinned.use_count() == 1);
    CHECK(cache.size() == 0);
    CHECK(cache.slots() == 0);
    CHECK(cache.bytes() == 0);
    // Erasing again and re-inserting an erased envelope still behave.
    cache.erase(*txs[0]);
    verify_and_cache(cache, txs[0]);
    CHECK(cached(cache, *txs[0]));
    CHECK(cache.slots() == 1);
}

TEST_CASE("insertion-order slots stay within 2 * txs_max behind a long-lived entry", "[node][tx_cache]") {
    constexpr std::size_t kTxsMax = 20;
    VerifiedTxCache cache(kTxsMax, 1 << 20);
    const auto txs = cache_txs(200);
    for (std::size_t i = 0; i < txs.size(); ++i) {
        verify_and_cache(cache, txs[i]);
        if (i != 0) {
            cache.erase(*txs[i]);
            CHECK(txs[i].use_count() == 1);
        }
        CHECK(cache.slots() <= 2 * kTxsMax);
        CHECK(cache.size() <= 1);
    }
    // The slot bound evicted the long-lived entry as before (oldest first) and trimmed the rest.
    CHECK_FALSE(cached(cache, *txs[0]));
    CHECK(cache.slots() == 0);
    CHECK(cache.evictions() == 1);
}

namespace {

// Both decoders on the same bytes: same verdict, and on refusal the same code and message.
void check_same_verdict(const Bytes& bytes, const ledger::BlockLimits& limits, const VerifiedTxCache& cache) {
    const auto reference = ledger::Block::decode(bytes, limits);
    const auto ours = decode_block(bytes, limits, cache);
    REQUIRE(reference.ok() == ours.ok());
    if (reference.ok()) {
        CHECK(ours->block == *reference);
        CHECK(ours->block.hash() == reference->hash());
        CHECK(ours->block.encode() == bytes);
    } else {
        CHECK(ours.error().code() == reference.error().code());
        CHECK(ours.error().message() == reference.error().message());
    }
}

void poke_le(Bytes& bytes, std::size_t offset, std::uint64_t v, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
        bytes[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

}  // namespace

TEST_CASE("the cached block decoder agrees with Block::decode on good and bad bytes", "[node][tx_cache]") {
    const auto txs = cache_txs(4);
    const auto block = ledger::Block::make(7, sha256("parent"), 1'700'000'000'000, 1, txs).value();
    const Bytes good = block.encode();
    VerifiedTxCache empty(100, 1 << 20);
    VerifiedTxCache partial(100, 1 << 20);
    verify_and_cache(partial, txs[1]);
    verify_and_cache(partial, txs[3]);
    VerifiedTxCache full(100, 1 << 20);
    for (const auto& tx : txs) {
        verify_and_cache(full, tx);
    }

    SECTION("which transactions are left to verify") {
        CHECK(decode_block(good, {}, empty)->unverified == std::vector<std::size_t>{0, 1, 2, 3});
        CHECK(decode_block(good, {}, partial)->unverified == std::vector<std::size_t>{0, 2});
        CHECK(decode_block(good, {}, full)->unverified.empty());
        // A stricter body depth than the cached entries were parsed with bypasses the cache.
        ledger::BlockLimits strict;
        strict.tx.body_depth_max = 1;
        check_same_verdict(good, strict, full);
    }
    for (const VerifiedTxCache* cache : {&empty, &partial, &full}) {
        check_same_verdict(good, {}, *cache);
        for (std::size_t len = 0; len < good.size(); ++len) {
            INFO("truncated to " << len);
            check_same_verdict(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)), {}, *cache);
        }
        Bytes trailing = good;
        trailing.push_back(0);
        check_same_verdict(trailing, {}, *cache);
        Bytes more = good;
        poke_le(more, 52, 5, 4);  // tx_count
        check_same_verdict(more, {}, *cache);
        Bytes fewer = good;
        poke_le(fewer, 52, 3, 4);
        check_same_verdict(fewer, {}, *cache);
        Bytes root = good;
        root[60] ^= 0x01;  // tx_root
        check_same_verdict(root, {}, *cache);
        ledger::BlockLimits count;
        count.txs_max = 3;
        check_same_verdict(good, count, *cache);
        ledger::BlockLimits size;
        size.bytes_max = good.size() - 1;
        check_same_verdict(good, size, *cache);

        // A repeated transaction, and a non-canonical (pretty-printed) one.
        ledger::BlockHeader h = block.header();
        h.tx_count = 2;
        h.tx_root = ledger::merkle::root(std::vector<Hash>{txs[1]->hash(), txs[1]->hash()});
        codec::Writer twice;
        h.encode(twice);
        twice.str(txs[1]->canonical_json()).str(txs[1]->canonical_json());
        check_same_verdict(twice.data(), {}, *cache);
        h.tx_root = ledger::merkle::root(std::vector<Hash>{txs[1]->hash(), txs[2]->hash()});
        codec::Writer pretty;
        h.encode(pretty);
        pretty.str(txs[1]->canonical_json()).str(txs[2]->to_value().dump(1));
        check_same_verdict(pretty.data(), {}, *cache);
    }
}

}  // namespace jc::node

namespace jc::node {
namespace {

// Spins (yielding) until `cond` holds; the threads it waits for make progress on their own.
template <typename F>
void until(F cond) {
    while (!cond()) {
        std::this_thread::yield();
    }
}

// A caller of verify_once on its own thread, held inside its check (say the sync path in
// secp256k1) from construction until release(). Catch2's assertions are not thread-safe: the
// thread records, the test thread checks.
class HeldChecker {
public:
    HeldChecker(VerifiedTxCache& cache, ledger::TxPtr tx, std::atomic<int>& checks) {
        thread_ = std::thread([this, &cache, tx = std::move(tx), &checks, held = release_.get_future().share()] {
            status_ = cache.verify_once(tx, [&](const ledger::Transaction& t) {
                checks++;
                entered_.set_value();
                held.wait();
                return t.verify_signature();
            });
        });
        entered_.get_future().wait();
    }
    HeldChecker(const HeldChecker&) = delete;
    HeldChecker& operator=(const HeldChecker&) = delete;
    ~HeldChecker() { (void)release(); }

    // Lets the check finish; returns its result.
    Status release() {
        if (thread_.joinable()) {
            release_.set_value();
            thread_.join();
        }
        return status_;
    }

private:
    std::promise<void> entered_;
    std::promise<void> release_;
    Status status_ = Error(Errc::kInternal, "not run");
    std::thread thread_;
};

// A second caller of verify_once for the same bytes, on its own thread, checking freely.
class FreeChecker {
public:
    FreeChecker(VerifiedTxCache& cache, ledger::TxPtr tx, std::atomic<int>& checks) {
        thread_ = std::thread([this, &cache, tx = std::move(tx), &checks] {
            status_ = cache.verify_once(tx, [&](const ledger::Transaction& t) {
                checks++;
                return t.verify_signature();
            });
            done_ = true;
        });
    }
    FreeChecker(const FreeChecker&) = delete;
    FreeChecker& operator=(const FreeChecker&) = delete;
    ~FreeChecker() { (void)join(); }

    [[nodiscard]] bool done() const { return done_.load(); }
    Status join() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return status_;
    }

private:
    Status status_ = Error(Errc::kInternal, "not run");
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("a second checker of an envelope in flight waits for the first and reuses its result",
          "[node][tx_cache][regress]") {
    VerifiedTxCache cache(100, 1 << 20);
    const auto tx = signed_tx(7);
    std::atomic<int> checks{0};
    HeldChecker first(cache, tx, checks);
    // The second (the proposal check) meets the same bytes, parsed separately.
    FreeChecker second(cache,
                       std::make_shared<const ledger::Transaction>(ledger::Transaction::parse(tx->canonical_json()).value()),
                       checks);
    // Without the marker the second checker does not wait: it verifies again and returns.
    until([&] { return cache.waiting() == 1 || second.done(); });
    CHECK_FALSE(second.done());
    CHECK(checks.load() == 1);
    CHECK(first.release().ok());
    CHECK(second.join().ok());
    CHECK(checks.load() == 1);  // before the marker: 2 (the race of ADR 0125)
    CHECK(cached(cache, *tx));
    CHECK(cache.waiting() == 0);
    // A later caller is a plain hit.
    CHECK(cache.verify_once(tx, [&](const ledger::Transaction&) {
                   checks++;
                   return Status();
               }).ok());
    CHECK(checks.load() == 1);
}

TEST_CASE("a failed check in flight is not shared: the waiter checks itself and fails on its own",
          "[node][tx_cache][regress]") {
    VerifiedTxCache cache(100, 1 << 20);
    const auto forgery = forged(*signed_tx(8));
    std::atomic<int> checks{0};
    HeldChecker first(cache, forgery, checks);
    FreeChecker second(cache, forgery, checks);
    until([&] { return cache.waiting() == 1 || second.done(); });
    CHECK_FALSE(second.done());
    CHECK_FALSE(first.release().ok());
    CHECK_FALSE(second.join().ok());
    CHECK(checks.load() == 2);
    CHECK_FALSE(cached(cache, *forgery));
    CHECK(cache.size() == 0);
}

TEST_CASE("checks of different envelopes do not wait for each other", "[node][tx_cache]") {
    VerifiedTxCache cache(100, 1 << 20);
    const auto a = signed_tx(9);
    const auto b = signed_tx(10);
    std::atomic<int> checks{0};
    HeldChecker first(cache, a, checks);
    // While a is held in flight, b verifies on this thread without waiting.
    CHECK(cache.verify_once(b, [](const ledger::Transaction& t) { return t.verify_signature(); }).ok());
    CHECK(cached(cache, *b));
    CHECK_FALSE(cached(cache, *a));
    CHECK(cache.waiting() == 0);
    CHECK(first.release().ok());
    CHECK(cached(cache, *a));
}

}  // namespace jc::node
