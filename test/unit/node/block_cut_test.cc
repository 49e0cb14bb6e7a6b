// Goal: the primary's hold on blocks that are not full (consensus.blocks_ahead_max, ADR 0155)
// holds exactly when it should and always ends: a block that is not full waits for the block
// interval, then is held while it would be more than blocks_ahead_max heights above the executed
// head; a full block, execution catching up, or the hold's bound (a quarter of the view-change
// timeout) releases it. And "full" is this block's own: the pool counts neither what the block's
// uncommitted ancestors carry nor only transactions, but also the block's byte limit.
// Method: decide_block_cut() is pure, with time as an input, so every case is one call with the
// clock at the edge; the pool's fills_block() is checked against what take_for_block() then
// takes, with real signed envelopes.
#include "block_cut.h"
#include "node_test_txs.h"
#include "tx_pool.h"

#include <jc/ledger/transaction.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace jc::node {
namespace {

using test::add_all;
using test::signed_txs;

// The defaults: interval 20 ms, blocks_ahead_max 2, hold bound 40 ticks x 50 ms / 4 = 500 ms.
// Work arrived at t = 1000; the block would take height 10.
BlockCutInput at(std::int64_t now_ms, std::uint64_t executed_height, bool full = false) {
    return BlockCutInput{.now_ms = now_ms,
                         .work_since_ms = 1000,
                         .full = full,
                         .height = 10,
                         .executed_height = executed_height,
                         .blocks_ahead_max = 2,
                         .block_interval_ms = 20,
                         .hold_ms_max = 500};
}

TEST_CASE("a block that is not full waits for the interval, then is held while execution is too far behind",
          "[node][block_cut]") {
    // Executed head 7: height 10 is three ahead, one more than blocks_ahead_max.
    CHECK(decide_block_cut(at(1000, 7)) == BlockCut::kWait);
    CHECK(decide_block_cut(at(1019, 7)) == BlockCut::kWait);
    CHECK(decide_block_cut(at(1020, 7)) == BlockCut::kHold);
    CHECK(decide_block_cut(at(1499, 7)) == BlockCut::kHold);
    // Far behind holds the same way.
    CHECK(decide_block_cut(at(1200, 0)) == BlockCut::kHold);
}

TEST_CASE("a full block is cut at once, held or not", "[node][block_cut]") {
    CHECK(decide_block_cut(at(1000, 7, /*full=*/true)) == BlockCut::kCut);
    CHECK(decide_block_cut(at(1100, 7, /*full=*/true)) == BlockCut::kCut);
    CHECK(decide_block_cut(at(1000, 9, /*full=*/true)) == BlockCut::kCut);
}

TEST_CASE("the hold ends at its bound, a quarter of the view-change timeout", "[node][block_cut]") {
    CHECK(decide_block_cut(at(1499, 7)) == BlockCut::kHold);
    CHECK(decide_block_cut(at(1500, 7)) == BlockCut::kCut);
    CHECK(decide_block_cut(at(5000, 0)) == BlockCut::kCut);
    // A bound below the interval: the interval still comes first, then nothing holds.
    auto in = at(1010, 0);
    in.hold_ms_max = 5;
    CHECK(decide_block_cut(in) == BlockCut::kWait);
    in.now_ms = 1020;
    CHECK(decide_block_cut(in) == BlockCut::kCut);
}

TEST_CASE("the hold ends when execution catches up to blocks_ahead_max", "[node][block_cut]") {
    CHECK(decide_block_cut(at(1100, 7)) == BlockCut::kHold);
    // Executed head 8: height 10 is exactly blocks_ahead_max ahead.
    CHECK(decide_block_cut(at(1100, 8)) == BlockCut::kCut);
    CHECK(decide_block_cut(at(1100, 9)) == BlockCut::kCut);
    // Caught up, the interval still applies.
    CHECK(decide_block_cut(at(1019, 9)) == BlockCut::kWait);
    // blocks_ahead_max 1 holds one height earlier.
    auto in = at(1100, 8);
    in.blocks_ahead_max = 1;
    CHECK(decide_block_cut(in) == BlockCut::kHold);
}

std::size_t block_bytes(const std::vector<ledger::TxPtr>& txs) {
    std::size_t bytes = 0;
    for (const auto& tx : txs) {
        bytes += tx->canonical_json().size() + TxPool::kBlockTxOverheadBytes;
    }
    return bytes;
}

TEST_CASE("a block is full when its transactions reach the count limit", "[node][block_cut]") {
    const auto txs = signed_txs(5);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    CHECK(pool.fills_block(5, 1 << 20));
    CHECK(pool.fills_block(4, 1 << 20));
    CHECK_FALSE(pool.fills_block(6, 1 << 20));
    // Taken transactions are no longer this pool's to propose.
    REQUIRE(pool.take_for_block(2, 1 << 20).size() == 2);
    CHECK_FALSE(pool.fills_block(4, 1 << 20));
    CHECK(pool.fills_block(3, 1 << 20));
}

TEST_CASE("a block is full when its transactions' bytes reach the byte limit", "[node][block_cut]") {
    // Three large transactions, far below the count limit, of which only two fit.
    const auto txs = signed_txs(3, 2000);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    const std::size_t all = block_bytes(txs);
    CHECK_FALSE(pool.fills_block(1000, all));
    CHECK(pool.fills_block(1000, all - 1));
    // What take_for_block then takes: not all of them, so the block is as large as it gets.
    const std::size_t two = block_bytes({txs[0], txs[1]});
    CHECK(pool.fills_block(1000, two));
    CHECK(pool.take_for_block(1000, two).size() == 2);
    // The rest is one transaction, which fits: not full any more (the bytes taken are not counted).
    CHECK_FALSE(pool.fills_block(1000, two));
    CHECK(pool.fills_block(1000, block_bytes({txs[2]}) - 1));
    // After a view change everything is proposable again, bytes included.
    pool.release_in_flight();
    CHECK(pool.fills_block(1000, two));
    pool.remove({txs[0]->hash()});
    CHECK_FALSE(pool.fills_block(1000, two));
}

TEST_CASE("transactions the block's uncommitted ancestors carry do not make it full", "[node][block_cut]") {
    // After a view change the pool has released what an ancestor carries; if those count, a
    // block with two transactions of its own looks full and is cut at once.
    const auto txs = signed_txs(5);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    REQUIRE(pool.fills_block(5, 1 << 20));
    const std::unordered_set<Hash, HashHasher> carried{txs[0]->hash(), txs[1]->hash(), txs[3]->hash()};
    pool.mark_in_flight(carried);
    CHECK_FALSE(pool.fills_block(5, 1 << 20));
    CHECK(pool.fills_block(2, 1 << 20));
    // By bytes too: the carried ones' bytes are not the block's.
    CHECK_FALSE(pool.fills_block(1000, block_bytes({txs[2], txs[4]})));
    CHECK(pool.fills_block(1000, block_bytes({txs[2], txs[4]}) - 1));
    const auto block = pool.take_for_block(5, 1 << 20, carried);
    REQUIRE(block.size() == 2);
    CHECK(block[0] == txs[2]);
    CHECK(block[1] == txs[4]);
}

TEST_CASE("the primary's full test builds the branch's set only when the pool looks full", "[node][block_cut]") {
    // The composition maybe_propose uses (TxPool::fills_block_on_branch): the count alone says
    // full, the branch's carried transactions are set aside, and the block is not full after
    // all; a pool that is not full never walks the branch.
    const auto txs = signed_txs(5);
    TxPool pool(100, 1 << 20, 1);
    add_all(pool, txs);
    int walks = 0;
    const auto branch = [&] {
        ++walks;
        return TxPool::HashSet{txs[0]->hash(), txs[1]->hash(), txs[3]->hash()};
    };
    std::optional<TxPool::HashSet> carried;
    CHECK_FALSE(pool.fills_block_on_branch(6, 1 << 20, branch, carried));
    CHECK(walks == 0);
    CHECK_FALSE(carried.has_value());
    CHECK_FALSE(pool.fills_block_on_branch(5, 1 << 20, branch, carried));
    CHECK(walks == 1);
    REQUIRE(carried.has_value());
    CHECK(carried->size() == 3);
    CHECK(pool.fills_block_on_branch(2, 1 << 20, branch, carried));  // two of its own fill 2
    const auto block = pool.take_for_block(5, 1 << 20, *carried);
    REQUIRE(block.size() == 2);
    CHECK(block[0] == txs[2]);
    CHECK(block[1] == txs[4]);
}

TEST_CASE("a transaction of the largest size fills the smallest block genesis allows", "[node][block_cut][regress]") {
    // Regression: the primary once kept 4 KiB of a block aside and counted 8 framing bytes per
    // transaction, so with block_bytes_max near its minimum no block could take a 64 KiB
    // transaction, and the one at the head of the pool stopped every block after it.
    auto txs = signed_txs(1, 60'000);
    const std::size_t grow = ledger::TxLimits{}.envelope_bytes_max - txs[0]->canonical_json().size();
    txs = signed_txs(1, 60'000 + grow);
    REQUIRE(txs[0]->canonical_json().size() == ledger::TxLimits{}.envelope_bytes_max);
    TxPool pool(10, 1 << 20, 1);
    add_all(pool, txs);
    const std::size_t budget = block_tx_bytes_max(ledger::kBlockBytesMin);
    CHECK(pool.fills_block(1000, budget - 1));  // full at one byte less
    const auto taken = pool.take_for_block(1000, budget);
    REQUIRE(taken.size() == 1);
    ledger::BlockLimits limits;
    limits.bytes_max = ledger::kBlockBytesMin;
    auto block = ledger::Block::make(1, Hash{}, 0, 0, taken, limits);
    REQUIRE(block.ok());
    CHECK(block->encode().size() == ledger::kBlockBytesMin);  // exactly the smallest block
}

}  // namespace
}  // namespace jc::node
