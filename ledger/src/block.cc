#include <jc/ledger/block.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>
#include <jc/ledger/merkle.h>

#include <algorithm>
#include <string>

namespace jc::ledger {
namespace {

Error block_error(Errc code, std::string what) { return Error(code, "block: " + what); }

// Checks that `txs` are non-null and pairwise distinct and returns their hashes in order.
Result<std::vector<Hash>> distinct_tx_hashes(const std::vector<TxPtr>& txs) {
    std::vector<Hash> hashes;
    hashes.reserve(txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) {
        if (txs[i] == nullptr) {
            return block_error(Errc::kInvalidArgument,
                               "transaction " + std::to_string(i) + " is null");
        }
        hashes.push_back(txs[i]->hash());
    }
    std::vector<Hash> sorted = hashes;
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) {
        return block_error(Errc::kInvalidArgument, "transaction " + dup->hex() + " appears twice");
    }
    return hashes;
}

std::size_t encoded_size_of(const std::vector<TxPtr>& txs) {
    std::size_t size = BlockHeader::kEncodedSize;
    for (const auto& tx : txs) {
        const std::size_t len = tx->canonical_json().size();
        size += codec::varint_size(len) + len;
    }
    return size;
}

}  // namespace

void BlockHeader::encode(codec::Writer& w) const {
    w.u64(height).hash(parent_hash).i64(timestamp_ms).u32(proposer).u32(tx_count).hash(tx_root);
}

Bytes BlockHeader::encode() const {
    codec::Writer w(kEncodedSize);
    encode(w);
    JC_ASSERT(w.size() == kEncodedSize, "ledger.block.header_size");
    return w.take();
}

Result<BlockHeader> BlockHeader::decode(codec::Reader& r) {
    BlockHeader h;
    JC_ASSIGN_OR_RETURN(h.height, r.u64());
    JC_ASSIGN_OR_RETURN(h.parent_hash, r.hash());
    JC_ASSIGN_OR_RETURN(h.timestamp_ms, r.i64());
    JC_ASSIGN_OR_RETURN(h.proposer, r.u32());
    JC_ASSIGN_OR_RETURN(h.tx_count, r.u32());
    JC_ASSIGN_OR_RETURN(h.tx_root, r.hash());
    if (h.height == 0) {
        return block_error(Errc::kParse, "header height 0 is the genesis, not a block");
    }
    if (h.timestamp_ms < 0) {
        return block_error(Errc::kParse, "header timestamp_ms " + std::to_string(h.timestamp_ms) +
                                             " is negative");
    }
    if (h.tx_count > kBlockTxsMax) {
        return block_error(Errc::kLimit, "header tx_count " + std::to_string(h.tx_count) +
                                             " exceeds limit " + std::to_string(kBlockTxsMax));
    }
    if (h.tx_count == 0 && h.tx_root != merkle::empty_root()) {
        return block_error(Errc::kParse, "empty block's tx_root is not the empty tree's root");
    }
    return h;
}

Result<BlockHeader> BlockHeader::decode(ByteView bytes) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(BlockHeader h, decode(r));
    JC_TRY_STATUS(r.finish());
    return h;
}

Hash BlockHeader::hash() const { return sha256(encode()); }

Result<Block> Block::make(std::uint64_t height, const Hash& parent_hash, std::int64_t timestamp_ms,
                          std::uint32_t proposer, std::vector<TxPtr> txs,
                          const BlockLimits& limits) {
    if (height == 0) {
        return block_error(Errc::kInvalidArgument, "height 0 is the genesis, not a block");
    }
    if (timestamp_ms < 0) {
        return block_error(Errc::kInvalidArgument, "timestamp_ms must not be negative");
    }
    if (txs.size() > limits.txs_max || txs.size() > kBlockTxsMax) {
        return block_error(Errc::kLimit, std::to_string(txs.size()) +
                                             " transactions exceed limit " +
                                             std::to_string(std::min(limits.txs_max, kBlockTxsMax)));
    }
    JC_ASSIGN_OR_RETURN(const std::vector<Hash> hashes, distinct_tx_hashes(txs));
    BlockHeader header;
    header.height = height;
    header.parent_hash = parent_hash;
    header.timestamp_ms = timestamp_ms;
    header.proposer = proposer;
    header.tx_count = static_cast<std::uint32_t>(txs.size());
    header.tx_root = merkle::root(hashes);
    Block block;
    block.encoded_size_ = encoded_size_of(txs);
    if (block.encoded_size_ > limits.bytes_max || block.encoded_size_ > kBlockBytesMax) {
        return block_error(Errc::kLimit, "encoded size " + std::to_string(block.encoded_size_) +
                                             " bytes exceeds limit " +
                                             std::to_string(std::min(limits.bytes_max, kBlockBytesMax)));
    }
    block.header_ = header;
    block.hash_ = header.hash();
    block.txs_ = std::move(txs);
    return block;
}

