// Signed transactions, and pools holding them, for the node's unit tests.
//
// Every transaction is a real signed envelope (one fixed test key, bank WEBANK, chain
// "test-chain"): the pool and block-cut tests count its canonical bytes, so it must be the same
// envelope a client would send. Transaction i has client_ref "ref-<i>", so the n transactions are
// distinct and their order is the order they were made in.
#pragma once

#include "tx_pool.h"

#include <jc/ledger/transaction.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jc::node::test {

// n transactions; with memo_bytes > 0 each body carries a memo of that many bytes, to make
// transactions that fill a block by bytes long before they fill it by count.
inline std::vector<ledger::TxPtr> signed_txs(std::size_t n, std::size_t memo_bytes = 0) {
    const auto key = crypto::SecretKey::from_hex(std::string(63, '3') + "1").value();
    std::vector<ledger::TxPtr> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        json::Value body{{"i", static_cast<std::int64_t>(i)}};
        if (memo_bytes > 0) {
            body = json::Value{{"i", static_cast<std::int64_t>(i)}, {"memo", std::string(memo_bytes, 'm')}};
        }
        ledger::UnsignedTx u{"test-chain", "loan.repay", "WEBANK", "ref-" + std::to_string(i), std::move(body)};
        out.push_back(std::make_shared<const ledger::Transaction>(ledger::Transaction::sign(u, key).value()));
    }
    return out;
}

// Adds every transaction to `pool` as a client's, in order; each must be admitted.
inline void add_all(TxPool& pool, const std::vector<ledger::TxPtr>& txs) {
    for (const auto& tx : txs) {
        REQUIRE(pool.add(tx, TxPool::Origin::kClient) == TxPool::AddResult::kAdded);
    }
}

}  // namespace jc::node::test
