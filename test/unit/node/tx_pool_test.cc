// Goal: the transaction pool hands blocks its oldest proposable transactions, never one that an
// uncommitted ancestor of the block already carries (regression: after a view change such
// transactions were proposed again and committed twice), and offers a reconnecting peer its
// oldest transactions whether in flight or not (gossip sent while the peer was away never
// reached it). ProposalLineage finds what a branch carries, stays bounded, and is pruned at
// commit. Method: real signed envelopes in a small pool; the answers are checked against the
// order of admission; lineages built by hand with known branches.
#include "proposal_lineage.h"
#include "node_test_txs.h"
#include "tx_pool.h"

#include <jc/ledger/transaction.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <unordered_set>
#include <string>
#include <vector>

namespace jc::node {
namespace {

using test::add_all;
using test::signed_txs;

using HashSet = std::unordered_set<Hash, HashHasher>;

TEST_CASE("a reconnecting peer is offered the oldest transactions, in flight or not", "[node][pool]") {
    const auto txs = signed_txs(6);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    CHECK(pool.add(txs[0], TxPool::Origin::kClient) == TxPool::AddResult::kDuplicate);

    std::vector<std::chrono::steady_clock::time_point> added;
    const auto block = pool.take_for_block(2, 1 << 20, {}, &added);
    REQUIRE(block.size() == 2);
    CHECK(block[0] == txs[0]);
    CHECK(block[1] == txs[1]);
    // When each entered the pool, in block order (the pool-wait histogram, ADR 0155).
    REQUIRE(added.size() == 2);
    CHECK(added[0] <= added[1]);
    CHECK(added[1] <= std::chrono::steady_clock::now());
    CHECK(added[0] != std::chrono::steady_clock::time_point{});
    CHECK(pool.proposable() == 4);

    const auto offered = pool.oldest(4);
    REQUIRE(offered.size() == 4);
    for (std::size_t i = 0; i < offered.size(); ++i) {
        CHECK(offered[i] == txs[i]);  // the two in flight first: they may be what the peer lacks
    }
    CHECK(pool.oldest(100).size() == 6);

    pool.remove({txs[0]->hash(), txs[3]->hash()});
    const auto after = pool.oldest(100);
    REQUIRE(after.size() == 4);
    CHECK(after[0] == txs[1]);
    CHECK(after[1] == txs[2]);
    CHECK(after[2] == txs[4]);
    CHECK(pool.oldest(0).empty());
}

Hash digest(std::uint8_t n) {
    Hash h;
    h.bytes[0] = n;
    return h;
}

TEST_CASE("after a view change the pool does not re-propose what the branch carries", "[node][pool][regress]") {
    const auto txs = signed_txs(6);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    // The old primary's block held txs 0 and 1; a view change released them, and the new view
    // re-proposes that block as the parent of the next one.
    REQUIRE(pool.take_for_block(2, 1 << 20).size() == 2);
    pool.release_in_flight();
    CHECK(pool.proposable() == 6);
    const HashSet carried{txs[0]->hash(), txs[1]->hash(), digest(99)};  // 99: not pooled
    const auto block = pool.take_for_block(10, 1 << 20, carried);
    REQUIRE(block.size() == 4);
    CHECK(block[0] == txs[2]);
    CHECK(block[3] == txs[5]);
    CHECK(pool.proposable() == 0);
    // Once the branch commits, its transactions leave the pool and the counts stay consistent.
    pool.remove({txs[0]->hash(), txs[1]->hash()});
    CHECK(pool.size() == 4);
    CHECK(pool.proposable() == 0);
    pool.release_in_flight();
    CHECK(pool.proposable() == 4);
    // With everything carried there is nothing to propose.
    HashSet all;
    for (std::size_t i = 2; i < 6; ++i) {
        all.insert(txs[i]->hash());
    }
    CHECK(pool.take_for_block(10, 1 << 20, all).empty());
}

TEST_CASE("the lineage gives the transactions of a branch, not of its siblings", "[node][pool]") {
    ProposalLineage lineage(100, 1000);
    // 5 <- 6 <- 7a and 6 <- 7b (an abandoned sibling); height 4's block is unknown.
    lineage.record(digest(5), {5, digest(4), 500, {digest(50), digest(51)}});
    lineage.record(digest(6), {6, digest(5), 600, {digest(60)}});
    lineage.record(digest(7), {7, digest(6), 700, {digest(70)}});
    lineage.record(digest(8), {7, digest(6), 710, {digest(80)}});
    CHECK(lineage.txs_on_branch(digest(7)) == HashSet{digest(50), digest(51), digest(60), digest(70)});
    CHECK(lineage.txs_on_branch(digest(8)) == HashSet{digest(50), digest(51), digest(60), digest(80)});
    CHECK(lineage.txs_on_branch(digest(4)).empty());
    REQUIRE(lineage.find(digest(6)) != nullptr);
    CHECK(lineage.find(digest(6))->timestamp_ms == 600);
    // A forged "parent" at the same or a higher height is not followed (no loop, no junk).
    lineage.record(digest(9), {3, digest(9), 0, {digest(90)}});
    lineage.record(digest(10), {8, digest(11), 0, {digest(100)}});
    lineage.record(digest(11), {9, digest(10), 0, {digest(110)}});
    CHECK(lineage.txs_on_branch(digest(9)) == HashSet{digest(90)});
    CHECK(lineage.txs_on_branch(digest(10)) == HashSet{digest(100)});
    // Commit of height 6 prunes below it; the committed block stays as the next parent.
    lineage.prune_below(6);
    CHECK(lineage.find(digest(5)) == nullptr);
    CHECK(lineage.find(digest(9)) == nullptr);
    CHECK(lineage.txs_on_branch(digest(7)) == HashSet{digest(60), digest(70)});
    CHECK(lineage.tx_hashes() == 5);  // 60, 70, 80, 100, 110
    // Recording the same digest again replaces it without double counting.
    lineage.record(digest(7), {7, digest(6), 700, {digest(70)}});
    CHECK(lineage.tx_hashes() == 5);
}

TEST_CASE("the lineage stays within its caps, dropping the lowest heights first", "[node][pool]") {
    ProposalLineage by_count(3, 1000);
    for (std::uint8_t h = 1; h <= 5; ++h) {
        by_count.record(digest(h), {h, digest(static_cast<std::uint8_t>(h - 1)), 0, {}});
    }
    CHECK(by_count.size() == 3);
    CHECK(by_count.find(digest(2)) == nullptr);
    CHECK(by_count.find(digest(3)) != nullptr);

    ProposalLineage by_hashes(100, 4);
    by_hashes.record(digest(1), {1, digest(0), 0, {digest(10), digest(11)}});
    by_hashes.record(digest(2), {2, digest(1), 0, {digest(20), digest(21)}});
    CHECK(by_hashes.size() == 2);
    by_hashes.record(digest(3), {3, digest(2), 0, {digest(30)}});
    CHECK(by_hashes.find(digest(1)) == nullptr);
    CHECK(by_hashes.tx_hashes() == 3);
    // One proposal over the whole cap is not kept at all.
    by_hashes.record(digest(4), {4, digest(3), 0, {digest(40), digest(41), digest(42), digest(43), digest(44)}});
    CHECK(by_hashes.tx_hashes() <= 4);
}

TEST_CASE("clients fill only their share; peers' gossip fills the rest", "[node][pool][regress]") {
    const auto txs = signed_txs(12);
    // 4 validators: the clients' share is 10 / (4 + 1) = 2 transactions.
    TxPool pool(10, 1 << 20, 4);
    REQUIRE(pool.add(txs[0], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    REQUIRE(pool.add(txs[1], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    CHECK(pool.add(txs[2], TxPool::Origin::kClient) == TxPool::AddResult::kFull);
    CHECK(pool.client_txs() == 2);
    // Gossip from peers fills the pool up to its bound, and no further.
    for (std::size_t i = 2; i < 10; ++i) {
        REQUIRE(pool.add(txs[i], TxPool::Origin::kPeer) == TxPool::AddResult::kAdded);
    }
    CHECK(pool.size() == 10);
    CHECK(pool.add(txs[10], TxPool::Origin::kPeer) == TxPool::AddResult::kFull);
    // A commit of a client transaction frees client share; of a peer's, only pool room.
    pool.remove({txs[5]->hash()});
    CHECK(pool.add(txs[10], TxPool::Origin::kClient) == TxPool::AddResult::kFull);
    pool.remove({txs[0]->hash()});
    CHECK(pool.client_txs() == 1);
    CHECK(pool.add(txs[10], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    CHECK(pool.client_txs() == 2);
    CHECK(pool.client_bytes() == txs[1]->canonical_json().size() + txs[10]->canonical_json().size());
    // A transaction already here is a duplicate whatever its origin, and counts once.
    CHECK(pool.add(txs[1], TxPool::Origin::kPeer) == TxPool::AddResult::kDuplicate);
    CHECK(pool.add(txs[3], TxPool::Origin::kClient) == TxPool::AddResult::kDuplicate);
    CHECK(pool.client_txs() == 2);
}

TEST_CASE("a single validator's clients may fill the whole pool", "[node][pool]") {
    const auto txs = signed_txs(4);
    TxPool pool(3, 1 << 20, 1);
    for (std::size_t i = 0; i < 3; ++i) {
        REQUIRE(pool.add(txs[i], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    }
    CHECK(pool.add(txs[3], TxPool::Origin::kClient) == TxPool::AddResult::kFull);
}

TEST_CASE("the clients' byte share holds at least one transaction", "[node][pool]") {
    const auto txs = signed_txs(3);
    const std::size_t one = txs[0]->canonical_json().size();
    // A byte bound whose share (bytes / 5) is below one transaction still admits one at a time.
    TxPool pool(100, 2 * one + one / 2, 4);
    REQUIRE(pool.add(txs[0], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    CHECK(pool.add(txs[1], TxPool::Origin::kClient) == TxPool::AddResult::kFull);
    CHECK(pool.add(txs[1], TxPool::Origin::kPeer) == TxPool::AddResult::kAdded);
    CHECK(pool.add(txs[2], TxPool::Origin::kPeer) == TxPool::AddResult::kFull);  // the pool's own byte bound
    pool.remove({txs[0]->hash()});
    CHECK(pool.add(txs[2], TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
}

}  // namespace
}  // namespace jc::node