Result<Block> Block::from_parts(const BlockHeader& header, std::vector<TxPtr> txs,
                                const BlockLimits& limits) {
    if (txs.size() != header.tx_count) {
        return block_error(Errc::kCorruption, "height " + std::to_string(header.height) + ": " +
                                                  std::to_string(txs.size()) +
                                                  " transactions, header says " +
                                                  std::to_string(header.tx_count));
    }
    JC_ASSIGN_OR_RETURN(Block block, make(header.height, header.parent_hash, header.timestamp_ms,
                                          header.proposer, std::move(txs), limits));
    if (block.header_.tx_root != header.tx_root) {
        return block_error(Errc::kCorruption, "height " + std::to_string(header.height) +
                                                  ": tx_root " + header.tx_root.hex() +
                                                  " does not match the transactions (" +
                                                  block.header_.tx_root.hex() + ")");
    }
    JC_ASSERT(block.header_ == header, "ledger.block.from_parts_same_header");
    return block;
}

Result<Block> Block::decode(ByteView bytes, const BlockLimits& limits) {
    return decode(bytes, limits, nullptr, nullptr);
}

Result<Block> Block::decode(ByteView bytes, const BlockLimits& limits, const ParsedLookup& parsed,
                            std::vector<std::size_t>* parsed_here) {
    const std::size_t bytes_max = std::min(limits.bytes_max, kBlockBytesMax);
    if (bytes.size() > bytes_max) {
        return block_error(Errc::kLimit, "encoding of " + std::to_string(bytes.size()) +
                                             " bytes exceeds limit " + std::to_string(bytes_max));
    }
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(const BlockHeader header, BlockHeader::decode(r));
    if (header.tx_count > limits.txs_max) {
        return block_error(Errc::kLimit, "tx_count " + std::to_string(header.tx_count) +
                                             " exceeds limit " + std::to_string(limits.txs_max));
    }
    std::vector<TxPtr> txs;
    txs.reserve(header.tx_count);
    for (std::uint32_t i = 0; i < header.tx_count; ++i) {
        auto text = r.bytes(limits.tx.envelope_bytes_max);
        if (!text) {
            return text.error().with_context("block: transaction " + std::to_string(i));
        }
        const std::string_view json(reinterpret_cast<const char*>(text->data()), text->size());
        if (parsed) {
            if (auto known = parsed(json)) {
                JC_ASSERT(known->canonical_json() == json, "ledger.block.lookup_exact");
                txs.push_back(std::move(known));
                continue;
            }
        }
        auto tx = Transaction::parse(json, limits.tx);
        if (!tx) {
            return Error(Errc::kParse, "block: transaction " + std::to_string(i) + ": " +
                                           tx.error().message());
        }
        if (tx->canonical_json() != json) {
            return block_error(Errc::kParse, "transaction " + std::to_string(i) +
                                                 " is not in canonical (RFC 8785) form");
        }
        if (parsed_here != nullptr) {
            parsed_here->push_back(txs.size());
        }
        txs.push_back(std::make_shared<const Transaction>(std::move(*tx)));
    }
    JC_TRY_STATUS(r.finish());
    auto block = from_parts(header, std::move(txs), limits);
    if (!block) {
        // Inconsistent bytes from a peer are a parse failure, not local corruption.
        return Error(Errc::kParse, block.error().message());
    }
    JC_ASSERT(block->encoded_size_ == bytes.size(), "ledger.block.decoded_size");
    return block;
}

std::vector<Hash> Block::tx_hashes() const {
    std::vector<Hash> hashes;
    hashes.reserve(txs_.size());
    for (const auto& tx : txs_) {
        hashes.push_back(tx->hash());
    }
    return hashes;
}

Bytes Block::encode() const {
    codec::Writer w(encoded_size_);
    header_.encode(w);
    for (const auto& tx : txs_) {
        w.str(tx->canonical_json());
    }
    JC_ASSERT(w.size() == encoded_size_, "ledger.block.encoded_size");
    return w.take();
}

bool operator==(const Block& a, const Block& b) {
    if (a.hash_ != b.hash_ || a.txs_.size() != b.txs_.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.txs_.size(); ++i) {
        if (!(*a.txs_[i] == *b.txs_[i])) {
            return false;
        }
    }
    return true;
}

}  // namespace jc::ledger
