// Goal: the transaction pool hands blocks its oldest proposable transactions, and offers a
// reconnecting peer its oldest transactions whether in flight or not (gossip sent while the peer
// was away never reached it). Method: real signed envelopes in a small pool; the answers are
// checked against the order of admission.
#include "tx_pool.h"

#include <jc/ledger/transaction.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace jc::node {
namespace {

std::vector<ledger::TxPtr> signed_txs(std::size_t n) {
    const auto key = crypto::SecretKey::from_hex(std::string(63, '3') + "1").value();
    std::vector<ledger::TxPtr> out;
    for (std::size_t i = 0; i < n; ++i) {
        ledger::UnsignedTx u{"test-chain", "loan.repay", "WEBANK", "ref-" + std::to_string(i),
                             json::Value{{"i", static_cast<std::int64_t>(i)}}};
        out.push_back(std::make_shared<const ledger::Transaction>(ledger::Transaction::sign(u, key).value()));
    }
    return out;
}

TEST_CASE("a reconnecting peer is offered the oldest transactions, in flight or not", "[node][pool]") {
    const auto txs = signed_txs(6);
    TxPool pool(100, 1 << 20);
    for (const auto& tx : txs) {
        REQUIRE(pool.add(tx) == TxPool::AddResult::kAdded);
    }
    CHECK(pool.add(txs[0]) == TxPool::AddResult::kDuplicate);

    const auto block = pool.take_for_block(2, 1 << 20);
    REQUIRE(block.size() == 2);
    CHECK(block[0] == txs[0]);
    CHECK(block[1] == txs[1]);
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

}  // namespace
}  // namespace jc::node
