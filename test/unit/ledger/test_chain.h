// TestChain: a deterministic consortium and block generator for ledger tests.
//
// Everything derives from a seed: validator and member keys, the genesis, and — given a parent
// head — the next block, its commit certificate, receipts, state writes and results. Block h
// depends only on (seed, h, parent), so a test (or the crash test's parent process) can
// recompute the exact block another process committed and compare hashes.
//
// Thread-safety: const methods are safe for concurrent use.
#pragma once

#include <jc/core/certificate.h>
#include <jc/core/secp256k1.h>
#include <jc/ledger/block.h>
#include <jc/ledger/genesis.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/results.h>
#include <jc/ledger/store.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jc::test {

struct ChainStep {
    ledger::Block block;
    Certificate certificate;
    std::vector<ledger::Receipt> receipts;
    ledger::StateWrites writes;
    ledger::ExecutionResults results;
};

class TestChain {
public:
    static constexpr std::size_t kMembers = 3;

    explicit TestChain(std::uint64_t seed = 1, std::size_t validators = 4);

    [[nodiscard]] const ledger::Genesis& genesis() const { return genesis_; }
    [[nodiscard]] const std::string& genesis_json() const { return genesis_json_; }
    [[nodiscard]] ledger::StateWrites genesis_writes() const;
    [[nodiscard]] const std::vector<crypto::SecretKey>& validator_keys() const { return validators_; }
    [[nodiscard]] const std::vector<crypto::SecretKey>& member_keys() const { return members_; }
    [[nodiscard]] static std::string bank_id(std::size_t member);

    // A signed transaction from `member` (0..kMembers-1).
    [[nodiscard]] ledger::TxPtr tx(std::size_t member, const std::string& client_ref,
                                   std::uint64_t amount) const;

    // The deterministic transactions of block `height` (count varies with the height; at most
    // `txs_max`).
    [[nodiscard]] std::vector<ledger::TxPtr> txs_for(std::uint64_t height, std::size_t txs_max) const;

    // txs_for(), with transactions that reuse what an earlier one used (the store's "index
    // exists" paths, ADR 0160): in each six, the fourth takes the client_ref of the first (same
    // sender, other body), and from height 2 the fifth takes a client_ref of the block below and
    // the third replays a transaction of the block below byte for byte (when that block has it).
    [[nodiscard]] std::vector<ledger::TxPtr> txs_reusing_refs_for(std::uint64_t height, std::size_t txs_max) const;

    // Block head.height + 1 over `txs`, with a quorum commit certificate, receipts (some
    // REJECTED), state writes and the matching results on top of `head`.
    [[nodiscard]] ChainStep next(const ledger::LedgerHead& head, std::vector<ledger::TxPtr> txs) const;

    // Commit certificate by the first `signers` validators (default: a quorum).
    [[nodiscard]] Certificate commit_certificate(const ledger::Block& block, std::size_t signers = 0,
                                                 std::uint64_t view = 0) const;
    [[nodiscard]] Certificate checkpoint_certificate(std::uint64_t height, const Hash& digest,
                                                     std::size_t signers = 0) const;

    // Receipts and writes as next() makes them, exposed for tests that alter one part.
    [[nodiscard]] std::vector<ledger::Receipt> receipts_for(const ledger::Block& block) const;
    [[nodiscard]] ledger::StateWrites writes_for(const ledger::Block& block) const;

private:
    Certificate sign(VoteKind kind, std::uint64_t view, std::uint64_t height, const Hash& digest,
                     std::size_t signers) const;

    std::uint64_t seed_;
    std::vector<crypto::SecretKey> validators_;
    std::vector<crypto::SecretKey> members_;
    std::string genesis_json_;
    ledger::Genesis genesis_;
};

}  // namespace jc::test
