#include "sync_pipeline.h"

#include <jc/core/codec.h>

#include <algorithm>
#include <chrono>

namespace jc::node {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t us_since(Clock::time_point t) {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
}

std::int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> SyncPipeline::fetch_range(std::uint64_t from,
                                                                                 std::uint64_t to) const {
    // Blocks already fetched and checked, or being applied, are not asked again: a fetch made
    // while the storage thread applies the previous response asks for the next range, so
    // fetching overlaps applying (ADR 0125).
    from = std::max(from, staged_.load() + 1);
    if (to < from) {
        return std::nullopt;  // everything asked for is on its way
    }
    return std::pair{from, std::min(to, from + kSyncBlocksPerResponseMax - 1)};
}

void SyncPipeline::raise_staged(std::uint64_t height) {
    std::uint64_t seen = staged_.load();
    while (seen < height && !staged_.compare_exchange_weak(seen, height)) {
    }
}

void SyncPipeline::check(ByteView payload, const SyncChecks& checks,
                         const std::function<void(CheckedSync)>& hand_over) {
    if (checks.stopping()) {
        return;
    }
    codec::Reader r(payload);
    auto count = r.varint_max(kSyncBlocksPerResponseMax, "sync block count");
    if (!count) {
        return;
    }
    CheckedSync group;
    group.received_ms = mono_ms();
    std::size_t group_txs = 0;
    const auto hand_over_group = [&] {
        if (group.blocks.empty()) {
            return;
        }
        // Raised before the blocks are handed over, so a fetch made meanwhile asks above them.
        raise_staged(group.blocks.back().block.height());
        hand_over(std::move(group));
        group = CheckedSync{};
        group.received_ms = mono_ms();
        group_txs = 0;
    };
    // Heights up to `staged` are applied or on their way to the storage thread (fetched twice:
    // the probe and a fetch overlapping); the first block kept must be the next one after it,
    // and each later one must extend the one before. The storage thread checks the chain
    // against its head again before it executes anything.
    const std::uint64_t staged = std::max(staged_.load(), checks.committed_height());
    std::optional<Hash> previous;
    std::uint64_t expected = staged + 1;
    for (std::uint64_t i = 0; i < *count; ++i) {
        // A response holds up to 64 blocks (seconds of signature checks): a stopping node
        // gives up between blocks instead of checking blocks nobody will apply.
        if (checks.stopping()) {
            return;
        }
        auto block_bytes = r.bytes(ledger::kBlockBytesMax);
        auto cert_bytes = r.bytes(1 << 20);
        if (!block_bytes || !cert_bytes) {
            break;
        }
        // Skipped on its header alone: decoding it would parse every transaction again.
        if (block_bytes->size() >= ledger::BlockHeader::kEncodedSize) {
            auto header = ledger::BlockHeader::decode(block_bytes->first(ledger::BlockHeader::kEncodedSize));
            if (header && header->height <= staged) {
                continue;
            }
        }
        auto t = Clock::now();
        auto decoded = checks.decode(*block_bytes);
        auto cert = Certificate::decode(*cert_bytes);
        group.decode_us += us_since(t);
        if (!decoded || !cert) {
            log_->warn("sync: undecodable block or certificate");
            break;
        }
        const ledger::Block& block = decoded->block;
        if (block.height() != expected || (previous && block.header().parent_hash != *previous)) {
            log_->debug("sync: block {} does not follow height {}", block.height(), expected - 1);
            break;
        }
        // A synced block is trusted only through its commit certificate from a quorum.
        if (cert->kind != VoteKind::kCommit || cert->height != block.height() || cert->digest != block.hash()) {
            log_->warn("sync: certificate does not match block {}", block.height());
            break;
        }
        t = Clock::now();
        if (auto s = checks.verify_certificate(*cert); !s) {
            log_->warn("sync: block {} certificate refused: {}", block.height(), s.error().message());
            break;
        }
        group.certificate_us += us_since(t);
        if (block.height() <= checks.committed_height()) {
            // Consensus committed it while this response was decoded (a probe answered with the
            // block in flight): its transactions left the verified cache as they committed, so
            // checking them now would verify each one a second time. The storage thread would
            // skip it anyway. (Its certificate is checked first, so a forged one is still noticed.)
            previous = block.hash();
            expected = block.height() + 1;
            continue;
        }
        t = Clock::now();
        std::vector<ledger::TxPtr> unverified;
        unverified.reserve(decoded->unverified.size());
        for (const std::size_t at : decoded->unverified) {
            unverified.push_back(block.txs()[at]);
        }
        const std::size_t bad = checks.verify_signatures(unverified);
        group.signature_us += us_since(t);
        if (bad < unverified.size()) {
            // A quorum certified this block, so a bad signature in it means more than f
            // validators are faulty: say so loudly.
            log_->error("sync: block {} has a badly signed transaction ({}) under a valid commit certificate",
                        block.height(), unverified[bad]->hash().hex());
            break;
        }
        previous = block.hash();
        expected = block.height() + 1;
        group_txs += block.txs().size();
        group.blocks.push_back(CheckedSyncBlock{std::move(decoded->block), std::move(*cert)});
        if (group_txs >= group_txs_) {
            hand_over_group();
        }
    }
    hand_over_group();
}

SyncPipeline::Applied SyncPipeline::apply(const CheckedSync& checked, const SyncStore& store) {
    Applied applied;
    for (const auto& [block, cert] : checked.blocks) {
        const std::uint64_t head = store.head_height();
        if (block.height() <= head) {
            continue;  // committed by consensus meanwhile
        }
        if (block.height() != head + 1 || block.header().parent_hash != store.head_hash() ||
            cert.kind != VoteKind::kCommit || cert.height != block.height() || cert.digest != block.hash()) {
            log_->warn("sync: block {} does not extend our head {}", block.height(), head);
            staged_ = head;  // fetch again from the head
            break;
        }
        store.commit(block, cert);
        if (store.head_height() != block.height()) {
            staged_ = store.head_height();
            break;  // halted
        }
        applied.first = applied.first == 0 ? block.height() : applied.first;
        applied.last = block.height();
        applied.txs += block.txs().size();
    }
    return applied;
}

}  // namespace jc::node
