// Private: the catch-up pipeline's decisions (ADR 0125, docs/threads.md), apart from the threads,
// sockets and store that run it, so that each decision can be tested alone
// (test/unit/node/sync_pipeline_test.cc).
//
// Three threads share one number, the staged height: the highest height checked and handed to
// the storage thread (at least the head while syncing).
// - The consensus strand fetches: fetch_range() asks only above the staged height, so a fetch
//   made while the storage thread applies the previous response asks for the next range.
// - The sync-check thread checks a response: check() decodes it block by block, skips blocks at
//   or below the staged height on their header, and checks each block's chain (height and
//   parent within the response), its commit certificate (kind, height, digest, then the quorum's
//   signatures) and its transactions' signatures. It stops at the first block that fails any of
//   these: that block and the rest of the response are dropped, and the staged height is not
//   raised over them, so the next fetch asks for that block again. The blocks checked before it
//   go to the storage thread in groups of about `group_txs` transactions, the staged height
//   raised over each group before it is handed over.
// - The storage thread applies a group: apply() checks each block against the head again
//   (height, parent hash, certificate against the block) before it is committed; a block that
//   does not extend the head is refused with the rest of the group, and the staged height is
//   lowered to the head, so the refused heights are fetched again.
//
// The checks, the hand-over and the store are injected: the node's are its cached block decoder,
// verify_certificate over the genesis validators, the signature checks spread over the crypto
// pool, a post to the storage thread, and Node::Impl::commit.
//
// Ownership: plain values plus the logger. Thread-safety: fetch_range() on the consensus strand,
// check() on one sync-check thread, apply() on the storage thread, at once; they share only the
// atomic staged height.
#pragma once

#include <jc/core/certificate.h>
#include <jc/core/error.h>
#include <jc/core/log.h>
#include <jc/ledger/block.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "tx_cache.h"

namespace jc::node {

// Heights per sync request and response.
inline constexpr std::uint64_t kSyncBlocksPerResponseMax = 64;
// Checked sync blocks go to the storage thread in groups of about this many transactions: the
// storage thread starts executing after the first group, and logs one line per group.
inline constexpr std::size_t kSyncApplyGroupTxs = 2000;

// A synced block that passed the checks, with the certificate that made it final.
struct CheckedSyncBlock {
    ledger::Block block;
    Certificate cert;
};

// A group of consecutive checked blocks, and where the sync-check thread's time went (µs).
struct CheckedSync {
    std::vector<CheckedSyncBlock> blocks;
    std::uint64_t decode_us = 0;
    std::uint64_t certificate_us = 0;
    std::uint64_t signature_us = 0;
    std::int64_t received_ms = 0;  // steady clock, when the sync-check thread began checking them
};

// What check() runs on each block.
struct SyncChecks {
    // The block's bytes decoded (transactions already verified here taken from the cache).
    std::function<Result<DecodedBlock>(ByteView)> decode;
    // The commit certificate's signatures and quorum.
    std::function<Status(const Certificate&)> verify_certificate;
    // Verifies the signatures of `txs`; the index of the first that fails, or txs.size().
    std::function<std::size_t(const std::vector<ledger::TxPtr>&)> verify_signatures;
    // The height consensus has committed (it may commit while a response is checked).
    std::function<std::uint64_t()> committed_height;
    // True when the node is stopping or halted: checking gives up between blocks.
    std::function<bool()> stopping;
};

// What apply() works on: the storage thread's view of the ledger head, and its commit.
struct SyncStore {
    std::function<std::uint64_t()> head_height;
    std::function<Hash()> head_hash;
    // Executes and stores the block (Node::Impl::commit); the head does not move when it fails
    // (the node halted).
    std::function<void(const ledger::Block&, const Certificate&)> commit;
};

class SyncPipeline {
public:
    SyncPipeline(std::shared_ptr<spdlog::logger> log, std::size_t group_txs = kSyncApplyGroupTxs)
        : log_(std::move(log)), group_txs_(group_txs) {}

    // Consensus strand: the heights to request when [from, to] is wanted: from above the staged
    // height, at most kSyncBlocksPerResponseMax of them; nullopt when all are on their way.
    [[nodiscard]] std::optional<std::pair<std::uint64_t, std::uint64_t>> fetch_range(std::uint64_t from,
                                                                                   std::uint64_t to) const;

    // Sync-check thread: checks a sync response's blocks and hands the checked ones over in
    // groups, in height order, each after the staged height is raised over it.
    void check(ByteView payload, const SyncChecks& checks, const std::function<void(CheckedSync)>& hand_over);

    // Storage thread: commits the group's blocks that extend the head, in order, until one
    // does not (the staged height then drops to the head) or the commit fails.
    struct Applied {
        std::uint64_t first = 0;  // 0: nothing applied
        std::uint64_t last = 0;
        std::uint64_t txs = 0;
    };
    Applied apply(const CheckedSync& checked, const SyncStore& store);

    [[nodiscard]] std::uint64_t staged() const { return staged_.load(); }

private:
    void raise_staged(std::uint64_t height);

    std::shared_ptr<spdlog::logger> log_;
    const std::size_t group_txs_;
    // The highest height checked and handed to the storage thread; lowered to the head when
    // the storage thread refuses a handed-over block.
    std::atomic<std::uint64_t> staged_{0};
};

}  // namespace jc::node
